/**
 * The ride-code formats this validator reads, in the order they are tried. Adding a format
 * (docs/credential-formats.md) is one file implementing CredentialFormat and one line here.
 */
import { CredentialRouter } from './credentialFormat.ts';
import type { JttFormat } from './jtt/jttFormat.ts';
import type { RideCodeValidator } from './validator.ts';

/** The formats' own objects, built where their lists and settings are (the service, `faregate verify`). */
export interface CredentialFormats {
  /** FG1 (qr-token-v1): trust and deny lists are swapped on it directly. */
  fg1: RideCodeValidator;
  /** JT/T 1179 (jtt1179-reading), where the caller reads it: root keys and deny list swapped on it. */
  jtt1179?: JttFormat;
}

export function credentialRouter(f: CredentialFormats): CredentialRouter {
  return new CredentialRouter([f.fg1, ...(f.jtt1179 ? [f.jtt1179] : [])]);
}
