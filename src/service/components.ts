/**
 * Small factories of the service's components and the adapters that give the parts owned by
 * other areas (list sync, remote commands, the store with what it restores) the one
 * `Component` contract. The service puts them in one list (validatorService.ts).
 */
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { errorFields } from '../errors/faregateError.ts';
import type { RemoteCommands } from '../fleet/commands.ts';
import type { CommandLedger } from '../fleet/commandLedger.ts';
import { DisplayServer, type GateModes } from '../display/displayServer.ts';
import type { AlarmSink } from '../fleet/alarms.ts';
import type { EventSink } from '../fleet/events.ts';
import { JttRootsSync } from '../fleet/listJttRoots.ts';
import { ListSync, loadListSettings } from '../fleet/listSync.ts';
import type { RootKeySet } from '../lists/signedList.ts';
import { loadGroupSettings, ReplayShare } from '../fleet/replayShare.ts';
import { GateDispatcher } from '../gate/gateDispatcher.ts';
import { HealthMonitor, type HealthDeps } from '../health/healthMonitor.ts';
import type { loadListFiles } from '../lists/loadListFiles.ts';
import type { MqttPort } from '../mqtt/mqttPort.ts';
import type { Logger } from '../platform/logger.ts';
import type { GatePolicy } from '../policy/gatePolicy.ts';
import { ScannerInput } from '../scanner/scannerInput.ts';
import { Telemetry } from '../settlement/telemetry.ts';
import { TapUploader, type AckOptions } from '../settlement/uploader.ts';
import type { GroupAccepts } from '../store/groupAccepts.ts';
import type { TapStore } from '../store/tapStore.ts';
import { replayRetention } from '../token/params.ts';
import { riderKey, type ReplayMemory } from '../token/replayMemory.ts';
import type { JttFormat } from '../token/jtt/jttFormat.ts';
import { TrustList } from '../token/trustList.ts';
import { RideCodeValidator } from '../token/validator.ts';
import type { Component, HealthContribution } from '../platform/component.ts';
import type { Platform } from './platform.ts';

export const STORE_FILE = 'faregate.sqlite';

export function makeStore(config: Config, p: Platform): TapStore {
  return p.store({
    file: join(config.dataDir, STORE_FILE),
    synchronous: config.store.synchronous,
    logger: p.logger.child({ component: 'store' }),
  });
}

export function makeValidator(config: Config, lists: ReturnType<typeof loadListFiles>, p: Platform): RideCodeValidator {
  return new RideCodeValidator({
    // No trust list only with its problem reported (the service then does not start).
    trust: lists.trust ?? TrustList.EMPTY,
    ...(lists.deny ? { deny: lists.deny } : {}),
    params: { ...config.token, mode: config.mode },
    clock: p.clock,
  });
}

export function makeGate(config: Config, p: Platform): GateDispatcher {
  const log = p.logger.child({ component: 'gate' });
  return new GateDispatcher(p.gateDriver(config.gate, log), { timeoutMs: config.gate.timeoutMs }, log);
}

export function makeScanner(config: Config, p: Platform): ScannerInput {
  // The scanner parts name their own component in the log.
  const log = p.logger;
  return new ScannerInput({
    transportFactory: () => p.scannerTransport(config.scanner, log),
    framing: config.scanner.framing,
    initialDelayMs: config.scanner.reconnect.initialDelayMs,
    maxDelayMs: config.scanner.reconnect.maxDelayMs,
    clock: p.clock,
    logger: log,
  });
}

export function makeLink(
  config: Config,
  p: Platform,
  statusFields: () => Record<string, unknown>,
): MqttPort | undefined {
  if (!config.mqtt) return undefined;
  const logger = p.logger.child({ component: 'mqtt' });
  return p.mqtt({ cfg: config.mqtt, deviceId: config.deviceId, statusFields, logger });
}

export function makeUploader(
  config: Config,
  p: Platform,
  store: TapStore,
  link: MqttPort,
  acks: AckOptions = {},
): TapUploader {
  const log = p.logger.child({ component: 'uploader' });
  return new TapUploader(store, link, config.settlement, config.deviceId, p.clock, log, acks);
}

export function makeTelemetry(
  config: Config,
  p: Platform,
  d: {
    store: TapStore;
    link: MqttPort | undefined;
    alarms: AlarmSink;
    metricsBody: () => Record<string, unknown>;
    statusChanged: () => void;
  },
): Telemetry {
  const log = p.logger.child({ component: 'health' });
  return new Telemetry({ ...d, cfg: config.settlement, clock: p.clock, log });
}

