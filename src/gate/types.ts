import type { MessageClass } from '../token/reasons.ts';

/** What the gate (turnstile, bus reader's lights and speaker) is told after a decision. */
export interface GateSignal {
  action: 'open' | 'reject' | 'silent';
  message: MessageClass;
  /** The text to show or speak (empty for silent). */
  text: string;
  /** Pseudonymous tap id for the gate's own log, on open. */
  tapId?: string;
  fare?: number;
}

/** A gate maker's device. `signal` may be slow or fail; the dispatcher keeps that off the decision path. */
export interface GateDriver {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  signal(s: GateSignal): Promise<void>;
}
