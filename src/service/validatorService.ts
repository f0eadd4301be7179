/**
 * The running validator: wires the components (store, validator, gate, scanner) and owns their
 * start/stop order. The platform (clock, logger, scanner transport, gate driver) is injected,
 * so the same service runs against a serial scanner, a TCP scanner or a test double.
 */
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { settingFileProblems } from '../config/settingFiles.ts';
import { ConsoleGate } from '../gate/consoleGate.ts';
import { GateDispatcher } from '../gate/gateDispatcher.ts';
import { SerialGate } from '../gate/serialGate.ts';
import type { GateDriver } from '../gate/types.ts';
import { loadListFiles } from '../lists/loadListFiles.ts';
import type { Logger } from '../platform/logger.ts';
import { createTransport } from '../scanner/createTransport.ts';
import { ScannerInput } from '../scanner/scannerInput.ts';
import type { ByteTransport, ScannerState } from '../scanner/types.ts';
import { TapStore } from '../store/tapStore.ts';
import { replayRetention } from '../token/params.ts';
import { credentialRouter } from '../token/formats.ts';
import { RideCodeValidator, systemClock, type Clock } from '../token/validator.ts';
import { MqttLink } from '../mqtt/mqttLink.ts';
import { Telemetry, type Alarm, type Backlog } from '../settlement/telemetry.ts';
import { TapUploader, type UploaderStats } from '../settlement/uploader.ts';
import { TapProcessor, type Outcome } from './tapProcessor.ts';
import { ListSync, loadListSettings } from '../fleet/listSync.ts';
import { GatePolicy } from '../policy/gatePolicy.ts';
import type { ModesStatus } from '../policy/gateModes.ts';
import type { CommandLedger } from '../fleet/commandLedger.ts';
import type { RemoteCommands } from '../fleet/commands.ts';
import { setupRemoteCommands } from '../fleet/commandsWiring.ts';
import { EventOutbox } from '../fleet/events.ts';
import { HealthMonitor } from '../health/healthMonitor.ts';

export interface ServicePlatform {
  clock?: Clock;
  logger: Logger;
  transport?: () => ByteTransport;
  gateDriver?: GateDriver;
  /** The settings file the config came from (remote `reload_config` re-reads it). */
  configFile?: string;
}

/** Lists that cannot be used at start: the service refuses to start (like a bad settings file). */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

export interface ServiceStatus {
  deviceId: string;
  scanner: { state: ScannerState; detail: string; since: number };
  decisions: TapProcessor['counters'];
  store: { taps: number; unsettled: number; events: number };
  replayMemory: number;
  trustKeys: number;
  denyEntries: number;
  gate: GateDispatcher['stats'];
  backlog: Backlog;
  alarms: Alarm[];
  mqtt: { configured: boolean; connected: boolean };
  upload?: UploaderStats;
  /** Signed lists (versions, ages, staleness) when `lists` is configured. */
  lists?: ReturnType<ListSync['status']>;
  /** Remote-command modes (free pass, out of service) and metro policy. */
  policy: ReturnType<GatePolicy['status']>;
  commands: { enabled: boolean; accepted: number; refused: number };
}

export const STORE_FILE = 'faregate.sqlite';

export class ValidatorService {
  readonly clock: Clock;
  readonly store: TapStore;
  readonly validator: RideCodeValidator;
  readonly gate: GateDispatcher;
  readonly processor: TapProcessor;
  readonly scanner: ScannerInput;
  private readonly log: Logger;
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFrameAt = 0;
  private scannerState: ServiceStatus['scanner'];
  private readonly outcomeListeners: ((o: Outcome) => void)[] = [];
  readonly link: MqttLink | undefined;
  readonly uploader: TapUploader | undefined;
  readonly telemetry: Telemetry;
  /** The one event path of list sync and commands (src/fleet/events.ts); telemetry is to use it too. */
  readonly events: EventOutbox;
  /** Signed trust and deny lists over MQTT (`lists` settings). */
  readonly listSync: ListSync | undefined;
  /** /healthz and sd_notify (src/health). */
  readonly health: HealthMonitor;
  private purgeTimer: NodeJS.Timeout | undefined;
  private readonly startedAt: number;
  readonly policy: GatePolicy;
  readonly commands: RemoteCommands | undefined;
  private readonly commandLedger: CommandLedger;

