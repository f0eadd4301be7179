/**
 * Shared replay memory within a group of gates (docs/replay-sharing.md): a station's gates, or a
 * bus's two doors, tell each other every code they accepted, so that a screenshot of a ride code
 * shown at the next gate a second later is refused as `replay` there.
 *
 * After the commit and the gate signal (never on the rider's path) the gate signs
 * `{deviceId, codeId, sub, at}` with its own key (a flattened JWS, typ `faregate-accept+json`,
 * kid = its device id) and publishes it on `P/groups/G/accepts`, QoS 1, not retained. What
 * cannot be published (offline, broker down) waits in a bounded queue and is sent on reconnect.
 * A gate merges what it hears into its replay memory when the signature verifies with the
 * group's key of that kid, the payload's deviceId is the kid, it is not its own, and `at` lies
 * within the replay retention and not beyond the skew in the future. The broker cannot forge an
 * entry; a gate of the group (its key) can: that is the trust the group's key set expresses.
 * Each merged entry is handed to `keep` (the tap store's `group_accepts`, written in batches off
 * the decision's path), so a restart does not forget it.
 */
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { ACCEPT_TYP, AcceptAnnouncementSchema, groupTopics, type AcceptAnnouncement } from '../contract/settlement.ts';
import { errorFields, errorMessage } from '../errors/faregateError.ts';
import { loadKeySetFile, signFlattenedJws, unverifiedPayload, verifyFlattenedJws } from '../lists/jws.ts';
import type { FlattenedJws, JwsKeySet, JwsSigner } from '../lists/jws.ts';
import { jsonFileProblem } from '../lists/jwkSet.ts';
import { keyPairFromJwk, type Jwk } from '../mint/keys.ts';
import type { MqttPort } from '../mqtt/mqttPort.ts';
import type { Component } from '../platform/component.ts';
import type { Logger } from '../platform/logger.ts';
import { riderKey, type ReplayMemory } from '../token/replayMemory.ts';

export type ShareRefusal =
  | 'malformed'
  | 'wrong_typ'
  | 'unsupported_alg'
  | 'unknown_kid'
  | 'alg_mismatch'
  | 'key_not_valid'
  | 'bad_signature'
  | 'not_its_device'
  | 'stale'
  | 'future';

export interface ReplayShareStats {
  /** Announcements of this gate published. */
  announced: number;
  /** Announcements received from the broker, this gate's own left out (verified or not). */
  heard: number;
  /** Waiting for the broker. */
  queued: number;
  /** Dropped from a full queue (the others did not hear of these accepts). */
  droppedQueued: number;
  /** Entries of other gates merged into the replay memory. */
  merged: number;
  /** Verified announcements of a code already held (heard twice, or accepted here too). */
  known: number;
  /** Refused announcements, by reason. */
  refused: Partial<Record<ShareRefusal, number>>;
  /** When a verified announcement of each other gate of the group last arrived (Unix ms, local clock). */
  lastHeardAt: Record<string, number>;
}

/** Where merged entries are kept for the next start (src/store/groupAccepts.ts). */
export interface MergedEntrySink {
  record(e: { codeId: string; sub: string; at: number; fromGate: string }): void;
  /** Entries written to the store. */
  readonly written: number;
  /** Entries not written (a full queue, a failed write). */
  readonly dropped: number;
}

/** The replay-sharing figures of the status (`group`; docs/replay-sharing.md "In the status"). */
export interface ReplayShareStatus {
  /** `group.id`. */
  id: string;
  announced: number;
  queued: number;
  droppedQueued: number;
  heard: number;
  merged: number;
  known: number;
  /** Refused announcements by reason (only reasons seen). */
  refused: Partial<Record<ShareRefusal, number>>;
  /** Merged entries written to the store for the next start, and those that could not be. */
  kept: number;
  notKept: number;
  /** Each other gate of the group (by device id): when it was last heard (Unix ms), null if never. */
  lastHeardAt: Record<string, number | null>;
}

export interface ReplayShareDeps {
  groupId: string;
  deviceId: string;
  topicPrefix: string;
  /** The group's public keys by kid (= device id). */
  keys: JwsKeySet;
  signer: JwsSigner;
  link: MqttPort;
  replay: ReplayMemory;
  /** Unix ms. */
  now: () => number;
  /** Seconds an announcement may come from the future (clock differences between gates). */
  skewSec: number;
  maxQueued: number;
  log: Logger;
  /** How long a publish may wait for the broker before it counts as failed (ms). */
  publishTimeoutMs?: number;
  /** Keeps each merged entry for the next start (absent: held in memory only). */
  keep?: MergedEntrySink;
}

