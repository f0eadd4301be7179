/**
 * The fleet as seen from the broker (settlement-mqtt-v1): a pure model fed with the messages of
 * `P/gates/+/status` (retained), `P/gates/+/metrics` (QoS 0, periodic) and `P/gates/+/events`.
 * Messages in, state out; the clock is injected, nothing here touches MQTT or the terminal.
 *
 * - online/offline from the retained status (`{"online": false}` is the will or a clean stop);
 *   a clean stop carries the gate's last figures (backlog, alarms, mode, place), shown beside
 *   OFFLINE; after the will the figures last seen are kept. An empty retained payload (status
 *   cleared by an operator) forgets the gate.
 * - decisions per minute by outcome from two successive metrics counters, over the interval of
 *   their `at` (the gate's clock: broker and network delays do not distort the rate); a counter
 *   that went down (the service restarted) starts a new baseline.
 * - clock offset: the latest metrics `at` minus the local receive time (positive: the gate's
 *   clock is ahead; includes the network delay, normally a few ms). Metrics are never retained,
 *   so the offset is always from a live message. A retained status can be old, so it is not used.
 * - alarms: the latest of status `alarms`, metrics `alarms`, and alarm events raised/cleared.
 * - ack trouble: acks the gate refused (metrics `upload.ackRefused`: unsigned, forged, replayed,
 *   naming taps outside the batch) and taps the backend rejected (`backlog.rejected`, status or
 *   metrics); either above 0 needs an operator's look.
 * - lists: the status field `lists` as sent (its shape belongs to the list sync); it counts as
 *   stale when any `stale: true` appears in it (up to 3 levels deep) or an alarm names lists.
 * - retained lists (only when asked: `faregate monitor --root-keys`): the check of the retained
 *   `P/trust` and `P/deny` documents, and of `P/jtt-roots` once one is seen (retainedLists.ts does
 *   the checking, the model holds the result); the snapshot has `retainedLists` only then, so the
 *   default output is unchanged.
 */
import { isDeviceId } from '../domain/vocabulary.ts';
import type { RetainedListCheck, RetainedListType } from './retainedLists.ts';

export interface MonitorClock {
  now(): number;
}

export interface OutcomeCounts {
  accept: number;
  reject: number;
  ignore: number;
}

export interface GateEvent {
  at: number;
  kind: string;
  /** `reason` of a reject, `alarm` + `state` of an alarm event, … */
  detail: string;
  receivedAt: number;
}

export interface GateState {
  deviceId: string;
  /** null until a status was seen (only metrics or events so far). */
  online: boolean | null;
  /** The status message's own `at` (gate clock), when it carries one. */
  statusAt: number | null;
  mode: string | null;
  place: string | null;
  direction: string | null;
  /** `up`, `down`, `starting`, `stopped` as reported; null when unknown. */
  scanner: string | null;
  /** `rejected`: taps the backend rejected, kept by the gate (settlement-mqtt-v1 Amendment 1). */
  backlog: { unsettled: number | null; oldestUnsettledAgeSec: number | null; rejected: number | null };
  /** Acks the gate refused since it started (metrics `upload.ackRefused`); null until metrics say. */
  ackRefused: number | null;
  /** The status `lists` field as received (shape owned by the list sync), or null. */
  lists: unknown;
  listsStale: boolean;
  alarms: string[];
  /** Totals from the latest metrics. */
  decisions: OutcomeCounts | null;
  decisionsPerMinute: OutcomeCounts | null;
  clockOffsetMs: number | null;
  memoryRss: number | null;
  uptimeSec: number | null;
  /** Local receive times. */
  lastSeenAt: number;
  lastStatusAt: number | null;
  lastMetricsAt: number | null;
  /** Seconds since the last metrics (at snapshot time), null if none seen. */
  metricsAgeSec: number | null;
  events: number;
  lastEvent: GateEvent | null;
  /** Anything worth a colour: offline, alarms, stale lists, scanner down, refused acks, rejected taps. */
  attention: boolean;
}

export interface FleetSnapshot {
  at: number;
  prefix: string;
  gates: GateState[];
  /** Messages that could not be read (bad JSON, not an object). */
  malformed: number;
  messages: number;
  /**
   * With `--root-keys`: the retained trust and deny lists on the broker, each checked (`none`:
   * no retained document), and the JT/T root list once a retained one was seen; absent otherwise.
   */
  retainedLists?: RetainedLists;
}

/** The checked retained lists: trust and deny always, `jtt-roots` once one was seen. */
export type RetainedLists = Record<'trust' | 'deny', RetainedListCheck | 'none'> &
  Partial<Record<'jtt-roots', RetainedListCheck | 'none'>>;