  constructor(
    readonly config: Config,
    platform: ServicePlatform,
  ) {
    this.clock = platform.clock ?? systemClock;
    this.log = platform.logger;
    const lists = loadListFiles(config.trust.file, config.deny?.file);
    const problems = [...lists.problems, ...settingFileProblems(config)];
    if (problems.length) throw new StartupError(problems);

    this.store = new TapStore({ file: join(config.dataDir, STORE_FILE), synchronous: config.store.synchronous, logger: this.log.child({ component: 'store' }) });
    this.validator = new RideCodeValidator({
      trust: lists.trust!,
      ...(lists.deny ? { deny: lists.deny } : {}),
      params: { ...config.token, mode: config.mode },
      clock: this.clock,
    });
    const gateLog = this.log.child({ component: 'gate' });
    const driver =
      platform.gateDriver ??
      (config.gate.driver === 'serial'
        ? new SerialGate({ path: config.gate.path, baudRate: config.gate.baudRate, commands: config.gate.commands, lineEnding: config.gate.lineEnding }, gateLog)
        : new ConsoleGate(gateLog));
    this.gate = new GateDispatcher(driver, { timeoutMs: config.gate.timeoutMs }, gateLog);
    this.policy = new GatePolicy(config);
    this.processor = new TapProcessor({
      policy: this.policy,
      credentials: credentialRouter({ fg1: this.validator }),
      store: this.store,
      gate: this.gate,
      config,
      clock: this.clock,
      logger: this.log.child({ component: 'validator' }),
      onOutcome: (o) => this.outcomeListeners.forEach((l) => l(o)),
      lists: {
        freshness: () =>
          this.listSync?.refusal() ? 'stale_reject' : this.listSync?.tapFlags() ? 'stale_flag' : 'fresh',
      },
    });
    // The scanner parts name their own component in the log.
    const scannerLog = this.log;
    this.scanner = new ScannerInput({
      transportFactory: platform.transport ?? (() => createTransport(config.scanner, scannerLog)),
      framing: config.scanner.framing,
      initialDelayMs: config.scanner.reconnect.initialDelayMs,
      maxDelayMs: config.scanner.reconnect.maxDelayMs,
      clock: this.clock,
      logger: scannerLog,
    });
    this.scannerState = { state: 'stopped', detail: '', since: this.clock.now() };
    this.startedAt = this.clock.now();

    if (config.mqtt) {
      this.link = new MqttLink(config.mqtt, config.deviceId, () => this.statusFields(), this.log.child({ component: 'mqtt' }));
      this.uploader = new TapUploader(this.store, this.link, config.settlement, config.deviceId, this.clock, this.log.child({ component: 'uploader' }));
    }
    this.telemetry = new Telemetry(this.store, this.link, config.settlement, this.clock, this.log.child({ component: 'health' }), () => this.metricsBody());
    this.events = new EventOutbox(this.link);
    if (config.lists) {
      const ls = loadListSettings(config.lists, { trust: config.trust.file, deny: config.deny?.file });
      if (ls.problems.length) throw new StartupError(ls.problems);
      this.listSync = new ListSync({
        cfg: config.lists,
        dataDir: config.dataDir,
        validator: this.validator,
        roots: ls.roots!,
        rootJwks: ls.rootJwks,
        bootstrapIssuedAt: ls.bootstrapIssuedAt,
        link: this.link,
        events: this.events,
        statusChanged: () => void this.link?.publishStatus(),
        clock: this.clock,
        logger: this.log.child({ component: 'lists' }),
      });
    }
    this.health = new HealthMonitor({
      cfg: config.health,
      clock: this.clock,
      log: this.log.child({ component: 'health' }),
      status: () => this.status(),
      scanner: () => this.scannerState,
      dataDir: config.dataDir,
      storeFile: join(config.dataDir, STORE_FILE),
    });
    this.outcomeListeners.push((o) => this.health.noteOutcome(o));
    this.outcomeListeners.push(() => {
      this.lastFrameAt = this.clock.now();
    });
    const cmds = setupRemoteCommands({
      config,
      configFile: platform.configFile,
      validator: this.validator,
      policy: this.policy,
      link: this.link,
      events: this.events,
      clock: this.clock,
      rootLogger: this.log,
      logger: this.log.child({ component: 'commands' }),
      status: () => this.status(),
    });
    if (cmds.problems.length) throw new StartupError(cmds.problems);
    this.commands = cmds.commands;
    this.commandLedger = cmds.ledger;
    this.outcomeListeners.push((o) => {
      if (o.tap) this.uploader?.notify();
      else if (o.decision === 'reject' && this.link) {
        const codeId = o.token?.codeId;
        const sub = o.token?.subHex;
        this.telemetry.event({
          at: o.at,
          kind: 'reject',
          reason: o.reason!,
          ...(o.freePass ? { freePass: true } : {}),
          ...(codeId ? { codeId } : {}),
          ...(sub ? { sub } : {}),
        });
      }
    });
  }

  /** The retained status beyond `online`. */
  private statusFields(): Record<string, unknown> {
    const c = this.config;
    return {
      at: this.clock.now(),
      startedAt: this.startedAt,
      mode: c.mode,
      place: c.place,
      direction: c.direction,
      scanner: this.scannerState.state,
      backlog: this.telemetry.backlog,
      alarms: [...this.telemetry.alarms.map((a) => a.alarm), ...(this.listSync?.alarms ?? [])],
      lists: { trustKeys: this.validator.trustList.size, denyEntries: this.validator.denyList.size, ...this.listSync?.status() },
      freePass: this.policy.freePass,
      outOfService: this.policy.outOfService,
      modes: this.policy.modes.status() satisfies ModesStatus,
    };
  }