/** An announcement is ~400 bytes; anything larger is refused before it is parsed. */
export const MAX_ANNOUNCEMENT_BYTES = 2048;

interface Pending {
  a: AcceptAnnouncement;
  jws?: FlattenedJws;
  inFlight?: boolean;
}

export class ReplayShare implements Component {
  readonly name = 'replay-share';
  readonly topic: string;
  readonly stats: ReplayShareStats = {
    announced: 0,
    heard: 0,
    queued: 0,
    droppedQueued: 0,
    merged: 0,
    known: 0,
    refused: {},
    lastHeardAt: {},
  };
  private queue: Pending[] = [];
  private stopped = true;
  private scheduled = false;
  private readonly onConnected = () => this.kick();

  constructor(private readonly d: ReplayShareDeps) {
    this.topic = groupTopics(d.topicPrefix, d.groupId).accepts;
  }

  /** The other gates of the group (the key set's kids but this gate's), sorted. */
  get peers(): string[] {
    return [...this.d.keys.keys()].filter((k) => k !== this.d.deviceId).sort();
  }

  /** The figures for the status model (a copy). */
  status(): ReplayShareStatus {
    const s = this.stats;
    const lastHeardAt: Record<string, number | null> = {};
    for (const peer of this.peers) lastHeardAt[peer] = s.lastHeardAt[peer] ?? null;
    return {
      id: this.d.groupId,
      announced: s.announced,
      queued: s.queued,
      droppedQueued: s.droppedQueued,
      heard: s.heard,
      merged: s.merged,
      known: s.known,
      refused: { ...s.refused },
      kept: this.d.keep?.written ?? 0,
      notKept: this.d.keep?.dropped ?? 0,
      lastHeardAt,
    };
  }

  start(): void {
    this.stopped = false;
    this.d.link.subscribe(this.topic, (_t, payload) => void this.receive(payload));
    this.d.link.on('connected', this.onConnected);
    this.d.log.info({ group: this.d.groupId, gates: this.d.keys.size }, 'replay memory shared with the group');
  }

  stop(): void {
    this.stopped = true;
    this.d.link.off('connected', this.onConnected);
    if (this.queue.length) this.d.log.warn({ unsent: this.queue.length }, 'accept announcements not sent');
  }

  /** Called for each committed accept (after the gate signal): signs and sends on the next turn. */
  announce(codeId: string, sub: string, atMs: number, format?: string): void {
    if (this.stopped) return;
    if (this.queue.length >= this.d.maxQueued) {
      const i = this.queue.findIndex((p) => !p.inFlight);
      this.queue.splice(i >= 0 ? i : 0, 1);
      this.stats.droppedQueued++;
    }
    const other = format !== undefined && riderKey(format, sub) !== sub ? { format } : {};
    this.queue.push({ a: { deviceId: this.d.deviceId, codeId, sub, at: Math.floor(atMs), ...other } });
    this.stats.queued = this.queue.length;
    this.kick();
  }