interface MetricsSample {
  at: number;
  receivedAt: number;
  counts: OutcomeCounts;
}

interface Entry {
  state: Omit<GateState, 'metricsAgeSec' | 'attention'>;
  prev: MetricsSample | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const obj = (v: unknown): Record<string, unknown> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
const strings = (v: unknown): string[] | null =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null;

/** true when `stale: true` appears in `v` within `depth` levels. */
export function hasStaleFlag(v: unknown, depth = 3): boolean {
  const o = obj(v);
  if (!o || depth <= 0) return false;
  if (o.stale === true) return true;
  return Object.values(o).some((x) => hasStaleFlag(x, depth - 1));
}

function counts(v: unknown): OutcomeCounts | null {
  const o = obj(v);
  if (!o) return null;
  const accept = num(o.accept);
  const reject = num(o.reject);
  const ignore = num(o.ignore);
  if (accept === null || reject === null || ignore === null) return null;
  return { accept, reject, ignore };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Decisions per minute between two samples; null when the counters went down or no time passed. */
export function ratePerMinute(prev: MetricsSample, cur: MetricsSample): OutcomeCounts | null {
  let dt = cur.at - prev.at;
  if (!(dt > 0)) dt = cur.receivedAt - prev.receivedAt;
  if (!(dt > 0)) return null;
  const keys = ['accept', 'reject', 'ignore'] as const;
  if (keys.some((k) => cur.counts[k] < prev.counts[k])) return null;
  const r = (k: (typeof keys)[number]) => round1(((cur.counts[k] - prev.counts[k]) * 60_000) / dt);
  return { accept: r('accept'), reject: r('reject'), ignore: r('ignore') };
}

/** Refused acks or rejected taps: something an operator must look at (forged acks, a backend refusing taps). */
export function hasAckTrouble(g: Pick<GateState, 'ackRefused' | 'backlog'>): boolean {
  return (g.ackRefused ?? 0) > 0 || (g.backlog.rejected ?? 0) > 0;
}

export class FleetModel {
  private readonly gates = new Map<string, Entry>();
  private malformed = 0;
  private messages = 0;
  private readonly head: string;
  private retained: RetainedLists | undefined;

  constructor(
    readonly prefix: string,
    private readonly clock: MonitorClock = { now: () => Date.now() },
  ) {
    this.head = `${prefix}/gates/`;
  }

  /** Starts showing the retained lists (each `none` until a check arrives). */
  watchRetainedLists(): void {
    this.retained ??= { trust: 'none', deny: 'none' };
  }

  /** The check of the retained list of `type` (null: the retained document was cleared). */
  setRetainedList(type: RetainedListType, check: RetainedListCheck | null): void {
    const r = (this.retained ??= { trust: 'none', deny: 'none' });
    r[type] = check ?? 'none';
  }

  /** The subscriptions that feed the model. */
  static subscriptions(prefix: string): string[] {
    return [`${prefix}/gates/+/status`, `${prefix}/gates/+/metrics`, `${prefix}/gates/+/events`];
  }

  /** Feeds one message; returns true when it changed the model. */
  handle(topic: string, payload: Buffer | string): boolean {
    if (!topic.startsWith(this.head)) return false;
    const parts = topic.slice(this.head.length).split('/');
    if (parts.length !== 2) return false;
    const [deviceId, leaf] = parts as [string, string];
    if (!isDeviceId(deviceId) || (leaf !== 'status' && leaf !== 'metrics' && leaf !== 'events')) return false;
    this.messages++;
    const text = typeof payload === 'string' ? payload : payload.toString('utf8');
    if (text.length === 0) {
      // A cleared retained status: the gate was decommissioned.
      if (leaf === 'status') return this.gates.delete(deviceId);
      return false;
    }
    let body: Record<string, unknown> | null;
    try {
      body = obj(JSON.parse(text));
    } catch {
      body = null;
    }
    if (!body) {
      this.malformed++;
      return false;
    }
    const now = this.clock.now();
    const e = this.entry(deviceId, now);
    e.state.lastSeenAt = now;
    if (leaf === 'status') this.onStatus(e, body, now);
    else if (leaf === 'metrics') this.onMetrics(e, body, now);
    else this.onEvent(e, body, now);
    e.state.listsStale = hasStaleFlag(e.state.lists) || e.state.alarms.some((a) => /list/i.test(a));
    return true;
  }

  private entry(deviceId: string, now: number): Entry {
    let e = this.gates.get(deviceId);
    if (!e) {
      e = {
        state: {
          deviceId,
          online: null,
          statusAt: null,
          mode: null,
          place: null,
          direction: null,
          scanner: null,
          backlog: { unsettled: null, oldestUnsettledAgeSec: null, rejected: null },
          ackRefused: null,
          lists: null,
          listsStale: false,
          alarms: [],
          decisions: null,
          decisionsPerMinute: null,
          clockOffsetMs: null,
          memoryRss: null,
          uptimeSec: null,
          lastSeenAt: now,
          lastStatusAt: null,
          lastMetricsAt: null,
          events: 0,
          lastEvent: null,
        },
        prev: null,
      };
      this.gates.set(deviceId, e);
    }
    return e;
  }

  private backlog(e: Entry, v: unknown): void {
    const b = obj(v);
    if (!b) return;
    e.state.backlog = {
      unsettled: num(b.unsettled),
      oldestUnsettledAgeSec: num(b.oldestUnsettledAgeSec),
      // An older gate's backlog has no `rejected`: the count last seen is kept.
      rejected: num(b.rejected) ?? e.state.backlog.rejected,
    };
  }

  private onStatus(e: Entry, b: Record<string, unknown>, now: number): void {
    const s = e.state;
    s.online = b.online === true;
    s.lastStatusAt = now;
    s.statusAt = num(b.at);
    if (!s.online) {
      // A clean stop carries the last figures (applied below); the will carries only `online`
      // and the device id: the figures last seen are kept. The scanner of a gate that is away
      // is not known to be up.
      if (s.scanner === 'up') s.scanner = null;
      s.decisionsPerMinute = null;
      e.prev = null;
    }
    s.mode = str(b.mode) ?? s.mode;
    s.place = str(b.place) ?? s.place;
    s.direction = str(b.direction) ?? s.direction;
    const scanner = str(b.scanner) ?? str(obj(b.scanner)?.state);
    if (scanner !== null) s.scanner = scanner;
    this.backlog(e, b.backlog);
    const alarms = strings(b.alarms);
    if (alarms) s.alarms = alarms;
    if ('lists' in b) s.lists = b.lists ?? null;
  }

  private onMetrics(e: Entry, b: Record<string, unknown>, now: number): void {
    const s = e.state;
    s.lastMetricsAt = now;
    const at = num(b.at);
    if (at !== null) s.clockOffsetMs = Math.round(at - now);
    const scanner = str(obj(b.scanner)?.state) ?? str(b.scanner);
    if (scanner !== null) s.scanner = scanner;
    this.backlog(e, b.backlog);
    const alarms = strings(b.alarms);
    if (alarms) s.alarms = alarms;
    s.memoryRss = num(b.memoryRss) ?? s.memoryRss;
    s.uptimeSec = num(b.uptimeSec) ?? s.uptimeSec;
    s.ackRefused = num(obj(b.upload)?.ackRefused) ?? s.ackRefused;
    // A gate that sends metrics is connected, whatever an older retained status said.
    if (s.online !== true) s.online = true;
    const c = counts(b.decisions);
    if (c) {
      s.decisions = c;
      const sample: MetricsSample = { at: at ?? now, receivedAt: now, counts: c };
      if (e.prev) {
        const r = ratePerMinute(e.prev, sample);
        s.decisionsPerMinute = r;
      }
      e.prev = sample;
    }
  }

  private onEvent(e: Entry, b: Record<string, unknown>, now: number): void {
    const s = e.state;
    const kind = str(b.kind) ?? 'unknown';
    s.events++;
    let detail = str(b.reason) ?? '';
    if (kind === 'alarm') {
      const name = str(b.alarm);
      const state = str(b.state);
      detail = `${name ?? '?'} ${state ?? ''}`.trim();
      if (name !== null && state === 'raised' && !s.alarms.includes(name)) s.alarms = [...s.alarms, name];
      if (name !== null && state === 'cleared') s.alarms = s.alarms.filter((a) => a !== name);
    }
    s.lastEvent = { at: num(b.at) ?? now, kind, detail, receivedAt: now };
  }

  snapshot(): FleetSnapshot {
    const now = this.clock.now();
    const gates = [...this.gates.values()]
      .map(({ state }) => {
        const metricsAgeSec =
          state.lastMetricsAt === null ? null : Math.max(0, Math.round((now - state.lastMetricsAt) / 1000));
        const attention =
          state.online === false ||
          state.alarms.length > 0 ||
          state.listsStale ||
          state.scanner === 'down' ||
          hasAckTrouble(state);
        return { ...state, backlog: { ...state.backlog }, alarms: [...state.alarms], metricsAgeSec, attention };
      })
      .sort((a, b) => a.deviceId.localeCompare(b.deviceId));
    const snap: FleetSnapshot = {
      at: now,
      prefix: this.prefix,
      gates,
      malformed: this.malformed,
      messages: this.messages,
    };
    if (this.retained) snap.retainedLists = { ...this.retained };
    return snap;
  }
}
