/**
 * A missing required option, an unknown option, a missing value, a value outside the choices, a
 * bad value: the real command prints one line in words on stderr, then the usage, and exits 2.
 */
import { describe, expect, it } from 'vitest';
import { runFaregate } from '../support/cli.ts';

describe('argument errors', () => {
  it.each([
    [['verify'], 'faregate verify: give --trust, --jtt-roots or both'],
    [
      ['verify', '--trust'],
      'faregate verify: --trust FILE: the value is missing (a trust list file for FG1 codes, JWK Set)',
    ],
    [
      ['verify', '--trust', '--mode', 'bus'],
      'faregate verify: --trust FILE: the value is missing before --mode (a trust list file for FG1 codes, JWK Set)',
    ],
    [['verify', '--trust', 't.json', '--mode', 'tram'], 'faregate verify: --mode must be bus or metro, not "tram"'],
    [['verify', '--trust', 't.json', '--skew', 'soon'], 'faregate verify: --skew: must be a number'],
    [
      ['verify', '--trust', 't.json', '--trusts', 'x'],
      'faregate verify: unknown option --trusts; did you mean --trust?',
    ],
    [['verify', '--trust', 'a.json', '--trust', 'b.json'], 'faregate verify: --trust is given more than once'],
    [['keys', 'generate', '--alg', 'RSA'], 'faregate keys generate: --alg must be EdDSA or ES256, not "RSA"'],
    [['keys', 'generate', '--force=yes', '--out', 'k'], 'faregate keys generate: --force takes no value (got "yes")'],
    [
      ['keys', 'generate', '--kid', 'audit-m', '--print-private'],
      "faregate keys generate: --kid: is not canonical base64url (its last character's unused bits are not 0): it would be written as audit-k",
    ],
    [
      ['issue', '--issuer', 'i', '--rider', 'r'],
      'faregate issue: missing --sub (the rider account id, 1..32 bytes in hex, pseudonymous)',
    ],
    [
      ['code', '--seq', '1'],
      "faregate code: missing --credential (a credential file, as written by faregate issue); missing --rider (the rider's private key, JWK)",
    ],
    [['backend', 'report'], "faregate backend report: missing --db (the backend's SQLite file or postgres:// URL)"],
    [['lists', 'sign', '--type', 'both'], 'faregate lists sign: --type must be trust, deny or jtt-roots, not "both"'],
    [
      ['cmd', 'send', '--device', 'd'],
      'faregate cmd send: missing --mqtt (the broker, mqtt://host:port or mqtts://host:port); missing --cmd (the command: free_pass, out_of_service, reload_config, status, log_level); missing --key (the operator private key, JWK with kid)',
    ],
    [['taps', '--data-dir', '/tmp', '--limit', '0'], 'faregate taps: --limit: must be 1 or more'],
  ])('%j', async (args, first) => {
    const r = await runFaregate(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(first);
    const path = first.slice('faregate '.length, first.indexOf(':'));
    expect(lines[1]).toMatch(new RegExp(`^usage: faregate ${path} `));
    expect(lines.at(-1)).toBe(`(faregate ${path} --help lists every option)`);
  });

  it('a group without its subcommand, or with an unknown one, shows the subcommands, exit 2', async () => {
    const none = await runFaregate(['lists']);
    expect(none.code).toBe(2);
    expect(none.stderr.split('\n')[0]).toBe('faregate lists: missing subcommand (sign, publish)');
    expect(none.stderr).toContain('usage: faregate lists sign ');
    expect(none.stderr).toContain('usage: faregate lists publish ');
    const bad = await runFaregate(['backend', 'reprot', '--db', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('faregate backend: unknown subcommand reprot; did you mean report?');
  });
});
