/**
 * `faregate backend --lanes N` opens N MQTT sessions of one shared group; without a shared
 * subscription every lane would get every batch, so it is refused as a usage error (exit 2,
 * one line), as is a count outside 1..16. Nothing is opened: the SQLite file is not created.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFaregate } from '../support/cli.ts';
import { tempDir } from './fakeGate.ts';

describe('backend --lanes', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  const db = join(tmp.dir, 'lanes.db');
  const base = ['backend', '--mqtt', 'mqtt://127.0.0.1:1', '--db', db];

  it.each([
    [['--lanes', '2', '--no-shared'], '--lanes: more than one lane needs an MQTT 5 shared subscription'],
    [['--lanes', '2', '--protocol', '4'], '--lanes: more than one lane needs an MQTT 5 shared subscription'],
    [['--lanes', '0'], '--lanes: must be a whole number from 1 to 16'],
    [['--lanes', '17'], '--lanes: must be a whole number from 1 to 16'],
  ])('%j is refused: exit 2, one line', async (extra, message) => {
    const r = await runFaregate([...base, ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toContain(message);
    expect(existsSync(db)).toBe(false);
  });
});
