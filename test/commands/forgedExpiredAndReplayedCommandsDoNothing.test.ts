/**
 * Commands that must do nothing: a bad signature, an unknown kid, a pinned kid with someone
 * else's key, another device, expired, not yet valid, too long-lived, and a replayed id — also
 * replayed after a restart. Each is answered with a specific refusal (when an id can be read),
 * logged, raised as an event, and changes no mode.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCommand } from '../../src/fleet/commandTypes.ts';
import { signFlattenedJws } from '../../src/lists/jws.ts';
import { sleep, waitFor } from '../support/pty.ts';
import { killAllServices } from '../support/serviceProcess.ts';
import { Harness, operatorSigner, type Reply } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => {
  await h?.stop();
  await killAllServices();
});

async function modes(): Promise<unknown> {
  const r = await h.send('status');
  const m = (r.result!.status as any).policy.modes;
  return { free_pass: m.free_pass.on, out_of_service: m.out_of_service.on };
}

const OFF = { free_pass: false, out_of_service: false };

async function expectRefused(r: Reply, error: string): Promise<void> {
  expect(r).toMatchObject({ ok: false, error, deviceId: h.deviceId });
  expect(typeof r.detail).toBe('string');
  await waitFor(() => h.events.find((e) => e.kind === 'command' && e.id === r.id && e.ok === false && e.error === error), `refusal event for ${r.id}`);
  await h.svc.waitForLine((l) => l.msg === 'command refused' && l.commandId === r.id && l.error === error, `refusal log for ${r.id}`);
  expect(await modes()).toEqual(OFF);
}

describe('forged, misdirected, expired and replayed commands', () => {
  it('a tampered payload (bad signature) does nothing', async () => {
    const { payload, jws } = h.sign('free_pass', { on: true });
    const tampered = { ...jws, payload: Buffer.from(JSON.stringify({ ...payload, cmd: 'out_of_service' })).toString('base64url') };
    await expectRefused(await h.sendRaw(JSON.stringify(tampered), payload.id), 'bad_signature');
    // A signature over other bytes, too.
    const other = h.sign('free_pass', { on: false });
    await expectRefused(await h.sendRaw(JSON.stringify({ ...jws, signature: other.jws.signature }), payload.id), 'bad_signature');
  });

  it('an unknown kid does nothing; a pinned kid with another key does nothing', async () => {
    const stranger = operatorSigner();
    await expectRefused(await h.send('free_pass', { on: true }, { signer: stranger }), 'unknown_kid');
    const impostor = { ...operatorSigner(), kid: h.op.kid };
    await expectRefused(await h.send('free_pass', { on: true }, { signer: impostor }), 'bad_signature');
    // The header says ES256, the pinned key is Ed25519.
    const es = operatorSigner(-7 as const);
    await expectRefused(await h.send('free_pass', { on: true }, { signer: { ...es, kid: h.op.kid } }), 'alg_mismatch');
  });

  it('a command for another device does nothing', async () => {
    await expectRefused(await h.send('out_of_service', { on: true }, { deviceId: 'some-other-gate' }), 'wrong_device');
  });

  it('an expired, a not-yet-valid and a too long-lived command do nothing', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await h.send('free_pass', { on: true }, { issuedAt: now - 300, expiresAt: now - 60 }), 'expired');
    await expectRefused(await h.send('free_pass', { on: true }, { issuedAt: now + 600, expiresAt: now + 660 }), 'not_yet_valid');
    await expectRefused(await h.send('free_pass', { on: true }, { issuedAt: now, expiresAt: now + 86_400 }), 'lifetime_too_long');
    // Within the skew (30 s) an expiry just past is still honoured — with an ES256 key this time.
    const ok = await h.send('out_of_service', { on: false }, { issuedAt: now - 20, expiresAt: now - 5, signer: h.op2 });
    expect(ok).toMatchObject({ ok: true, result: { changed: false } });
  });

  it('garbage on the command topic gets no reply, only a log line and an event', async () => {
    const from = h.svc.lines.length;
    await h.client!.publishAsync(`faregate/v1/gates/${h.deviceId}/cmd`, 'not json at all', { qos: 1 });
    await h.svc.waitForLine((l) => l.msg === 'command refused' && l.error === 'malformed', 'malformed refusal', 5000, from);
    // Unsigned but well-formed-looking: refused with its id.
    const id = randomUUID();
    const unsigned = { protected: Buffer.from('{"alg":"none","typ":"faregate-cmd+json"}').toString('base64url'), payload: Buffer.from(JSON.stringify({ id, cmd: 'free_pass' })).toString('base64url'), signature: 'AA' };
    await expectRefused(await h.sendRaw(JSON.stringify(unsigned), id), 'unsupported_alg');
  });

  it('a replayed id does nothing, also after a restart', async () => {
    const on = h.sign('free_pass', { on: true }, { id: 'evac-1' });
    const text = JSON.stringify(on.jws);
    expect(await h.sendRaw(text, 'evac-1')).toMatchObject({ ok: true, result: { on: true } });
    expect(await h.send('free_pass', { on: false }, { id: 'evac-1-lift' })).toMatchObject({ ok: true, result: { on: false } });
    // The very same signed message again: refused, free pass stays off.
    await expectRefused(await h.sendRaw(text, 'evac-1'), 'replayed');
    // Another command reusing the id (properly signed): refused too.
    await expectRefused(await h.send('out_of_service', { on: true }, { id: 'evac-1' }), 'replayed');

    await h.restartService();
    await expectRefused(await h.sendRaw(text, 'evac-1'), 'replayed');
    expect(await h.send('status')).toMatchObject({ ok: true });
    await sleep(100);
    expect((await h.send('status')).result!.status).toMatchObject({ policy: { modes: { free_pass: { on: false, by: 'evac-1-lift' } } } });
  }, 60_000);

  it('a signed command with a bad payload or an unknown command does nothing', async () => {
    const now = Math.floor(Date.now() / 1000);
    const id = randomUUID();
    const jws = signCommand({ id, deviceId: h.deviceId, cmd: 'free_pass', args: { on: 'yes' }, issuedAt: now, expiresAt: now + 60 }, h.op);
    await expectRefused(await h.sendRaw(JSON.stringify(jws), id), 'bad_args');
    await expectRefused(await h.send('self_destruct'), 'unknown_command');
    const id2 = randomUUID();
    const noTimes = signCommand({ id: id2, deviceId: h.deviceId, cmd: 'status' }, h.op);
    await expectRefused(await h.sendRaw(JSON.stringify(noTimes), id2), 'bad_payload');
    // Signed by a pinned key but not typed as a command (e.g. another kind of signed document).
    const id3 = randomUUID();
    const untyped = signFlattenedJws({ id: id3, deviceId: h.deviceId, cmd: 'free_pass', args: { on: true }, issuedAt: now, expiresAt: now + 60 }, h.op);
    await expectRefused(await h.sendRaw(JSON.stringify(untyped), id3), 'wrong_typ');
  });
});