/** Signed lists over MQTT, when `lists` is configured; `problems` when their settings are unusable. */
export function makeListSync(
  config: Config,
  p: Platform,
  d: {
    validator: RideCodeValidator;
    jtt?: JttFormat | undefined;
    link: MqttPort | undefined;
    events: EventSink;
    alarms: AlarmSink;
    statusChanged: () => void;
  },
): { listSync?: ListSync; rootKeys?: RootKeySet; problems: string[] } {
  if (!config.lists) return { problems: [] };
  const ls = loadListSettings(config.lists, { trust: config.trust.file, deny: config.deny?.file });
  if (ls.problems.length) return { problems: ls.problems };
  const listSync = new ListSync({
    cfg: config.lists,
    dataDir: config.dataDir,
    validator: d.validator,
    jtt: d.jtt,
    roots: ls.roots!,
    rootJwks: ls.rootJwks,
    bootstrapIssuedAt: ls.bootstrapIssuedAt,
    link: d.link,
    events: d.events,
    alarms: d.alarms,
    statusChanged: d.statusChanged,
    clock: p.clock,
    logger: p.logger.child({ component: 'lists' }),
  });
  return { listSync, rootKeys: ls.roots!, problems: [] };
}

/** The JT/T root list over MQTT (`P/jtt-roots`), with signed lists and JT/T both configured. */
export function makeJttRootsSync(
  config: Config,
  p: Platform,
  d: {
    jtt: JttFormat | undefined;
    rootKeys: RootKeySet | undefined;
    /** Its documents are verified in the list worker of the signed lists. */
    listSync: ListSync | undefined;
    link: MqttPort | undefined;
    events: EventSink;
    applied: (version: number) => void;
    statusChanged: () => void;
  },
): JttRootsSync | undefined {
  if (!config.lists || !d.jtt || !d.rootKeys) return undefined;
  return new JttRootsSync({
    jtt: d.jtt,
    rootKeys: d.rootKeys,
    worker: d.listSync?.listWorker,
    maxBytes: config.lists.maxBytes.jttRoots,
    dataDir: config.dataDir,
    link: d.link,
    topicPrefix: config.mqtt?.topicPrefix ?? '',
    events: d.events,
    clock: p.clock,
    logger: p.logger.child({ component: 'lists' }),
    applied: d.applied,
    statusChanged: d.statusChanged,
  });
}

/**
 * Shared replay memory within a group (src/fleet/replayShare.ts), when `group` is configured;
 * `problems` when its settings are unusable or there is no `mqtt` section.
 */
export function makeReplayShare(
  config: Config,
  p: Platform,
  d: { validator: RideCodeValidator; link: MqttPort | undefined; keep: GroupAccepts },
): { replayShare?: ReplayShare; problems: string[] } {
  const g = config.group;
  if (!g) return { problems: [] };
  if (!d.link || !config.mqtt)
    return { problems: ['group: needs an mqtt section (the gates share accepts over the broker)'] };
  const gs = loadGroupSettings(g, config.deviceId);
  if (gs.problems.length) return { problems: gs.problems };
  const replayShare = new ReplayShare({
    groupId: g.id,
    deviceId: config.deviceId,
    topicPrefix: config.mqtt.topicPrefix,
    keys: gs.keys!,
    signer: gs.signer!,
    link: d.link,
    replay: d.validator.replay,
    now: () => p.clock.now(),
    skewSec: d.validator.params.skew,
    maxQueued: g.maxQueued,
    log: p.logger.child({ component: 'replay-share' }),
    keep: d.keep,
  });
  return { replayShare, problems: [] };
}

export function makeHealth(
  config: Config,
  p: Platform,
  d: {
    status: () => object;
    scanner: () => { state: string; since: number };
    contributions: () => HealthContribution[];
    metrics?: HealthDeps['metrics'];
  },
): HealthMonitor {
  return new HealthMonitor({
    cfg: config.health,
    clock: p.clock,
    log: p.logger.child({ component: 'health' }),
    dataDir: config.dataDir,
    storeFile: join(config.dataDir, STORE_FILE),
    ...d,
  });
}

export interface StoreComponentDeps {
  store: TapStore;
  validator: RideCodeValidator;
  /** The JT/T format (`jtt.roots`): its root count is logged at start. */
  jtt?: JttFormat | undefined;
  policy: GatePolicy;
  ledger: CommandLedger;
  /** Accepts merged from the group, kept in the store (restored when `group` is configured). */
  groupAccepts: GroupAccepts;
  config: Config;
  hasLink: boolean;
  now: () => number;
  log: Logger;
}

