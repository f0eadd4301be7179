/**
 * Operating modes a remote command switches (src/fleet/commands.ts), kept in the store's SQLite
 * database so they survive a restart or power loss: an evacuation (free pass) stays on until it
 * is lifted by a command, whatever happens to the process in between.
 *
 * - `free_pass`: emergency evacuation; the gate opens for every frame (valid codes are recorded as
 *   taps with fare 0 and flag `free_pass`). Takes precedence over `out_of_service`.
 * - `out_of_service`: every frame is turned away (reason `out_of_service`); nothing is recorded as a tap.
 */
import { GATE_MODES, type GateMode } from '../domain/vocabulary.ts';
import type Database from 'better-sqlite3';
import { errorMessage, FaregateError } from '../errors/faregateError.ts';

/** The gate modes (src/domain/vocabulary.ts), under the names this module has always exported. */
export const MODE_NAMES = GATE_MODES;
export type ModeName = GateMode;

export interface ModeState {
  on: boolean;
  /** When the mode last changed (Unix ms); absent when it never changed on this device. */
  since?: number;
  /** The id of the command that last changed it. */
  by?: string;
}

export type ModesStatus = Record<ModeName, ModeState>;

const UPSERT =
  'INSERT INTO gate_modes (name, is_on, since, by) VALUES (?, ?, ?, ?) ' +
  'ON CONFLICT(name) DO UPDATE SET is_on = excluded.is_on, since = excluded.since, by = excluded.by';

export class GateModes {
  private db: Database.Database | undefined;
  private readonly state: ModesStatus = { free_pass: { on: false }, out_of_service: { on: false } };

  /**
   * Loads the persisted modes from the store's database; the `gate_modes` table is created by the
   * store's versioned migrations (src/store/tapStore.ts), never here.
   */
  attach(db: Database.Database): void {
    this.db = db;
    type Row = { name: string; is_on: number; since: number; by: string | null };
    const rows = db.prepare('SELECT name, is_on, since, by FROM gate_modes').all() as Row[];
    for (const r of rows) {
      if (!(MODE_NAMES as readonly string[]).includes(r.name)) continue;
      const s: ModeState = { on: r.is_on === 1, since: r.since };
      if (r.by !== null) s.by = r.by;
      this.state[r.name as ModeName] = s;
    }
  }

  get freePass(): boolean {
    return this.state.free_pass.on;
  }

  get outOfService(): boolean {
    return this.state.out_of_service.on;
  }

  /** Whether modes are written to the store (attached to its database). */
  get persisted(): boolean {
    return this.db !== undefined;
  }

  /**
   * Switches a mode and persists it (synchronously, before the caller answers). Returns whether
   * it changed (no change: nothing written). A mode that cannot be written (not attached to the
   * store, or the write fails) is not changed either: throws FaregateError MODE_NOT_PERSISTED
   * (FG-503), and the remote command is refused with that reason. An evacuation mode is on disk
   * or it is not on.
   */
  set(name: ModeName, on: boolean, atMs: number, by?: string): boolean {
    if (this.state[name].on === on) return false;
    const next: ModeState = { on, since: atMs };
    if (by !== undefined) next.by = by;
    const refuse = (why: string, cause?: unknown): never => {
      throw new FaregateError('MODE_NOT_PERSISTED', `${name} not changed: ${why}`, { cause });
    };
    if (!this.db) refuse('the store is not open, the mode cannot be persisted');
    try {
      this.db!.prepare(UPSERT).run(name, on ? 1 : 0, next.since, next.by ?? null);
    } catch (e) {
      refuse(`the mode could not be persisted (${errorMessage(e)})`, e);
    }
    this.state[name] = next;
    return true;
  }

  status(): ModesStatus {
    return { free_pass: { ...this.state.free_pass }, out_of_service: { ...this.state.out_of_service } };
  }

  /** The names of the modes that are on (for the retained status and logs). */
  active(): ModeName[] {
    return MODE_NAMES.filter((n) => this.state[n].on);
  }
}
