/**
 * The simulator's JT/T options on its command line: --jtt-share, --jtt-encoding (one or a comma
 * list), --jtt-riders, --jtt-dir become the simulator's JT/T traffic; wrong values and options
 * that need --jtt-share are usage errors naming the option; --help documents every one.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.ts';
import { parseCli, toOptions, USAGE } from '../../firmware-sim/main.ts';

describe('faregate-sim JT/T options', () => {
  it('--jtt-share with an encoding list, riders and a directory become the simulator’s JT/T traffic', () => {
    const o = toOptions(
      parseCli(['--jtt-share', '0.25', '--jtt-encoding', 'binary,hex', '--jtt-riders', '7', '--jtt-dir', '/tmp/x']),
    );
    expect(o.jtt).toEqual({ share: 0.25, encodings: ['binary', 'hex'], riders: 7, dir: '/tmp/x' });
  });

  it('without --jtt-share there are no JT/T riders (FG1 only, as before); the default encoding is hex', () => {
    expect(toOptions(parseCli([])).jtt).toBeUndefined();
    expect(toOptions(parseCli(['--jtt-share', '1'])).jtt).toEqual({ share: 1, encodings: ['hex'] });
  });

  it.each([
    [['--jtt-share', '1.5'], '--jtt-share: must be a share in 0..1'],
    [['--jtt-share', 'x'], '--jtt-share: must be a share in 0..1'],
    [['--jtt-share', '1', '--jtt-encoding', 'bin'], '--jtt-encoding: must be binary, hex, base64 or a comma list'],
    [['--jtt-riders', '3'], '--jtt-riders: needs --jtt-share above 0'],
    [['--jtt-dir', '/tmp/x'], '--jtt-dir: needs --jtt-share above 0'],
    [
      ['--jtt-share', '1', '--jtt-encoding', 'binary', '--suffix', 'custom:03'],
      '--jtt-encoding: binary frames end with --suffix cr, lf, crlf or none',
    ],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(UsageError);
    expect(() => parseCli(argv)).toThrow(message);
  });

  it('--help documents every JT/T option', () => {
    for (const opt of ['--jtt-share', '--jtt-encoding', '--jtt-riders', '--jtt-dir']) expect(USAGE).toContain(opt);
    expect(USAGE).toMatch(/binary \(raw bytes/);
  });
});
