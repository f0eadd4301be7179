/**
 * The running validator: builds its components from the platform (clock, logger, scanner
 * transport, gate driver, store, MQTT link; src/service/platform.ts) and puts them in one list,
 * started in order and stopped in reverse (src/service/lifecycle.ts). The same service runs
 * against a serial scanner, a TCP scanner or in-process test doubles.
 *
 * Start order: the store (and what it restores: replay memory, modes, metro entries) first, the
 * gate, housekeeping, the MQTT link, the status publisher, telemetry, the uploader, commands,
 * lists and the group's shared replay memory, the passenger display, then the scanner (no frame is
 * read before all that) and health last. Stop is the reverse: health, the scanner (no more frames),
 * the display, replay sharing, lists, commands, the uploader and telemetry (nothing publishes after
 * the link ends), the link (offline status with the last figures), the gate drained, and the store
 * closed last.
 */
import type { Config } from '../config/schema.ts';
import type { DisplayServer } from '../display/displayServer.ts';
import { settingFileProblems } from '../config/settingFiles.ts';
import { FaregateError } from '../errors/faregateError.ts';
import { setupRemoteCommands } from '../fleet/commandsWiring.ts';
import type { RemoteCommands } from '../fleet/commands.ts';
import type { JttRootsSync } from '../fleet/listJttRoots.ts';
import type { ListSync } from '../fleet/listSync.ts';
import type { ReplayShare } from '../fleet/replayShare.ts';
import { AlarmBoard } from '../fleet/alarms.ts';
import { EventOutbox } from '../fleet/events.ts';
import type { GateDispatcher } from '../gate/gateDispatcher.ts';
import type { HealthMonitor } from '../health/healthMonitor.ts';
import { loadListFiles } from '../lists/loadListFiles.ts';
import { ValidatorMetrics } from '../metrics/validatorMetrics.ts';
import type { MqttPort } from '../mqtt/mqttPort.ts';
import type { Logger } from '../platform/logger.ts';
import { packageVersion } from '../platform/packageRoot.ts';
import { GatePolicy } from '../policy/gatePolicy.ts';
import type { ScannerInput } from '../scanner/scannerInput.ts';
import type { Telemetry } from '../settlement/telemetry.ts';
import { setupAckKeys } from '../settlement/ackKeys.ts';
import type { TapUploader } from '../settlement/uploader.ts';
import { GroupAccepts } from '../store/groupAccepts.ts';
import type { TapStore } from '../store/tapStore.ts';
import { credentialRouter } from '../token/formats.ts';
import type { JttFormat } from '../token/jtt/jttFormat.ts';
import { replayRetention } from '../token/params.ts';
import type { Clock, RideCodeValidator } from '../token/validator.ts';
import type { Component } from '../platform/component.ts';
import {
  commandsComponent,
  housekeeping,
  listSyncComponent,
  makeGate,
  makeDisplay,
  makeHealth,
  makeLink,
  makeJttRootsSync,
  makeListSync,
  makeReplayShare,
  makeScanner,
  makeStore,
  makeTelemetry,
  makeUploader,
  makeValidator,
  storeComponent,
} from './components.ts';
import { jttStatus, loadJttSettings, makeJtt, type JttRootsState } from './jtt.ts';
import { Lifecycle } from './lifecycle.ts';
import { withDefaults, type Platform, type ServicePlatform } from './platform.ts';
import {
  buildStatus,
  metricsBody,
  retainedStatus,
  serviceStatus,
  type ScannerStatus,
  type ServiceStatus,
  type StatusModel,
} from './status.ts';
import { StatusPublisher } from './statusPublisher.ts';
import { TapProcessor, type Outcome } from './tapProcessor.ts';

export type { ServicePlatform } from './platform.ts';
export type { ServiceStatus } from './status.ts';
export { STORE_FILE } from './components.ts';

/** Lists that cannot be used at start: the service refuses to start (like a bad settings file). */
export class StartupError extends FaregateError {
  override readonly name = 'StartupError';
  constructor(readonly problems: string[]) {
    super('STARTUP_REFUSED', problems.join('; '));
  }
}

