/**
 * One status model of a running validator. `buildStatus` reads every source once; the three
 * outputs are projections of it, each with exactly the fields it has always had:
 * - `retainedStatus`: the retained MQTT status beyond `online`/`deviceId` (settlement-mqtt-v1),
 *   also what a clean stop publishes beside `online: false`;
 * - `serviceStatus`: the `/healthz` body (beside `healthy`/`problems`) and the `status` command;
 * - `metricsBody`: the periodic metrics (beside `at`, `backlog`, `alarms`, added by telemetry).
 * With a `group`, all three carry the one `group` object (replay sharing); without, none has it.
 * With `jtt.roots`, the retained status and `/healthz` carry `jtt` (roots in force, cache counters).
 */
import type { JttRootsListState } from '../fleet/listJttRoots.ts';
import type { ListSync } from '../fleet/listSync.ts';
import type { ReplayShareStatus } from '../fleet/replayShare.ts';
import type { GateStats } from '../gate/gateDispatcher.ts';
import type { GatePolicy } from '../policy/gatePolicy.ts';
import type { ScannerState } from '../scanner/types.ts';
import type { Alarm, Backlog } from '../settlement/telemetry.ts';
import type { UploaderStats } from '../settlement/uploader.ts';
import type { JttStatus } from './jtt.ts';

export interface ScannerStatus {
  state: ScannerState;
  detail: string;
  since: number;
}

export interface DecisionCounters {
  accept: number;
  reject: number;
  ignore: number;
  byReason: Record<string, number>;
  dropped: Record<string, number>;
}

/** What the status is built from; each field is read once per build. */
export interface StatusSources {
  now(): number;
  startedAt: number;
  config: { deviceId: string; mode: string; place: string; direction: string };
  scanner(): ScannerStatus;
  decisions(): DecisionCounters;
  storeCounts(): { taps: number; unsettled: number; events: number };
  /** Store file size; undefined when the store is closed. */
  storeBytes(): number | undefined;
  replayMemory(): number;
  trustKeys(): number;
  denyEntries(): number;
  gate(): GateStats;
  backlog(): Backlog;
  alarms(): Alarm[];
  /** Alarms of the signed lists (names). */
  listAlarms(): string[];
  mqtt(): { configured: boolean; connected: boolean };
  upload(): UploaderStats | undefined;
  /** Signed lists (versions, ages, staleness) when `lists` is configured. */
  lists(): ListsStatus | undefined;
  /** The JT/T root list over MQTT, when `lists` and `jtt.roots` are configured. */
  jttRootsList(): JttRootsListState | undefined;
  policy(): PolicyStatus;
  freePass(): boolean;
  outOfService(): boolean;
  commands(): { enabled: boolean; accepted: number; refused: number };
  memoryRss(): number;
  /** Shared replay memory (announced, heard, merged, refused, peers) when `group` is configured. */
  group(): ReplayShareStatus | undefined;
  /** JT/T 1179 (root keys, their version and source, cache counters) when `jtt.roots` is set. */
  jtt(): JttStatus | undefined;
}

export type PolicyStatus = ReturnType<GatePolicy['status']>;
export type ListsStatus = ReturnType<ListSync['status']>;

export interface StatusModel {
  at: number;
  startedAt: number;
  deviceId: string;
  mode: string;
  place: string;
  direction: string;
  scanner: ScannerStatus;
  decisions: DecisionCounters;
  store: { taps: number; unsettled: number; events: number };
  storeBytes: number | undefined;
  replayMemory: number;
  trustKeys: number;
  denyEntries: number;
  gate: GateStats;
  backlog: Backlog;
  alarms: Alarm[];
  listAlarms: string[];
  mqtt: { configured: boolean; connected: boolean };
  upload: UploaderStats | undefined;
  lists: ListsStatus | undefined;
  jttRootsList: JttRootsListState | undefined;
  policy: PolicyStatus;
  freePass: boolean;
  outOfService: boolean;
  commands: { enabled: boolean; accepted: number; refused: number };
  memoryRss: number;
  group: ReplayShareStatus | undefined;
  jtt: JttStatus | undefined;
}