  private metricsBody(): Record<string, unknown> {
    const p = this.processor.counters;
    return {
      deviceId: this.config.deviceId,
      decisions: { accept: p.accept, reject: p.reject, ignore: p.ignore, byReason: p.byReason },
      upload: this.uploader?.stats,
      store: { bytes: this.store.sizeBytes(), ...this.store.counts() },
      scanner: this.scannerState,
      memoryRss: process.memoryUsage().rss,
      uptimeSec: Math.round((this.clock.now() - this.startedAt) / 1000),
    };
  }

  /** Purges settled taps older than the retention, keeping the most recent ones. */
  purge(): number {
    const s = this.config.settlement;
    const n = this.store.purgeSettled(this.clock.now() - s.retentionDays * 86_400_000, s.keepRecent);
    if (n > 0) this.log.info({ purged: n }, 'settled taps purged');
    return n;
  }

  onOutcome(listener: (o: Outcome) => void): void {
    this.outcomeListeners.push(listener);
  }

  async start(): Promise<void> {
    this.store.open();
    // The replay memory outlives the process: reload what was accepted within its retention.
    const since = this.clock.now() - replayRetention(this.validator.params) * 1000;
    const recent = this.store.acceptedSince(since);
    for (const t of recent) this.validator.replay.remember(t.codeId, t.sub, t.at / 1000);
    // Modes (an evacuation survives a reboot) and metro entries are restored from the store too.
    const restoredEntries = this.policy.attach(this.store.database, this.clock.now());
    this.commandLedger.attach(this.store.database);
    if (this.policy.modes.active().length) this.log.warn({ modes: this.policy.modes.status() }, 'modes restored from the store');
    if (restoredEntries) this.log.info({ restoredMetroTaps: restoredEntries, entriesRemembered: this.policy.entries.size }, 'metro entries restored');
    if (this.config.commands.operatorKeys && !this.link) this.log.warn({}, 'commands.operatorKeys is set but there is no mqtt broker: remote commands are off');
    this.commands?.start();
    this.log.info(
      { mode: this.config.mode, place: this.config.place, direction: this.config.direction, restoredAccepts: recent.length, trustKeys: this.validator.trustList.size },
      'validator starting',
    );
    await this.gate.start();
    this.scanner.on('frame', (text) => this.processor.handleFrame(text));
    this.scanner.on('dropped', (reason, length, endedBy) => this.processor.handleDropped(reason, length, endedBy));
    this.scanner.on('state', (state, detail) => {
      this.scannerState = { state, detail, since: this.clock.now() };
      void this.link?.publishStatus();
    });
    // Housekeeping between riders: decision events, and the WAL checkpoint (so a rider's commit
    // does not pay for it) once no frame has arrived for a moment.
    this.flushTimer = setInterval(() => {
      this.store.flushEvents();
      if (this.clock.now() - this.lastFrameAt >= 300) {
        try {
          this.store.checkpoint();
        } catch (e) {
          this.log.warn({ err: (e as Error).message }, 'checkpoint failed');
        }
      }
    }, 1000);
    this.flushTimer.unref();
    this.purge();
    this.purgeTimer = setInterval(() => this.purge(), 3_600_000);
    this.purgeTimer.unref();
    this.telemetry.start();
    this.uploader?.start();
    await this.listSync?.start();
    this.link?.start();
    await this.scanner.start();
    await this.health.start();
  }

  /** Stops reading, lets the decision in flight finish (decisions are synchronous), drains the gate, closes the store. */
  async stop(): Promise<void> {
    await this.health.stop();
    await this.scanner.stop();
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.uploader?.stop();
    await this.listSync?.stop();
    this.commands?.stop();
    this.telemetry.stop();
    await this.link?.stop();
    await this.gate.stop();
    this.store.close();
    this.log.info({}, 'validator stopped');
  }

  status(): ServiceStatus {
    return {
      deviceId: this.config.deviceId,
      scanner: this.scannerState,
      decisions: this.processor.counters,
      store: this.store.counts(),
      replayMemory: this.validator.replay.size,
      trustKeys: this.validator.trustList.size,
      denyEntries: this.validator.denyList.size,
      gate: this.gate.stats,
      backlog: this.telemetry.backlog,
      alarms: this.telemetry.alarms,
      mqtt: { configured: this.link !== undefined, connected: this.link?.connected ?? false },
      ...(this.uploader ? { upload: this.uploader.stats } : {}),
      ...(this.listSync ? { lists: this.listSync.status() } : {}),
      policy: this.policy.status(),
      commands: { enabled: this.commands !== undefined, ...(this.commands?.stats ?? { accepted: 0, refused: 0 }) },
    };
  }
}
