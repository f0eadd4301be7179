/**
 * The fare file: the shipped example loads; a bad file is refused with every problem listed by
 * the path of its field (FARE_FILE_INVALID), never a crash.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isFaregateError } from '../../src/errors/faregateError.ts';
import { exampleFareFilePath, loadFareFile } from '../../src/fare/loadFareFile.ts';
import { FareFileSchema, fareFileProblems } from '../../src/pricing/fareFile.ts';
import { BASE_FARES } from './fareTestKit.ts';

const dir = mkdtempSync(join(tmpdir(), 'faregate-fares-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}

describe('the fare file', () => {
  it('config/fares.example.yaml loads, with the documented defaults', () => {
    const f = loadFareFile(exampleFareFilePath());
    expect(f.currency).toBe('CNY');
    expect(f.businessDay).toEqual({ start: '04:30', timeZone: 'Asia/Shanghai' });
    expect(f.metro.maxJourneyMinutes).toBe(180);
  });

  it('defaults: exponent 2, half-up rounding, 04:30 Asia/Shanghai, no cap', () => {
    const { exponent: _e, rounding: _r, businessDay: _b, ...bare } = BASE_FARES;
    const f = FareFileSchema.parse(bare);
    expect([f.exponent, f.rounding, f.businessDay, f.dailyCap]).toEqual([
      2,
      'half_up',
      { start: '04:30', timeZone: 'Asia/Shanghai' },
      undefined,
    ]);
  });

  it('lists every problem with its path', () => {
    const problems = fareFileProblems({
      ...BASE_FARES,
      currency: 'yuan',
      rounding: 'nearest',
      businessDay: { start: '4:30', timeZone: 'Mars/Olympus' },
      metro: {
        ...BASE_FARES.metro,
        maxFare: { missingExit: -1, exitWithoutEntry: 1.5 },
        zoneFares: [{ zones: ['A', 'Q'], amount: 1 }],
      },
      concessions: { toddler: { percentOff: 10 }, child: { percentOff: 150 } },
      bogus: 1,
    });
    const paths = problems.map((p) => p.split(':')[0]);
    expect(paths).toEqual(
      expect.arrayContaining([
        'currency',
        'rounding',
        'businessDay.start',
        'businessDay.timeZone',
        'metro.maxFare.missingExit',
        'metro.maxFare.exitWithoutEntry',
        'concessions',
        'concessions.child.percentOff',
        '(root)',
      ]),
    );
    expect(problems.find((p) => p.startsWith('businessDay.timeZone'))).toContain('IANA time zone');
    expect(problems).toContain('concessions: Unrecognized key: "toddler"');
  });

  it('a percentage has two decimals at most', () => {
    expect(fareFileProblems({ ...BASE_FARES, concessions: { child: { percentOff: 12.345 } } })).toEqual([
      'concessions.child.percentOff: at most two decimals',
    ]);
    expect(fareFileProblems({ ...BASE_FARES, concessions: { child: { percentOff: 12.35 } } })).toEqual([]);
  });

  it('names a zone fare whose zone has no station', () => {
    expect(
      fareFileProblems({
        ...BASE_FARES,
        metro: { ...BASE_FARES.metro, zoneFares: [{ zones: ['A', 'Q'], amount: 1 }] },
      }),
    ).toEqual(['metro.zoneFares.0.zones.1: zone Q has no station in metro.zones']);
  });

  it('names it beside problems of other fields too', () => {
    expect(
      fareFileProblems({
        ...BASE_FARES,
        currency: 'yuan',
        metro: { ...BASE_FARES.metro, zoneFares: [{ zones: ['A', 'Q'], amount: -1 }] },
      }),
    ).toEqual([
      'currency: must be an ISO 4217 code (3 capital letters)',
      expect.stringMatching(/^metro\.zoneFares\.0\.amount: /),
      'metro.zoneFares.0.zones.1: zone Q has no station in metro.zones',
    ]);
  });

  it('a file with problems, a file that is not YAML, a missing file: FARE_FILE_INVALID naming the file', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'currency: CNY\nbus: { default: -5 }\n');
    const e = thrown(() => loadFareFile(bad));
    expect(isFaregateError(e, 'FARE_FILE_INVALID')).toBe(true);
    expect((e as Error).message).toMatch(new RegExp(`^fare file ${bad}: \\d+ problems\\n  bus.default: `));
    expect((e as Error).message).toContain('  metro: ');
    const notYaml = join(dir, 'not.yaml');
    writeFileSync(notYaml, 'currency: [CNY\n');
    expect((thrown(() => loadFareFile(notYaml)) as Error).message).toMatch(/not valid YAML or JSON/);
    const missing = thrown(() => loadFareFile(join(dir, 'missing.yaml')));
    expect(isFaregateError(missing, 'FARE_FILE_INVALID')).toBe(true);
    expect((missing as Error).message).toBe(`fare file ${join(dir, 'missing.yaml')}: no such file`);
  });
});