  private kick(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /**
   * Publishes every queued announcement not yet in flight (QoS 1, without waiting for one PUBACK
   * before the next); one leaves the queue when the broker has it, one that fails stays for the
   * next connect.
   */
  private flush(): void {
    for (const p of this.queue) {
      if (this.stopped || !this.d.link.connected) return;
      if (p.inFlight) continue;
      p.inFlight = true;
      p.jws ??= signFlattenedJws(p.a, this.d.signer, { typ: ACCEPT_TYP });
      this.publish(p.jws).then(
        () => {
          const i = this.queue.indexOf(p);
          if (i >= 0) this.queue.splice(i, 1);
          this.stats.announced++;
          this.stats.queued = this.queue.length;
        },
        (e: unknown) => {
          p.inFlight = false;
          const queued = this.queue.length;
          this.d.log.debug({ ...errorFields(e), queued }, 'accept announcement waits for the broker');
        },
      );
    }
  }

  private publish(jws: FlattenedJws): Promise<void> {
    const ms = this.d.publishTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no PUBACK within ${ms} ms`)), ms);
    });
    return Promise.race([this.d.link.publish(this.topic, jws, { qos: 1 }), timeout]).finally(() => clearTimeout(timer));
  }

  private refuse(reason: ShareRefusal, detail: string, kid?: unknown): void {
    this.stats.refused[reason] = (this.stats.refused[reason] ?? 0) + 1;
    const from = typeof kid === 'string' ? kid.slice(0, 64) : undefined;
    this.d.log.warn({ reason, detail, ...(from ? { kid: from } : {}) }, 'accept announcement refused');
  }

  /** Verifies one announcement and merges it. Never rejects. Resolves to what became of it. */
  async receive(payload: Buffer): Promise<'merged' | 'known' | 'self' | ShareRefusal> {
    if (payload.length > MAX_ANNOUNCEMENT_BYTES) {
      this.stats.heard++;
      this.refuse('malformed', `${payload.length} bytes (an announcement is < ${MAX_ANNOUNCEMENT_BYTES})`);
      return 'malformed';
    }
    // Our own announcements come back from the broker: skipped before the signature check. An
    // entry naming this gate could never be merged (deviceId must be the signer's kid, not ours).
    const claimed = unverifiedPayload(payload) as { deviceId?: unknown } | undefined;
    if (claimed?.deviceId === this.d.deviceId) return 'self';
    this.stats.heard++;
    const nowMs = this.d.now();
    const nowSec = nowMs / 1000;
    const r = await verifyFlattenedJws(payload, this.d.keys, { typ: ACCEPT_TYP, nowSec, skewSec: this.d.skewSec });
    if (!r.ok) {
      this.refuse(r.error, r.detail, r.header?.kid);
      return r.error;
    }
    const kid = r.key.kid;
    if (kid === this.d.deviceId) return 'self';
    // Signed by that gate's key: it was heard (whatever the payload says next).
    this.stats.lastHeardAt[kid] = nowMs;
    let a: AcceptAnnouncement;
    try {
      a = AcceptAnnouncementSchema.parse(JSON.parse(r.payload.toString('utf8')));
    } catch (e) {
      this.refuse('malformed', `payload: ${errorMessage(e).slice(0, 200)}`, kid);
      return 'malformed';
    }
    if (a.deviceId !== kid) {
      this.refuse('not_its_device', `deviceId ${a.deviceId} is not the signer ${kid}`, kid);
      return 'not_its_device';
    }
    const at = a.at / 1000;
    if (at > nowSec + this.d.skewSec) {
      this.refuse('future', `at is ${Math.round(at - nowSec)} s in the future`, kid);
      return 'future';
    }
    if (at < nowSec - this.d.replay.retention) {
      this.refuse('stale', `at is older than the replay retention (${this.d.replay.retention} s)`, kid);
      return 'stale';
    }
    const rider = riderKey(a.format, a.sub);
    if (!this.d.replay.merge(a.codeId, rider, at)) {
      this.stats.known++;
      return 'known';
    }
    this.stats.merged++;
    this.d.keep?.record({ codeId: a.codeId, sub: rider, at: a.at, fromGate: kid });
    this.d.log.debug({ from: kid, codeId: a.codeId, sub: a.sub }, 'accept of the group merged');
    return 'merged';
  }
}

/** Reads this gate's private JWK (Ed25519 or P-256) as a signer with kid = the device id. */
export function loadGroupSigner(file: string, deviceId: string): { signer: JwsSigner; publicKey: KeyObject } {
  let jwk: unknown;
  try {
    jwk = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${jsonFileProblem(e)}`);
  }
  if (typeof jwk !== 'object' || jwk === null || typeof (jwk as { d?: unknown }).d !== 'string')
    throw new Error(`${file}: a private key (a JWK with "d") is needed`);
  try {
    const k = keyPairFromJwk(jwk as Jwk);
    return { signer: { alg: k.alg, kid: deviceId, privateKey: k.privateKey! }, publicKey: k.publicKey };
  } catch (e) {
    throw new Error(`${file}: key cannot be imported (${errorMessage(e)})`);
  }
}

/** The group's settings made usable: keys, signer, and every problem at once. */
export function loadGroupSettings(
  g: { keys: string; signingKey: string },
  deviceId: string,
): { keys?: JwsKeySet; signer?: JwsSigner; problems: string[] } {
  const problems: string[] = [];
  let keys: JwsKeySet | undefined;
  let signer: JwsSigner | undefined;
  let pub: KeyObject | undefined;
  try {
    keys = loadKeySetFile(g.keys);
  } catch (e) {
    problems.push(`group.keys: ${errorMessage(e)}`);
  }
  try {
    ({ signer, publicKey: pub } = loadGroupSigner(g.signingKey, deviceId));
  } catch (e) {
    problems.push(`group.signingKey: ${errorMessage(e)}`);
  }
  if (keys && pub) {
    const own = keys.get(deviceId);
    const jwk = (k: KeyObject) => k.export({ format: 'jwk' });
    const same = (a: KeyObject, b: KeyObject) => jwk(a).x === jwk(b).x && jwk(a).y === jwk(b).y;
    if (!own) problems.push(`group.keys: no key with kid ${deviceId} (this gate): the others could not verify it`);
    else if (!same(own.key, pub)) problems.push(`group.keys: the key of ${deviceId} is not group.signingKey's`);
  }
  return problems.length ? { problems } : { keys: keys!, signer: signer!, problems };
}
