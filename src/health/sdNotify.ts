/**
 * sd_notify without native modules. The protocol is one datagram on the AF_UNIX socket named by
 * NOTIFY_SOCKET, but Node core has no AF_UNIX datagram sockets (node:dgram is UDP only, node:net
 * is stream only). So the message is sent by the `systemd-notify` binary (part of systemd, so
 * present wherever NOTIFY_SOCKET is set by systemd), run with the service's environment:
 *
 *   systemd-notify READY=1 STATUS=…
 *
 * systemd-notify is a separate (short-lived) process, so the unit needs `NotifyAccess=all`.
 * Since systemd 246 systemd-notify waits (sd_notify_barrier) until the manager has processed the
 * message, so it is attributed to the unit even though the sender exits right away.
 * Without NOTIFY_SOCKET nothing is sent; without the binary a debug line is logged once and
 * nothing is sent (the unit then should be Type=simple without WatchdogSec).
 */
import { execFile } from 'node:child_process';
import type { Logger } from '../platform/logger.ts';

export type ExecFn = (
  file: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; timeout: number },
  cb: (err: Error | null) => void,
) => void;

const defaultExec: ExecFn = (file, args, opts, cb) => {
  execFile(file, args, { env: opts.env, timeout: opts.timeout, windowsHide: true }, (err) => cb(err));
};

export interface SdNotifyOptions {
  env?: NodeJS.ProcessEnv;
  /** The binary (default `systemd-notify`, found on PATH). */
  binary?: string;
  exec?: ExecFn;
  /** Options put before the assignments (tests: `--no-block`, for a socket that is not systemd's). */
  options?: string[];
  log: Logger;
}

export class SdNotifier {
  private readonly env: NodeJS.ProcessEnv;
  private readonly binary: string;
  private readonly exec: ExecFn;
  private readonly options: string[];
  private readonly log: Logger;
  private missing = false;
  sent = 0;

  constructor(o: SdNotifyOptions) {
    this.env = o.env ?? process.env;
    this.binary = o.binary ?? 'systemd-notify';
    this.exec = o.exec ?? defaultExec;
    this.options = o.options ?? [];
    this.log = o.log;
  }

  /** true when systemd asked for notifications (NOTIFY_SOCKET set) and the binary was not found missing. */
  get enabled(): boolean {
    return !!this.env.NOTIFY_SOCKET && !this.missing;
  }

  /**
   * The watchdog interval systemd expects pings within (ms), or undefined when there is no
   * watchdog for this process (WATCHDOG_USEC unset, or WATCHDOG_PID names another process).
   */
  watchdogMs(pid = process.pid): number | undefined {
    const usec = Number(this.env.WATCHDOG_USEC);
    if (!this.env.WATCHDOG_USEC || !Number.isFinite(usec) || usec <= 0) return undefined;
    if (this.env.WATCHDOG_PID && Number(this.env.WATCHDOG_PID) !== pid) return undefined;
    return Math.floor(usec / 1000);
  }

  /** Sends `KEY=VALUE` assignments; resolves true when systemd-notify succeeded. Never throws. */
  notify(...assignments: string[]): Promise<boolean> {
    if (!this.enabled) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.exec(this.binary, [...this.options, ...assignments], { env: this.env, timeout: 10_000 }, (err) => {
        if (!err) {
          this.sent++;
          resolve(true);
          return;
        }
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          if (!this.missing)
            this.log.debug(
              { binary: this.binary },
              'sd_notify skipped: systemd-notify not found (NOTIFY_SOCKET is set; use Type=simple)',
            );
          this.missing = true;
        } else this.log.warn({ err: err.message, assignments }, 'sd_notify failed');
        resolve(false);
      });
    });
  }
}