/**
 * Opens the store and restores what outlives the process before anything reads a frame: the
 * replay memory (accepts within its retention, this gate's and, with a group, those merged from
 * the other gates), gate modes, metro entries, the command ledger. Closed last.
 */
export function storeComponent(d: StoreComponentDeps): Component {
  return {
    name: 'store',
    start() {
      const { store, validator, policy, config, log } = d;
      store.open();
      const since = d.now() - replayRetention(validator.params) * 1000;
      const recent = store.acceptedSince(since);
      d.groupAccepts.open();
      const heard = config.group ? d.groupAccepts.since(since, d.now()) : [];
      restoreReplayMemory(validator.replay, recent, heard);
      // Modes (an evacuation survives a reboot) and metro entries are restored from the store too.
      const restoredEntries = policy.attach(store.database, d.now());
      d.ledger.attach(store.database);
      if (policy.modes.active().length) log.warn({ modes: policy.modes.status() }, 'modes restored from the store');
      if (restoredEntries) {
        const entriesRemembered = policy.entries.size;
        log.info({ restoredMetroTaps: restoredEntries, entriesRemembered }, 'metro entries restored');
      }
      if (config.commands.operatorKeys && !d.hasLink) {
        log.warn({}, 'commands.operatorKeys is set but there is no mqtt broker: remote commands are off');
      }
      log.info(
        {
          mode: config.mode,
          place: config.place,
          direction: config.direction,
          restoredAccepts: recent.length,
          ...(config.group ? { restoredGroupAccepts: heard.length } : {}),
          trustKeys: validator.trustList.size,
          ...(d.jtt ? { jttRoots: d.jtt.rootKeys.size } : {}),
        },
        'validator starting',
      );
    },
    stop() {
      d.groupAccepts.close();
      d.store.close();
    },
  };
}

/**
 * This gate's accepts (remembered) and those merged from its group (merged back) in the order
 * of their acceptance times, as they were first entered: a code held by both stays a local one.
 */
export function restoreReplayMemory(
  replay: ReplayMemory,
  own: readonly { codeId: string; sub: string; at: number; format?: string | null }[],
  /** As merged: `sub` is the replay memory's rider key (src/token/replayMemory.ts riderKey). */
  heard: readonly { codeId: string; sub: string; at: number }[],
): void {
  let i = 0;
  let j = 0;
  while (i < own.length || j < heard.length) {
    const o = own[i];
    const h = heard[j];
    if (o && (!h || o.at <= h.at)) {
      replay.remember(o.codeId, riderKey(o.format, o.sub), o.at / 1000);
      i++;
    } else if (h) {
      replay.merge(h.codeId, h.sub, h.at / 1000);
      j++;
    }
  }
}

/**
 * Housekeeping between riders: decision events flushed and the WAL checkpointed (so a rider's
 * commit does not pay for it) once no frame has arrived for a moment; settled taps purged at
 * start and hourly.
 */
export function housekeeping(d: {
  store: TapStore;
  purge: () => number;
  lastFrameAt: () => number;
  now: () => number;
  log: Logger;
}): Component {
  let flushTimer: NodeJS.Timeout | undefined;
  let purgeTimer: NodeJS.Timeout | undefined;
  return {
    name: 'housekeeping',
    start() {
      flushTimer = setInterval(() => {
        d.store.flushEvents();
        if (d.now() - d.lastFrameAt() >= 300) {
          try {
            d.store.checkpoint();
          } catch (e) {
            d.log.warn(errorFields(e), 'checkpoint failed');
          }
        }
      }, 1000);
      flushTimer.unref();
      d.purge();
      purgeTimer = setInterval(() => d.purge(), 3_600_000);
      purgeTimer.unref();
    },
    stop() {
      clearInterval(flushTimer);
      clearInterval(purgeTimer);
    },
  };
}

/** Signed trust and deny lists (src/fleet/listSync.ts) as a component. */
export function listSyncComponent(ls: ListSync): Component {
  return { name: 'lists', start: () => ls.start(), stop: () => ls.stop() };
}

/** Remote commands (src/fleet/commands.ts) as a component. */
export function commandsComponent(c: RemoteCommands): Component {
  return { name: 'commands', start: () => c.start(), stop: () => c.stop() };
}

/**
 * The passenger display (src/display), when `display.enabled`; `problems` when its texts are
 * unusable (a missing language file, a missing screen).
 */
export function makeDisplay(
  config: Config,
  p: Platform,
  modes: () => GateModes,
): { display?: DisplayServer; problems: string[] } {
  if (!config.display.enabled) return { problems: [] };
  return DisplayServer.create({ cfg: config.display, modes, log: p.logger.child({ component: 'display' }) });
}
