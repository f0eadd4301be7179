/**
 * What the passenger display shows for one outcome: one screen per message class and gate mode,
 * the concession on an accept, how long it stays. Pure (no I/O): the display server pushes the
 * result to the page, the page looks the words up in the operator's texts.
 *
 * The outcome is read structurally (the tap processor's Outcome, src/service/tapProcessor.ts,
 * fits it), so this folder does not depend on the service.
 */
import { profileName } from '../domain/vocabulary.ts';

/** Every screen, in the order docs/display.md lists them. `idle` is shown between riders. */
export const SCREENS = [
  'idle',
  'go',
  'refresh_code',
  'scan_again',
  'renew_in_app',
  'invalid_code',
  'see_staff',
  'not_valid_here',
  'anti_passback',
  'out_of_service',
  'free_pass',
] as const;
export type Screen = (typeof SCREENS)[number];

/** The screens an outcome can bring (every screen but idle). */
export type OutcomeScreen = Exclude<Screen, 'idle'>;

/** The tone family of each screen: riders learn five sounds, not eleven. */
export const TONE_OF: Readonly<Record<OutcomeScreen, Tone>> = {
  go: 'go',
  free_pass: 'free_pass',
  refresh_code: 'retry',
  scan_again: 'retry',
  renew_in_app: 'retry',
  invalid_code: 'refused',
  not_valid_here: 'refused',
  see_staff: 'staff',
  anti_passback: 'staff',
  out_of_service: 'staff',
};
export const TONES = ['go', 'free_pass', 'retry', 'refused', 'staff'] as const;
export type Tone = (typeof TONES)[number];

/** The parts of an outcome the display reads (the tap processor's Outcome has them all). */
export interface DisplayedOutcome {
  decision: 'accept' | 'reject' | 'ignore';
  reason?: string;
  message: string;
  at: number;
  freePass?: boolean;
  tap?: { profile: number; fare?: number; currency: string };
}

/** One message to the page (the SSE `outcome` event's data). */
export interface DisplayMessage {
  screen: OutcomeScreen;
  /** How long the screen stays before idle returns (ms). */
  holdMs: number;
  /** When the gate decided (Unix ms), for the decision → screen latency. */
  at: number;
  /** Accept: the fare profile's name (src/domain/vocabulary.ts PROFILES) when it is not adult. */
  profile?: string;
  /** Accept with `showFare`: the fare in minor units and its currency. */
  fare?: { amount: number; currency: string };
}

export interface ScreenSettings {
  showFare: boolean;
  acceptHoldMs: number;
  rejectHoldMs: number;
}

const MESSAGE_SCREENS: ReadonlySet<string> = new Set<OutcomeScreen>([
  'go',
  'refresh_code',
  'scan_again',
  'renew_in_app',
  'invalid_code',
  'see_staff',
  'not_valid_here',
]);

/**
 * The screen of one outcome; undefined for `ignore` (a second read of a code just accepted: the
 * screen the rider already sees stays as it is). A free pass opens the gate whatever the
 * decision: its own screen. The service reasons out_of_service and anti_passback say more than
 * "see staff": they have their own screens.
 */
export function screenOf(o: DisplayedOutcome, s: ScreenSettings): DisplayMessage | undefined {
  if (o.decision === 'ignore') return undefined;
  const at = o.at;
  if (o.freePass) return { screen: 'free_pass', holdMs: s.acceptHoldMs, at };
  if (o.decision === 'accept') {
    const m: DisplayMessage = { screen: 'go', holdMs: s.acceptHoldMs, at };
    const name = o.tap ? profileName(o.tap.profile) : undefined;
    if (name && name !== 'adult') m.profile = name;
    if (s.showFare && o.tap?.fare !== undefined) m.fare = { amount: o.tap.fare, currency: o.tap.currency };
    return m;
  }
  const screen: OutcomeScreen =
    o.reason === 'out_of_service' || o.reason === 'anti_passback'
      ? o.reason
      : MESSAGE_SCREENS.has(o.message)
        ? (o.message as OutcomeScreen)
        : 'see_staff';
  return { screen, holdMs: s.rejectHoldMs, at };
}
