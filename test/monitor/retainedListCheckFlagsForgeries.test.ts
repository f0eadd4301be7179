/**
 * The retained-list check of `faregate monitor --root-keys` (src/monitor/retainedLists.ts) and its
 * rendering, in-process: a document signed by a root key verifies; one signed by any other key, a
 * tampered one, a list of the other type on the topic, or garbage is LIST FORGED with the reason a
 * gate would refuse it for; an empty retained payload is no list. The default snapshot and output
 * are unchanged (no retainedLists) unless the retained lists are watched.
 */
import { describe, expect, it } from 'vitest';
import { keySetFromJson } from '../../src/lists/jws.ts';
import { FleetModel } from '../../src/monitor/fleetModel.ts';
import { renderFleet } from '../../src/monitor/render.ts';
import { checkRetainedList } from '../../src/monitor/retainedLists.ts';
import { ROOT } from '../jtt/jttFixtures.ts';
import { denyDoc, jttRootsDoc, makeRoot, trustDoc } from './retainedListSigns.ts';

const root = makeRoot('ops-root-1');
const roots = keySetFromJson({ keys: [root.jwk] });
const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('checking a retained list against the root keys', () => {
  it('a list signed by a root key verifies, with its version', async () => {
    expect(await checkRetainedList('trust', bytes(trustDoc(root, 7)), roots)).toMatchObject({
      type: 'trust',
      state: 'verified',
      version: 7,
      kind: 'snapshot',
      kid: 'ops-root-1',
    });
  });

  it('a list signed by another key is forged (unknown_root_kid), even with a high version', async () => {
    const other = makeRoot('attacker');
    expect(await checkRetainedList('deny', bytes(denyDoc(other, 1_000_000)), roots)).toMatchObject({
      state: 'forged',
      reason: 'unknown_root_kid',
    });
  });

  it('a list naming the root kid but signed by another key is forged (bad_signature)', async () => {
    const impostor = makeRoot('ops-root-1');
    expect(await checkRetainedList('deny', bytes(denyDoc(impostor, 9)), roots)).toMatchObject({
      state: 'forged',
      reason: 'bad_signature',
    });
  });

  it('a genuine deny list retained on the trust topic is forged (wrong_type)', async () => {
    expect(await checkRetainedList('trust', bytes(denyDoc(root, 3)), roots)).toMatchObject({
      state: 'forged',
      reason: 'wrong_type',
    });
  });

  it('garbage is forged (malformed); an empty retained payload is no list', async () => {
    expect(await checkRetainedList('deny', bytes('x'.repeat(5000)), roots)).toMatchObject({
      state: 'forged',
      reason: 'malformed',
      bytes: 5000,
    });
    expect(await checkRetainedList('deny', new Uint8Array(0), roots)).toBeNull();
  });
});

describe('checking a retained JT/T root list', () => {
  const entry = { index: 23, key: ROOT.compressed.toString('hex') };

  it('a root list signed by a root key verifies, with its version', async () => {
    expect(await checkRetainedList('jtt-roots', bytes(jttRootsDoc(root, 4, [entry])), roots)).toMatchObject({
      type: 'jtt-roots',
      state: 'verified',
      version: 4,
      kid: 'ops-root-1',
    });
  });

  it('one signed by another key, one with a bad entry, or a trust list on its topic is forged', async () => {
    const other = await checkRetainedList('jtt-roots', bytes(jttRootsDoc(makeRoot('x'), 5, [entry])), roots);
    expect(other).toMatchObject({ state: 'forged', reason: 'unknown_root_kid' });
    const bad = await checkRetainedList('jtt-roots', bytes(jttRootsDoc(root, 5, [{ index: 23, key: 'zz' }])), roots);
    expect(bad).toMatchObject({ state: 'forged', reason: 'malformed', detail: 'roots[0].key: not hex' });
    const trust = await checkRetainedList('jtt-roots', bytes(trustDoc(root, 6)), roots);
    expect(trust).toMatchObject({ state: 'forged', reason: 'wrong_type' });
  });
});

describe('the monitor view of the retained lists', () => {
  it('shows nothing about them unless watched (the default output is unchanged)', () => {
    const m = new FleetModel('faregate/v1');
    expect(m.snapshot()).not.toHaveProperty('retainedLists');
    expect(renderFleet(m.snapshot(), { color: false }).join('\n')).not.toContain('retained lists');
  });

  it('shows each list: vN ok, none, LIST FORGED (reason); a cleared list becomes none', async () => {
    const m = new FleetModel('faregate/v1');
    m.watchRetainedLists();
    expect(renderFleet(m.snapshot(), { color: false })[1]).toBe('retained lists on the broker: trust none, deny none');
    m.setRetainedList('trust', await checkRetainedList('trust', bytes(trustDoc(root, 12)), roots));
    m.setRetainedList('deny', await checkRetainedList('deny', bytes(denyDoc(makeRoot('x'), 99)), roots));
    expect(renderFleet(m.snapshot(), { color: false })[1]).toBe(
      'retained lists on the broker: trust v12 ok, deny LIST FORGED (unknown_root_kid)',
    );
    expect(m.snapshot().retainedLists?.deny).toMatchObject({ state: 'forged' });
    // In colour, the forged one is red.
    expect(renderFleet(m.snapshot(), { color: true })[1]).toContain('\x1b[31mdeny LIST FORGED');
    m.setRetainedList('deny', null);
    expect(m.snapshot().retainedLists?.deny).toBe('none');
  });

  it('shows the JT/T root list once a retained one was seen', async () => {
    const m = new FleetModel('faregate/v1');
    m.watchRetainedLists();
    expect(m.snapshot().retainedLists).not.toHaveProperty('jtt-roots');
    m.setRetainedList('jtt-roots', await checkRetainedList('jtt-roots', bytes(trustDoc(root, 2)), roots));
    expect(renderFleet(m.snapshot(), { color: false })[1]).toBe(
      'retained lists on the broker: trust none, deny none, jtt-roots LIST FORGED (wrong_type)',
    );
  });
});