export class ValidatorService {
  readonly clock: Clock;
  readonly platform: Platform;
  readonly store: TapStore;
  readonly validator: RideCodeValidator;
  /** JT/T 1179 codes (`jtt.roots`), beside FG1: its deny list and replay memory are FG1's. */
  readonly jtt: JttFormat | undefined;
  /** Where the JT/T roots in force came from (the file, or a signed `jtt-roots` list). */
  readonly jttRoots: JttRootsState = { version: 0, source: 'file' };
  readonly gate: GateDispatcher;
  readonly processor: TapProcessor;
  readonly scanner: ScannerInput;
  private readonly log: Logger;
  private lastFrameAt = 0;
  private scannerState: ScannerStatus;
  private readonly outcomeListeners: ((o: Outcome) => void)[] = [];
  readonly link: MqttPort | undefined;
  readonly uploader: TapUploader | undefined;
  readonly telemetry: Telemetry;
  /** Signed trust and deny lists over MQTT (`lists` settings). */
  readonly listSync: ListSync | undefined;
  /** The JT/T root list over MQTT (`lists` and `jtt.roots` settings). */
  readonly jttRootsSync: JttRootsSync | undefined;
  /** Shared replay memory within the gate's group (`group` settings). */
  readonly replayShare: ReplayShare | undefined;
  /** What the gate merged from its group, kept in the store for the next start. */
  readonly groupAccepts: GroupAccepts;
  /** /healthz, /metrics and sd_notify (src/health). */
  readonly health: HealthMonitor;
  /** Prometheus metrics (src/metrics), served by health at /metrics. */
  readonly metrics: ValidatorMetrics;
  /** Re-publishes the retained status on changes, at most once a second. */
  readonly statusPublisher: StatusPublisher;
  /** The one event path (`P/gates/D/events`, one offline rule). */
  readonly events: EventOutbox;
  /** The one alarm path (log, event, status). */
  readonly alarms: AlarmBoard;
  private readonly startedAt: number;
  readonly policy: GatePolicy;
  readonly commands: RemoteCommands | undefined;
  /** The passenger display (`display` settings), when enabled. */
  readonly display: DisplayServer | undefined;
  /** The components in start order (stopped in reverse). */
  readonly lifecycle: Lifecycle;

