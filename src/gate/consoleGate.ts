import type { Logger } from '../platform/logger.ts';
import type { GateDriver, GateSignal } from './types.ts';

/** Shows each outcome in the log: for a laptop, the demo, or a gate whose hardware is driven elsewhere. */
export class ConsoleGate implements GateDriver {
  readonly name = 'console';
  constructor(private readonly log: Logger) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async signal(s: GateSignal): Promise<void> {
    if (s.action === 'silent') return;
    this.log.info(
      { action: s.action, message: s.message, fare: s.fare, tapId: s.tapId },
      s.action === 'open' ? `GATE OPEN  ${s.text}` : `GATE SHUT  ${s.text}`,
    );
  }
}
