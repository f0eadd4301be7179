/**
 * The error codes (src/errors/errorCodes.ts): numbers unique and in their area's hundreds, each
 * exit code one of the command line's public table, docs/errors.md current and naming every
 * code; the CLI maps an error to its code's exit code.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ArgumentError, UsageError } from '../../src/cli/errors.ts';
import { OutputClosedError } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { EXIT_CODE_TABLE } from '../../src/cli/spec/exitCodes.ts';
import { ConfigError } from '../../src/config/load.ts';
import { ERROR_CODES, errorTag, type ErrorCode } from '../../src/errors/errorCodes.ts';
import { AREA_HUNDREDS, errorsMarkdown } from '../../src/errors/errorsDoc.ts';
import { errorFields, errorMessage, FaregateError, systemErrorCode } from '../../src/errors/faregateError.ts';
import { FramingOptionsError } from '../../src/scanner/framer.ts';
import { latestVersion, TAP_STORE_MIGRATIONS } from '../../src/store/migrations.ts';
import { TransportConfigError } from '../../src/scanner/createTransport.ts';
import { NoStoreError } from '../../src/store/storeReader.ts';

const DOC = fileURLToPath(new URL('../../docs/errors.md', import.meta.url));
const codes = Object.entries(ERROR_CODES) as [ErrorCode, (typeof ERROR_CODES)[ErrorCode]][];

describe('the error codes', () => {
  it('have unique numbers', () => {
    const numbers = codes.map(([, c]) => c.number);
    expect(new Set(numbers).size).toBe(numbers.length);
  });

  it("lie in their area's hundreds", () => {
    const outside = codes.filter(([, c]) => Math.floor(c.number / 100) !== AREA_HUNDREDS[c.area].hundreds);
    expect(outside.map(([name, c]) => `${name} ${c.number} (${c.area})`)).toEqual([]);
  });

  it("give an exit code of the command line's public table", () => {
    const table = new Set(EXIT_CODE_TABLE.map(([n]) => n));
    expect(codes.filter(([, c]) => !table.has(c.exit)).map(([name]) => name)).toEqual([]);
  });

  it('are all in docs/errors.md, which is generated from them (npm run errors:generate)', () => {
    const doc = readFileSync(DOC, 'utf8');
    expect(doc).toBe(errorsMarkdown());
    for (const [name] of codes) expect(doc).toContain(`| ${errorTag(name)} | \`${name}\` |`);
  });
});

describe('the error classes', () => {
  it('carry the code of their kind, and their data', () => {
    const cases: [FaregateError, ErrorCode, 1 | 2 | 3][] = [
      [new UsageError('keys generate: --out x: no such file'), 'USAGE', 2],
      [new ArgumentError('keys generate', '--alg is required'), 'BAD_ARGUMENT', 2],
      [new OutputClosedError('EPIPE'), 'OUTPUT_CLOSED', 1],
      [new ConfigError('s.yaml', ['mode: bad']), 'SETTINGS_INVALID', 3],
      [new ConfigError('s.yaml', ['file not found'], 'SETTINGS_UNREADABLE'), 'SETTINGS_UNREADABLE', 3],
      [new NoStoreError('no store in /x'), 'STORE_NOT_FOUND', 2],
      [new FramingOptionsError('x'), 'FRAMING_OPTIONS', 3],
      [new TransportConfigError('x'), 'SCANNER_SETTINGS', 3],
    ];
    for (const [e, code, exit] of cases) {
      expect(e).toBeInstanceOf(FaregateError);
      expect([e.name, e.code, e.exitCode]).toEqual([e.constructor.name, code, exit]);
    }
    expect(new ArgumentError('keys generate', 'x').path).toBe('keys generate');
    expect(new OutputClosedError('EPIPE').errno).toBe('EPIPE');
    expect(new ConfigError('s.yaml', ['a', 'b']).problems).toEqual(['a', 'b']);
  });

  it('give log fields with the tag, and messages of anything thrown', () => {
    expect(errorFields(new NoStoreError('no store'))).toEqual({ err: 'no store', code: 'FG-202' });
    expect(errorFields(new Error('plain'))).toEqual({ err: 'plain' });
    expect(errorMessage('a string')).toBe('a string');
    expect(errorMessage(42)).toBe('42');
    expect(systemErrorCode(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('ENOENT');
    expect(systemErrorCode(new Error('x'))).toBeUndefined();
    expect(systemErrorCode(null)).toBeUndefined();
  });
});

describe('the command line', () => {
  function io() {
    const err: string[] = [];
    const stdin = (async function* (): AsyncGenerator<string> {})();
    return { err, io: { stdin, writeLine: async () => {}, error: (l: string) => void err.push(l) } };
  }

  it('ends with the exit code of a FaregateError and its tag on the failed: line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-errors-'));
    try {
      const file = join(dir, 'faregate.sqlite');
      const db = new Database(file);
      db.pragma('user_version = 9');
      db.close();
      const t = io();
      expect(await main(['taps', '--data-dir', dir], t.io)).toBe(1);
      expect(t.err).toEqual([
        `faregate taps: failed: FG-203 store ${file} has schema 9, newer than this program (${latestVersion(TAP_STORE_MIGRATIONS)})`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ends with a usage error's exit code 2 and its one line, untagged", async () => {
    const t = io();
    expect(await main(['taps', '--data-dir', '/nonexistent/faregate-test'], t.io)).toBe(2);
    expect(t.err).toEqual(['faregate taps: no store in /nonexistent/faregate-test (no faregate.sqlite there)']);
  });
});