  constructor(
    readonly config: Config,
    platformIn: ServicePlatform,
  ) {
    const platform = withDefaults(platformIn);
    this.platform = platform;
    this.clock = platform.clock;
    this.log = platform.logger;
    const lists = loadListFiles(config.trust.file, config.deny?.file);
    const ackKeys = setupAckKeys(config);
    // Every problem of the settings' files is gathered and reported at once, at the end of this
    // constructor (a part whose file is unusable is built without it meanwhile; nothing starts).
    const problems = [...lists.problems, ...settingFileProblems(config), ...ackKeys.problems];
    const jtt = loadJttSettings(config);
    problems.push(...jtt.problems);

    this.store = makeStore(config, platform);
    this.validator = makeValidator(config, lists, platform);
    this.jtt = jtt.roots && makeJtt(jtt.roots, this.validator);
    this.gate = makeGate(config, platform);
    this.policy = new GatePolicy(config);
    this.processor = new TapProcessor({
      policy: this.policy,
      credentials: credentialRouter({ fg1: this.validator, ...(this.jtt ? { jtt1179: this.jtt } : {}) }),
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
    this.scanner = makeScanner(config, platform);
    this.scannerState = { state: 'stopped', detail: '', since: this.clock.now() };
    this.startedAt = this.clock.now();
    this.scanner.on('frame', (text) => this.processor.handleFrame(text));
    this.scanner.on('dropped', (reason, length, endedBy) => this.processor.handleDropped(reason, length, endedBy));
    this.scanner.on('state', (state, detail) => {
      this.scannerState = { state, detail, since: this.clock.now() };
      this.statusPublisher.changed();
    });

    this.link = makeLink(config, platform, () => retainedStatus(this.statusModel()));
    this.statusPublisher = new StatusPublisher(this.link);
    const statusChanged = () => this.statusPublisher.changed();
    if (this.link) {
      const acks = ackKeys.backendKeys ? { backendKeys: ackKeys.backendKeys } : {};
      this.uploader = makeUploader(config, platform, this.store, this.link, acks);
    }
    // The one event path and the one alarm path, shared by telemetry, list sync and commands.
    this.events = new EventOutbox(this.link);
    this.alarms = new AlarmBoard({
      events: this.events,
      logger: this.log.child({ component: 'health' }),
      clock: this.clock,
      statusChanged,
    });
    this.telemetry = makeTelemetry(config, platform, {
      store: this.store,
      link: this.link,
      alarms: this.alarms,
      metricsBody: () => metricsBody(this.statusModel()),
      statusChanged,
    });
    const ls = makeListSync(config, platform, {
      validator: this.validator,
      jtt: this.jtt,
      link: this.link,
      events: this.events,
      alarms: this.alarms,
      statusChanged,
    });
    problems.push(...ls.problems);
    this.listSync = ls.listSync;
    this.jttRootsSync = makeJttRootsSync(config, platform, {
      jtt: this.jtt,
      rootKeys: ls.rootKeys,
      listSync: ls.listSync,
      link: this.link,
      events: this.events,
      applied: (version) => {
        this.jttRoots.version = version;
        this.jttRoots.source = 'signed';
      },
      statusChanged,
    });
    this.groupAccepts = new GroupAccepts({
      db: () => this.store.database,
      retentionMs: replayRetention(this.validator.params) * 1000,
      log: this.log.child({ component: 'replay-share' }),
    });
    const rs = makeReplayShare(config, platform, {
      validator: this.validator,
      link: this.link,
      keep: this.groupAccepts,
    });
    problems.push(...rs.problems);
    this.replayShare = rs.replayShare;
    this.metrics = new ValidatorMetrics({
      status: () => this.statusModel(),
      scanner: () => this.scanner.counters,
      version: packageVersion,
    });
    this.scanner.prependListener('frame', () => this.metrics.frameArrived());
    this.scanner.prependListener('dropped', () => this.metrics.frameArrived());
    this.health = makeHealth(config, platform, {
      status: () => this.status(),
      scanner: () => this.scannerState,
      contributions: () => this.lifecycle.health(),
      metrics: this.metrics,
    });
    this.outcomeListeners.push((o) => this.health.noteOutcome(o));
    this.outcomeListeners.push(() => {
      this.lastFrameAt = this.clock.now();
    });
    const cmds = setupRemoteCommands({
      config,
      configFile: platform.configFile,
      validator: this.validator,
      jtt: this.jtt,
      policy: this.policy,
      link: this.link,
      events: this.events,
      clock: this.clock,
      rootLogger: this.log,
      logger: this.log.child({ component: 'commands' }),
      status: () => this.status(),
    });
    problems.push(...cmds.problems);
    this.commands = cmds.commands;
    this.outcomeListeners.push((o) => {
      // Outcomes are emitted after the gate signal: the announcement is signed and sent later still.
      if (o.tap) this.replayShare?.announce(o.tap.codeId, o.tap.sub, o.tap.at, o.tap.format);
      if (o.tap) this.uploader?.notify();
      else if (o.decision === 'reject' && this.link) {
        const codeId = o.token?.codeId;
        const sub = o.token?.subHex;
        this.events.event({
          at: o.at,
          kind: 'reject',
          reason: o.reason!,
          ...(o.freePass ? { freePass: true } : {}),
          ...(codeId ? { codeId } : {}),
          ...(sub ? { sub } : {}),
        });
      }
    });

    const shown = makeDisplay(config, platform, () => ({
      freePass: this.policy.freePass,
      outOfService: this.policy.outOfService,
    }));
    problems.push(...shown.problems);
    if (problems.length) throw new StartupError(problems);
    this.display = shown.display;
    const display = this.display;
    // Last of the listeners: the gate, the store and the uploader come first.
    if (display) this.outcomeListeners.push((o) => display.show(o));

    const parts: (Component | undefined)[] = [
      storeComponent({
        store: this.store,
        validator: this.validator,
        jtt: this.jtt,
        policy: this.policy,
        ledger: cmds.ledger,
        groupAccepts: this.groupAccepts,
        config,
        hasLink: this.link !== undefined,
        now: () => this.clock.now(),
        log: this.log,
      }),
      this.gate,
      housekeeping({
        store: this.store,
        purge: () => this.purge(),
        lastFrameAt: () => this.lastFrameAt,
        now: () => this.clock.now(),
        log: this.log,
      }),
      this.link && { name: 'mqtt', start: () => this.link!.start(), stop: () => this.link!.stop() },
      this.link && this.statusPublisher,
      this.telemetry,
      this.uploader,
      this.commands && commandsComponent(this.commands),
      this.listSync && listSyncComponent(this.listSync),
      this.jttRootsSync && {
        name: 'jtt-roots',
        start: () => this.jttRootsSync!.start(),
        stop: () => this.jttRootsSync!.stop(),
      },
      this.replayShare,
      this.display,
      this.scanner,
      this.health,
    ];
    this.lifecycle = new Lifecycle(
      parts.filter((c): c is Component => c !== undefined),
      this.log,
    );
  }

  /** The one status model (retained status, /healthz and metrics are projections of it). */
  statusModel(): StatusModel {
    const c = this.config;
    return buildStatus({
      now: () => this.clock.now(),
      startedAt: this.startedAt,
      config: { deviceId: c.deviceId, mode: c.mode, place: c.place, direction: c.direction },
      scanner: () => this.scannerState,
      decisions: () => this.processor.counters,
      storeCounts: () => this.store.counts(),
      storeBytes: () => {
        try {
          return this.store.sizeBytes();
        } catch {
          return undefined;
        }
      },
      replayMemory: () => this.validator.replay.size,
      trustKeys: () => this.validator.trustList.size,
      denyEntries: () => this.validator.denyList.size,
      gate: () => this.gate.stats,
      backlog: () => this.telemetry.backlog,
      alarms: () => this.telemetry.alarms,
      listAlarms: () => this.listSync?.alarms ?? [],
      mqtt: () => ({ configured: this.link !== undefined, connected: this.link?.connected ?? false }),
      upload: () => this.uploader?.stats,
      lists: () => this.listSync?.status(),
      jttRootsList: () => this.jttRootsSync?.status(),
      policy: () => this.policy.status(),
      freePass: () => this.policy.freePass,
      outOfService: () => this.policy.outOfService,
      commands: () => ({
        enabled: this.commands !== undefined,
        ...(this.commands?.stats ?? { accepted: 0, refused: 0 }),
      }),
      memoryRss: () => process.memoryUsage().rss,
      group: () => this.replayShare?.status(),
      jtt: () => (this.jtt ? jttStatus(this.jtt, this.jttRoots) : undefined),
    });
  }

  /**
   * Purges settled taps older than the retention, keeping the most recent ones, and the accepts
   * merged from the group once their replay retention has run out.
   */
  purge(): number {
    const s = this.config.settlement;
    const now = this.clock.now();
    const n = this.store.purgeSettled(now - s.retentionDays * 86_400_000, s.keepRecent);
    if (n > 0) this.log.info({ purged: n }, 'settled taps purged');
    const expired = this.groupAccepts.prune(now);
    if (expired > 0) this.log.debug({ expired }, 'expired accepts of the group pruned');
    return n;
  }

  onOutcome(listener: (o: Outcome) => void): void {
    this.outcomeListeners.push(listener);
  }

  /** Starts the components in order; when one fails, those already started are stopped. */
  async start(): Promise<void> {
    await this.lifecycle.start();
  }

  /** Stops the components in reverse start order: reading first, the store closed last. */
  async stop(): Promise<void> {
    await this.lifecycle.stop();
    this.log.info({}, 'validator stopped');
  }

  status(): ServiceStatus {
    return serviceStatus(this.statusModel());
  }
}