export function buildStatus(s: StatusSources): StatusModel {
  return {
    at: s.now(),
    startedAt: s.startedAt,
    deviceId: s.config.deviceId,
    mode: s.config.mode,
    place: s.config.place,
    direction: s.config.direction,
    scanner: s.scanner(),
    decisions: s.decisions(),
    store: s.storeCounts(),
    storeBytes: s.storeBytes(),
    replayMemory: s.replayMemory(),
    trustKeys: s.trustKeys(),
    denyEntries: s.denyEntries(),
    gate: s.gate(),
    backlog: s.backlog(),
    alarms: s.alarms(),
    listAlarms: s.listAlarms(),
    mqtt: s.mqtt(),
    upload: s.upload(),
    lists: s.lists(),
    jttRootsList: s.jttRootsList(),
    policy: s.policy(),
    freePass: s.freePass(),
    outOfService: s.outOfService(),
    commands: s.commands(),
    memoryRss: s.memoryRss(),
    group: s.group(),
    jtt: s.jtt(),
  };
}

/** The retained status fields beyond `online` and `deviceId`. */
export function retainedStatus(m: StatusModel): Record<string, unknown> {
  return {
    at: m.at,
    startedAt: m.startedAt,
    mode: m.mode,
    place: m.place,
    direction: m.direction,
    scanner: m.scanner.state,
    backlog: m.backlog,
    alarms: [...m.alarms.map((a) => a.alarm), ...m.listAlarms],
    lists: {
      trustKeys: m.trustKeys,
      denyEntries: m.denyEntries,
      ...m.lists,
      ...(m.jttRootsList ? { jttRoots: m.jttRootsList } : {}),
    },
    freePass: m.freePass,
    outOfService: m.outOfService,
    modes: m.policy.modes,
    ...(m.group ? { group: m.group } : {}),
    ...(m.jtt ? { jtt: m.jtt } : {}),
    // Whether acks must be signed (settlement.acceptUnsignedAcks shows as "unsigned").
    ...(m.upload ? { upload: { ackMode: m.upload.ackMode } } : {}),
  };
}

/** The `/healthz` body (beside `healthy` and `problems`) and the answer of the `status` command. */
export interface ServiceStatus {
  deviceId: string;
  scanner: ScannerStatus;
  decisions: DecisionCounters;
  store: { taps: number; unsettled: number; events: number };
  replayMemory: number;
  trustKeys: number;
  denyEntries: number;
  gate: GateStats;
  backlog: Backlog;
  alarms: Alarm[];
  mqtt: { configured: boolean; connected: boolean };
  upload?: UploaderStats;
  /** Signed lists (versions, ages, staleness) when `lists` is configured. */
  lists?: ListsStatus;
  /** Remote-command modes (free pass, out of service) and metro policy. */
  policy: PolicyStatus;
  commands: { enabled: boolean; accepted: number; refused: number };
  /** Shared replay memory when `group` is configured. */
  group?: ReplayShareStatus;
  /** JT/T 1179 when `jtt.roots` is set. */
  jtt?: JttStatus;
}

export function serviceStatus(m: StatusModel): ServiceStatus {
  return {
    deviceId: m.deviceId,
    scanner: m.scanner,
    decisions: m.decisions,
    store: m.store,
    replayMemory: m.replayMemory,
    trustKeys: m.trustKeys,
    denyEntries: m.denyEntries,
    gate: m.gate,
    backlog: m.backlog,
    alarms: m.alarms,
    mqtt: m.mqtt,
    ...(m.upload ? { upload: m.upload } : {}),
    ...(m.lists ? { lists: { ...m.lists, ...(m.jttRootsList ? { jttRoots: m.jttRootsList } : {}) } } : {}),
    policy: m.policy,
    commands: m.commands,
    ...(m.group ? { group: m.group } : {}),
    ...(m.jtt ? { jtt: m.jtt } : {}),
  };
}

/** The metrics body beyond `at`, `backlog` and `alarms` (which telemetry adds). */
export function metricsBody(m: StatusModel): Record<string, unknown> {
  const d = m.decisions;
  return {
    deviceId: m.deviceId,
    decisions: { accept: d.accept, reject: d.reject, ignore: d.ignore, byReason: d.byReason },
    upload: m.upload,
    store: { bytes: m.storeBytes, ...m.store },
    scanner: m.scanner,
    memoryRss: m.memoryRss,
    uptimeSec: Math.round((m.at - m.startedAt) / 1000),
    ...(m.group ? { group: m.group } : {}),
  };
}
