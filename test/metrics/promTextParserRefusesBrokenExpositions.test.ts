/**
 * The strict parser the /metrics tests rely on (test/metrics/promText.ts) refuses each way an
 * exposition can break the text format, so a test that parses /metrics proves something: a
 * sample without HELP or TYPE, TYPE twice, a bad name or label, an unknown escape, a bad value,
 * non-contiguous families, a duplicate sample, a negative counter, and histograms whose buckets
 * do not ascend, decrease, lack +Inf or disagree with _count. A good exposition parses.
 */
import { describe, expect, it } from 'vitest';
import { parsePromText, sampleValue } from './promText.ts';

const GOOD = [
  '# HELP a_total Things done',
  '# TYPE a_total counter',
  'a_total{kind="x",note="q\\"uote\\\\ and\\nline"} 3',
  'a_total{kind="y"} 0',
  '# HELP h_seconds Time taken',
  '# TYPE h_seconds histogram',
  'h_seconds_bucket{le="0.1"} 1',
  'h_seconds_bucket{le="1"} 2',
  'h_seconds_bucket{le="+Inf"} 3',
  'h_seconds_sum 4.5',
  'h_seconds_count 3',
  '# HELP g A gauge',
  '# TYPE g gauge',
  'g -1.5e3 1700000000000',
  '',
].join('\n');

const HIST = (buckets: string, count = '3') =>
  `# HELP h Time\n# TYPE h histogram\n${buckets}h_sum 1\nh_count ${count}\n`;

describe('the strict Prometheus text parser', () => {
  it('parses a good exposition: labels with escapes, histograms, timestamps', () => {
    const f = parsePromText(GOOD);
    expect([...f.keys()]).toEqual(['a_total', 'h_seconds', 'g']);
    expect(f.get('a_total')!.samples[0]!.labels.note).toBe('q"uote\\ and\nline');
    expect(sampleValue(f, 'g')).toBe(-1500);
    expect(sampleValue(f, 'h_seconds', { le: '+Inf' }, 'h_seconds_bucket')).toBe(3);
  });

  it.each([
    ['a sample without HELP/TYPE', 'x 1\n', /no HELP\/TYPE/],
    ['TYPE without HELP', '# TYPE x gauge\nx 1\n', /lacks HELP/],
    ['HELP without TYPE', '# HELP x X\nx 1\n', /lacks HELP or TYPE/],
    ['TYPE twice', '# HELP x X\n# TYPE x gauge\n# TYPE x gauge\nx 1\n', /second TYPE/],
    ['an unknown type', '# HELP x X\n# TYPE x meter\nx 1\n', /unknown type/],
    ['an empty HELP', '# HELP x \n# TYPE x gauge\nx 1\n', /empty HELP/],
    ['a bad metric name', '# HELP 1x X\n# TYPE 1x gauge\n', /bad metric name/],
    ['a bad label name', '# HELP x X\n# TYPE x gauge\nx{1a="v"} 1\n', /bad label name/],
    ['an unquoted label', '# HELP x X\n# TYPE x gauge\nx{a=v} 1\n', /not quoted/],
    ['an unknown escape', '# HELP x X\n# TYPE x gauge\nx{a="\\t"} 1\n', /bad escape/],
    ['a label twice', '# HELP x X\n# TYPE x gauge\nx{a="1",a="2"} 1\n', /twice/],
    ['a bad value', '# HELP x X\n# TYPE x gauge\nx one\n', /bad value/],
    ['no trailing newline', '# HELP x X\n# TYPE x gauge\nx 1', /newline/],
    ['a duplicate sample', '# HELP x X\n# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n', /twice/],
    ['a negative counter', '# HELP x_total X\n# TYPE x_total counter\nx_total -1\n', /negative counter/],
    [
      'families interleaved',
      '# HELP x X\n# TYPE x gauge\nx 1\n# HELP y Y\n# TYPE y gauge\ny 1\nx{a="2"} 1\n',
      /not contiguous/,
    ],
    ['buckets that do not ascend', HIST('h_bucket{le="1"} 1\nh_bucket{le="0.5"} 2\nh_bucket{le="+Inf"} 3\n'), /ascend/],
    [
      'bucket counts that decrease',
      HIST('h_bucket{le="1"} 2\nh_bucket{le="2"} 1\nh_bucket{le="+Inf"} 3\n'),
      /decrease/,
    ],
    ['no +Inf bucket', HIST('h_bucket{le="1"} 1\nh_bucket{le="2"} 3\n'), /\+Inf/],
    ['+Inf that is not _count', HIST('h_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\n'), /not _count/],
    ['a bucket without le', HIST('h_bucket 1\nh_bucket{le="+Inf"} 3\n'), /without le/],
  ])('refuses %s', (_what, text, why) => {
    expect(() => parsePromText(text)).toThrow(why);
  });
});
