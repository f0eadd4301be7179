/**
 * Signed trust and deny lists on the validator (docs/signed-lists.md), composed of parts with one
 * job each:
 *
 * - ListSubscription (listSubscription.ts): receives `P/trust` and `P/deny` from the broker;
 * - ListApplier (listApplier.ts): refuses oversized documents unparsed, keeps at most one waiting
 *   document per type (the newest), verifies against the pinned root keys, refuses forged,
 *   unknown-root, rolled-back, out-of-order and malformed documents (log + `list_refused` event +
 *   status, rate-limited in a flood), swaps the validator's list atomically; large deny lists in
 *   a worker thread;
 * - ListStore (listStore.ts): persists the applied documents in `dataDir/lists/` and gives them
 *   back at start (verified again), so a gate starts offline with its last lists;
 * - ListAge (listAge.ts): the lists' age, the stale policy and the `lists_stale` alarm (raised
 *   through the one alarm path, src/fleet/alarms.ts);
 * - the status (listStatus.ts).
 *
 * Events go out through the one event path (src/fleet/events.ts, injected as `events`).
 */
import type { ListsConfig } from '../config/schema.ts';
import type { ListType, RootKeySet } from '../lists/signedList.ts';
import type { DenyJobOptions, ListWorkerPool } from '../lists/signedListJob.ts';
import type { MqttPort } from '../mqtt/mqttPort.ts';
import type { Logger } from '../platform/logger.ts';
import type { JttFormat } from '../token/jtt/jttFormat.ts';
import type { Clock, RideCodeValidator } from '../token/validator.ts';
import { AlarmBoard, type AlarmSink } from './alarms.ts';
import type { EventSink } from './events.ts';
import { ListAge } from './listAge.ts';
import { ListApplier, type LastJob, type ListDocument, type ListSource, type ReceiveResult } from './listApplier.ts';
import { listStatus, type ListsStatus } from './listStatus.ts';
import { ListStore } from './listStore.ts';
import { ListSubscription } from './listSubscription.ts';

export { FLAG_STALE_LISTS } from './listAge.ts';
export type { ReceiveResult, Refusal } from './listApplier.ts';
export { loadListSettings } from './listSettings.ts';
export type { ListState, ListsStatus } from './listStatus.ts';
export { LISTS_DIR } from './listStore.ts';

const STALE_CHECK_MS = 1000;

/** The lists settings; `maxBytes` absent = no size limit (tools and tests that build ListSync directly). */
export type ListSyncConfig = Omit<ListsConfig, 'maxBytes'> & { maxBytes?: Record<ListType, number> };

export interface ListSyncDeps {
  cfg: ListSyncConfig;
  dataDir: string;
  validator: RideCodeValidator;
  /** The JT/T format (`jtt.roots`): it follows the deny list. */
  jtt?: JttFormat | undefined;
  roots: RootKeySet;
  /** The root key JWK Set as read (handed to the worker thread). */
  rootJwks: unknown;
  /** issuedAt of the bootstrap lists (the files' mtime, Unix s); null = no such file. */
  bootstrapIssuedAt: Record<ListType, number | null>;
  link?: MqttPort | undefined;
  /** The one event path (`P/gates/D/events`): an EventOutbox (src/fleet/events.ts). */
  events: EventSink;
  /** The one alarm path; by default an AlarmBoard of its own over `events`. */
  alarms?: AlarmSink;
  /** The status changed (versions, staleness): republish it. */
  statusChanged?: () => void;
  clock: Clock;
  logger: Logger;
  jobOptions?: DenyJobOptions;
}

