/**
 * Gates of one group in process: group key files in a temp dir, and whole ValidatorServices on
 * one MemoryBroker (fake scanner, recording gate, manual clock), for the rule tests of shared
 * replay memory. The wire is proven by groupOverMosquitto.test.ts with real processes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '../../src/config/schema.ts';
import type { Outcome } from '../../src/service/tapProcessor.ts';
import { ValidatorService } from '../../src/service/validatorService.ts';
import { generateKeyPair, type KeyPair } from '../../src/mint/keys.ts';
import { ALG_EDDSA } from '../../src/token/cose.ts';
import { FakeScanner, ManualClock, RecordingGate } from '../service/inProcess.ts';
import { captureLogger } from '../support/captureLogger.ts';
import { MemoryBroker, MemoryMqttLink } from '../support/memoryMqtt.ts';
import { busSettings } from '../support/serviceProcess.ts';

export interface GroupKeys {
  dir: string;
  /** The JWK Set file of the group's public keys (kid = device id). */
  keysFile: string;
  pairs: Map<string, KeyPair>;
  /** The private JWK file of a gate. */
  signingKeyFile(deviceId: string): string;
}

export function publicJwkOf(deviceId: string, pair: KeyPair): Record<string, unknown> {
  return { ...pair.publicKey.export({ format: 'jwk' }), alg: 'EdDSA', kid: deviceId };
}

/** Key pairs for the gates, their public JWK Set and one private JWK file each. */
export function groupKeys(deviceIds: string[]): GroupKeys {
  const dir = mkdtempSync(join(tmpdir(), 'faregate-group-'));
  const pairs = new Map(deviceIds.map((d) => [d, generateKeyPair(ALG_EDDSA)] as const));
  const keysFile = join(dir, 'group-keys.json');
  writeFileSync(keysFile, JSON.stringify({ keys: [...pairs].map(([d, p]) => publicJwkOf(d, p)) }));
  for (const [d, p] of pairs) {
    writeFileSync(join(dir, `${d}.key.json`), JSON.stringify({ ...p.privateKey.export({ format: 'jwk' }), kid: d }));
  }
  return { dir, keysFile, pairs, signingKeyFile: (d) => join(dir, `${d}.key.json`) };
}

export interface GroupGate {
  deviceId: string;
  /** The gate's data folder (its store): a restart builds a gate on the same one. */
  dataDir: string;
  svc: ValidatorService;
  scanner: FakeScanner;
  gate: RecordingGate;
  link: MemoryMqttLink;
  outcomes: Outcome[];
  log: ReturnType<typeof captureLogger>;
}

/** Builds (not starts) one gate of the group on the shared broker. */
export function groupGate(
  broker: MemoryBroker,
  keys: GroupKeys,
  deviceId: string,
  o: { clock?: ManualClock; group?: Record<string, unknown>; groupId?: string; dataDir?: string } = {},
): GroupGate {
  const dataDir = o.dataDir ?? join(mkdtempSync(join(tmpdir(), 'faregate-gate-')), 'data');
  const group = {
    id: o.groupId ?? 'station-1',
    keys: keys.keysFile,
    signingKey: keys.signingKeyFile(deviceId),
    ...o.group,
  };
  const config = ConfigSchema.parse(
    busSettings('/dev/fake-scanner', dataDir, { deviceId, mqtt: { url: 'mqtt://memory.invalid:1883' }, group }),
  );
  const scanner = new FakeScanner();
  const gate = new RecordingGate();
  const log = captureLogger();
  let link: MemoryMqttLink | undefined;
  const svc = new ValidatorService(config, {
    logger: log,
    clock: o.clock ?? new ManualClock(),
    scannerTransport: () => scanner,
    gateDriver: gate,
    mqtt: (m) => (link = new MemoryMqttLink(broker, m.deviceId, m.statusFields, m.cfg.topicPrefix)),
  });
  const outcomes: Outcome[] = [];
  svc.onOutcome((x) => outcomes.push(x));
  return { deviceId, dataDir, svc, scanner, gate, link: link!, outcomes, log };
}

/** Waits until `check` holds (polling every 5 ms), or fails after `ms`. */
export async function until(check: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
