/**
 * Every reason a frame is not accepted, in one table: the token reasons of the credential formats
 * (qr-token-v1 §4, numbers 1..17; 18, 19 for JT/T 1179; src/token/reasons.ts) and the service reasons the admission
 * core or the commit adds (20..23). Each has a stable number (never 0: 0 is an accept), the
 * message class the rider is told, and the gate text. A number never changes meaning once
 * released. Documented in the README (Decisions) and docs/remote-commands.md.
 */
import { MESSAGE_CLASS, MESSAGE_TEXT, REASONS, type MessageClass, type Reason } from '../token/reasons.ts';

/** Reasons of the service, not of the ride code: the gate's mode, its policy, its lists, its store. */
export const SERVICE_REASONS = {
  /** The gate is out of service (remote command): every frame is turned away, undecoded. */
  out_of_service: 20,
  /** Metro `in` gate: the same account entered here within `policy.antiPassbackSeconds`. */
  anti_passback: 21,
  /** The signed lists are stale and `lists.stalePolicy` is `reject`. */
  lists_stale: 22,
  /** The code was accepted but the store could not record the tap: no ride without a record. */
  store_unavailable: 23,
} as const;

export type ServiceReason = keyof typeof SERVICE_REASONS;
/** Any reason an outcome can carry. */
export type AdmissionReason = Reason | ServiceReason;

export interface ReasonInfo {
  /** The stable number (1..19 token reasons, 20.. service reasons). */
  readonly number: number;
  /** What the rider is told. */
  readonly message: MessageClass;
  /** What the gate shows or speaks. */
  readonly text: string;
  /** Who decides it: the credential format (`token`) or the service. */
  readonly source: 'token' | 'service';
}

const SERVICE_MESSAGE: Record<ServiceReason, { message: MessageClass; text: string }> = {
  out_of_service: { message: 'see_staff', text: 'Out of service: please use another gate' },
  anti_passback: { message: 'see_staff', text: MESSAGE_TEXT.see_staff },
  lists_stale: { message: 'see_staff', text: MESSAGE_TEXT.see_staff },
  store_unavailable: { message: 'see_staff', text: MESSAGE_TEXT.see_staff },
};

function buildTable(): Record<AdmissionReason, ReasonInfo> {
  const t = {} as Record<AdmissionReason, ReasonInfo>;
  for (const r of Object.keys(REASONS) as Reason[]) {
    const message = MESSAGE_CLASS[r];
    t[r] = Object.freeze({ number: REASONS[r], message, text: MESSAGE_TEXT[message], source: 'token' as const });
  }
  for (const r of Object.keys(SERVICE_REASONS) as ServiceReason[])
    t[r] = Object.freeze({ number: SERVICE_REASONS[r], ...SERVICE_MESSAGE[r], source: 'service' as const });
  return Object.freeze(t);
}

/** Number, message class and gate text of every reason. */
export const REASON_TABLE: Readonly<Record<AdmissionReason, ReasonInfo>> = buildTable();
export const ADMISSION_REASONS = Object.keys(REASON_TABLE) as AdmissionReason[];