export class ListSync {
  private readonly applier: ListApplier;
  private readonly store: ListStore;
  private readonly age: ListAge;
  private readonly subscription: ListSubscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: ListSyncDeps) {
    const changed = () => deps.statusChanged?.();
    const { events, logger, clock } = deps;
    const alarms = deps.alarms ?? new AlarmBoard({ events, logger, clock, statusChanged: changed });
    this.store = new ListStore(deps.dataDir, deps.logger);
    this.applier = new ListApplier({
      validator: deps.validator,
      jtt: deps.jtt,
      roots: deps.roots,
      rootJwks: deps.rootJwks,
      bootstrapIssuedAt: deps.bootstrapIssuedAt,
      events: deps.events,
      clock: deps.clock,
      logger: deps.logger,
      jobOptions: deps.jobOptions,
      maxBytes: deps.cfg.maxBytes,
      persistDir: this.store.dir,
      applied: async (type, header, bytes, source) => {
        if (source === 'mqtt') await this.store.persist(type, header, bytes);
        this.checkStale();
        changed();
      },
      refused: (type, reason) => {
        if (reason === 'missing_base') this.subscription?.resubscribe(type);
        changed();
      },
    });
    this.age = new ListAge(deps.cfg, (t) => this.applier.held[t].issuedAt, alarms);
    const held = this.applier.held;
    this.subscription = deps.link
      ? new ListSubscription(
          deps.link,
          (type, payload) => this.receive(type, payload, 'mqtt'),
          (t) => held[t].version === 0 || held[t].waitingForSnapshot,
          deps.cfg.maxBytes,
          (type, bytes) => this.applier.oversizedMessage(type, bytes),
          (type, count) => this.applier.supersededInLink(type, count),
        )
      : undefined;
  }

  private nowSec(): number {
    return this.deps.clock.now() / 1000;
  }

  /** Loads the persisted lists (re-verified), subscribes, starts the staleness check. */
  async start(): Promise<void> {
    await this.store.open();
    this.applier.warm();
    for await (const d of this.store.documents()) await this.receive(d.type, d.bytes, 'disk', d.file);
    this.subscription?.start();
    this.checkStale();
    this.timer = setInterval(() => this.checkStale(), STALE_CHECK_MS);
    this.timer.unref();
  }

  /** The last deny list put in force: how it was verified (the list worker) and what it cost. */
  get lastJob(): LastJob | undefined {
    return this.applier.lastJob;
  }

  /**
   * The list worker, with the root keys as JSON for it: the JT/T root list is verified there too
   * (src/fleet/listJttRoots.ts). It ends at stop().
   */
  get listWorker(): { pool: ListWorkerPool; rootJwks: unknown } {
    return { pool: this.applier.pool, rootJwks: this.deps.rootJwks };
  }

  /** Waits until no update is being handled or waiting. */
  idle(): Promise<void> {
    return this.applier.idle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.applier.close();
  }

  /**
   * Handles one signed document (from MQTT or disk): one at a time per type, the newest arrival
   * waiting (an older waiting one is superseded); over the size limit it is refused unparsed.
   */
  receive(type: ListType, doc: ListDocument, source: ListSource, fileName?: string): Promise<ReceiveResult> {
    return this.applier.receive(type, doc, source, fileName);
  }

  /** Lists that are stale now. */
  staleLists(nowSec = this.nowSec()): ListType[] {
    return this.age.staleLists(nowSec);
  }

  /** Flags for an accepted tap (accept_and_flag policy): ["stale_lists"] while a list is stale. */
  tapFlags(): string[] | undefined {
    return this.age.tapFlags(this.nowSec());
  }

  /** Under the reject policy, 'lists_stale' while a list is stale: accepted codes are turned away. */
  refusal(): 'lists_stale' | undefined {
    return this.age.refusal(this.nowSec());
  }

  /** Active alarms of the lists ('lists_stale'). */
  get alarms(): string[] {
    return this.age.alarmNames;
  }

  /** Raises or clears the `lists_stale` alarm (event + status). */
  checkStale(): void {
    if (!this.stopped) this.age.check(this.nowSec());
  }

  status(): ListsStatus {
    return listStatus(this.applier.held, this.age, this.deps.cfg, this.deps.validator, this.nowSec());
  }
}
