/**
 * Metadata on each settings field: what it means to an operator and whether a signed
 * `reload_config` command applies it (src/fleet/commandsReload.ts) or it needs a restart.
 * Carried by zod's `.meta()`, so it lands in the generated JSON Schema as `description`,
 * `x-faregate-reload` and `x-faregate-reload-note`.
 */
import type { z } from 'zod';

/** `live`: `reload_config` applies a changed value; `restart`: it takes effect at the next start. */
export type Reload = 'live' | 'restart';

export const RELOAD_KEY = 'x-faregate-reload';
export const RELOAD_NOTE_KEY = 'x-faregate-reload-note';

/** A settings field (a leaf): its meaning, how it reloads, and, for conditional live fields, when. */
export function setting<T extends z.ZodType>(schema: T, description: string, reload: Reload, reloadNote?: string): T {
  return schema.meta({ description, [RELOAD_KEY]: reload, ...(reloadNote ? { [RELOAD_NOTE_KEY]: reloadNote } : {}) });
}

/** A group of settings (a section); its fields carry their own reload flag. */
export function section<T extends z.ZodType>(schema: T, description: string): T {
  return schema.meta({ description });
}
