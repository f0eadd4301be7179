/**
 * RemoteCommands in process (in-memory broker, real store in a temp dir, manual clock): every
 * refusal answers with its specific error (when an id can be read), logs, raises an event and
 * changes no mode; accepted commands reply under their id and change the modes, which are on disk
 * (or the command is refused with FG-503 and nothing changes).
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signCommand } from '../../src/fleet/commandTypes.ts';
import { signFlattenedJws } from '../../src/lists/jws.ts';
import { GateModes } from '../../src/policy/gateModes.ts';
import { ALG_ES256 } from '../../src/token/cose.ts';
import { waitFor } from '../support/pty.ts';
import { CommandBench, operatorSigner, type Reply } from './support.ts';

let b: CommandBench;
afterEach(() => b?.dispose());

const OFF = { free_pass: false, out_of_service: false };

function expectRefused(r: Reply | undefined, error: string): void {
  expect(r).toMatchObject({ ok: false, error, deviceId: b.deviceId });
  expect(typeof r!.detail).toBe('string');
  expect(
    b
      .events()
      .filter((e) => e.kind === 'command' && e.id === r!.id)
      .at(-1),
  ).toMatchObject({ ok: false, error });
  expect(b.log.lines.filter((l) => l.msg === 'command refused' && l.commandId === r!.id).at(-1)).toMatchObject({
    error,
  });
  expect(b.modes()).toEqual(OFF);
}

describe('remote commands refused', () => {
  it('a bad signature: tampered payload, or a signature over other bytes', async () => {
    b = new CommandBench().start();
    const { payload, jws } = b.sign('free_pass', { on: true });
    const forged = Buffer.from(JSON.stringify({ ...payload, cmd: 'out_of_service' })).toString('base64url');
    expectRefused(await b.sendRaw(JSON.stringify({ ...jws, payload: forged }), payload.id), 'bad_signature');
    const other = b.sign('free_pass', { on: false });
    expectRefused(
      await b.sendRaw(JSON.stringify({ ...jws, signature: other.jws.signature }), payload.id),
      'bad_signature',
    );
  });

  it("an unknown kid, a pinned kid with another key, an alg that is not the pinned key's", async () => {
    b = new CommandBench().start();
    expectRefused(await b.send('free_pass', { on: true }, { signer: operatorSigner() }), 'unknown_kid');
    expectRefused(
      await b.send('free_pass', { on: true }, { signer: { ...operatorSigner(), kid: b.op.kid } }),
      'bad_signature',
    );
    const es = operatorSigner(ALG_ES256);
    expectRefused(await b.send('free_pass', { on: true }, { signer: { ...es, kid: b.op.kid } }), 'alg_mismatch');
    const id = randomUUID();
    const none = {
      protected: Buffer.from('{"alg":"none","typ":"faregate-cmd+json"}').toString('base64url'),
      payload: Buffer.from(JSON.stringify({ id, cmd: 'free_pass' })).toString('base64url'),
      signature: 'AA',
    };
    expectRefused(await b.sendRaw(JSON.stringify(none), id), 'unsupported_alg');
  });

  it('another device', async () => {
    b = new CommandBench().start();
    expectRefused(await b.send('out_of_service', { on: true }, { deviceId: 'some-other-gate' }), 'wrong_device');
  });

  it('expired, not yet valid, too long-lived; an expiry within the skew is honoured', async () => {
    b = new CommandBench().start();
    const now = Math.floor(b.nowMs / 1000);
    expectRefused(await b.send('free_pass', { on: true }, { issuedAt: now - 300, expiresAt: now - 60 }), 'expired');
    expectRefused(
      await b.send('free_pass', { on: true }, { issuedAt: now + 600, expiresAt: now + 660 }),
      'not_yet_valid',
    );
    expectRefused(
      await b.send('free_pass', { on: true }, { issuedAt: now, expiresAt: now + 86_400 }),
      'lifetime_too_long',
    );
    // The skew (30 s): an expiry 5 s ago still counts.
    const late = await b.send(
      'out_of_service',
      { on: false },
      { issuedAt: now - 20, expiresAt: now - 5, signer: b.op2 },
    );
    expect(late).toMatchObject({ ok: true, result: { changed: false } });
    // The clock moves on: the same kind of command, 40 s past its expiry, is refused.
    b.nowMs += 40_000;
    expectRefused(await b.send('free_pass', { on: true }, { issuedAt: now, expiresAt: now + 1 }), 'expired');
  });

  it('a replayed id, also after a restart', async () => {
    b = new CommandBench().start();
    const on = b.sign('free_pass', { on: true }, { id: 'evac-1' });
    const text = JSON.stringify(on.jws);
    expect(await b.sendRaw(text, 'evac-1')).toMatchObject({ ok: true, result: { on: true, changed: true } });
    expect(await b.send('free_pass', { on: false }, { id: 'evac-1-lift' })).toMatchObject({ ok: true });
    expectRefused(await b.sendRaw(text, 'evac-1'), 'replayed');
    expectRefused(await b.send('out_of_service', { on: true }, { id: 'evac-1' }), 'replayed');
    b.restart();
    expectRefused(await b.sendRaw(text, 'evac-1'), 'replayed');
    expect(b.policy.modes.status().free_pass).toMatchObject({ on: false, by: 'evac-1-lift' });
  });

  it('an unknown command, bad arguments, a bad payload, a document not typed as a command', async () => {
    b = new CommandBench().start();
    const now = Math.floor(b.nowMs / 1000);
    expectRefused(await b.send('self_destruct'), 'unknown_command');
    expectRefused(await b.send('free_pass', { on: 'yes' }), 'bad_args');
    expectRefused(await b.send('log_level', { level: 'loud' }), 'bad_args');
    expectRefused(await b.send('status', { extra: 1 }), 'bad_args');
    const id = randomUUID();
    const noTimes = signCommand({ id, deviceId: b.deviceId, cmd: 'status' }, b.op);
    expectRefused(await b.sendRaw(JSON.stringify(noTimes), id), 'bad_payload');
    const id2 = randomUUID();
    const payload = {
      id: id2,
      deviceId: b.deviceId,
      cmd: 'free_pass',
      args: { on: true },
      issuedAt: now,
      expiresAt: now + 60,
    };
    expectRefused(await b.sendRaw(JSON.stringify(signFlattenedJws(payload, b.op)), id2), 'wrong_typ');
  });

  it('garbage on the command topic: no reply, a log line and an event', async () => {
    b = new CommandBench().start();
    await b.sendRaw('not json at all');
    expect(b.replies()).toEqual([]);
    expect(b.log.lines.find((l) => l.msg === 'command refused')).toMatchObject({ error: 'malformed' });
    expect(b.events().find((e) => e.kind === 'command')).toMatchObject({ ok: false, error: 'malformed' });
  });
});

describe('remote commands accepted', () => {
  it('free_pass and out_of_service reply under their id, change the modes and write them to the store', async () => {
    b = new CommandBench().start();
    const on = await b.send('free_pass', { on: true }, { id: 'evac-on' });
    expect(on).toMatchObject({
      id: 'evac-on',
      ok: true,
      cmd: 'free_pass',
      result: { mode: 'free_pass', on: true, changed: true },
    });
    expect(b.policy.freePass).toBe(true);
    expect(b.events().find((e) => e.id === 'evac-on')).toMatchObject({ kind: 'command', ok: true, cmd: 'free_pass' });
    expect(await b.send('out_of_service', { on: true }, { id: 'oos-on' })).toMatchObject({
      ok: true,
      result: { changed: true },
    });
    expect(await b.send('out_of_service', { on: true })).toMatchObject({ ok: true, result: { changed: false } });
    // On disk, read by another connection.
    const db = new Database(join(b.dir, 'data', 'faregate.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT name, is_on, by FROM gate_modes ORDER BY name').all();
    db.close();
    expect(rows).toEqual([
      { name: 'free_pass', is_on: 1, by: 'evac-on' },
      { name: 'out_of_service', is_on: 1, by: 'oos-on' },
    ]);
    // A restart (power cut) restores both.
    b.restart();
    expect(b.policy.modes.status()).toMatchObject({
      free_pass: { on: true, by: 'evac-on' },
      out_of_service: { on: true },
    });
  });

  it('an evacuation mode that cannot be written is refused (FG-503) and not switched on', async () => {
    b = new CommandBench().start({ modes: false });
    const r = await b.send('free_pass', { on: true }, { id: 'evac-no-store' });
    expect(r).toMatchObject({ ok: false, error: 'failed' });
    expect(r.detail).toBe('FG-503: free_pass not changed: the store is not open, the mode cannot be persisted');
    expect(b.policy.freePass).toBe(false);
    expect(b.modes()).toEqual(OFF);
    // Directly: GateModes refuses, unchanged in memory.
    const modes = new GateModes();
    expect(() => modes.set('free_pass', true, 1, 'x')).toThrow(expect.objectContaining({ code: 'MODE_NOT_PERSISTED' }));
    expect(modes.status().free_pass).toEqual({ on: false });
  });

  it('an evacuation mode whose write fails is refused and not switched on', async () => {
    b = new CommandBench().start();
    b.store.database.exec('DROP TABLE gate_modes');
    const r = await b.send('free_pass', { on: true });
    expect(r).toMatchObject({ ok: false, error: 'failed' });
    expect(r.detail).toMatch(/^FG-503: free_pass not changed: the mode could not be persisted \(.*gate_modes/);
    expect(b.policy.freePass).toBe(false);
  });

  it('status and log_level answer; commands are handled in the order they arrive', async () => {
    b = new CommandBench().start();
    const st = await b.send('status', {}, { id: 'status-1' });
    expect(st).toMatchObject({ id: 'status-1', ok: true, result: { status: { deviceId: b.deviceId } } });
    const lvl = await b.send('log_level', { level: 'warn' });
    expect(lvl).toMatchObject({ ok: false, error: 'failed', detail: 'FG-501: this logger has no settable level' });
    // Three commands at once: on, off, on — applied in that order whatever the signature checks take.
    const ids = ['a', 'b', 'c'].map((x) => `order-${x}`);
    const docs = ids.map((id, i) => JSON.stringify(b.sign('free_pass', { on: i !== 1 }, { id }).jws));
    const stats = b.setup.commands!.stats;
    const before = stats.accepted + stats.refused;
    for (const d of docs) b.broker.inject(b.link.topics.cmd, d);
    await waitFor(() => stats.accepted + stats.refused === before + 3, 'three commands handled');
    await b.idle();
    const order = b
      .replies()
      .filter((r) => ids.includes(r.id))
      .map((r) => [r.id, r.result?.on]);
    expect(order).toEqual([
      ['order-a', true],
      ['order-b', false],
      ['order-c', true],
    ]);
    expect(b.policy.modes.status().free_pass).toMatchObject({ on: true, by: 'order-c' });
  });
});
