/**
 * The settings as a flat list an operator can read: every field's dotted path, type, allowed
 * values, default, meaning and reload behaviour, walked from the JSON Schema that zod emits
 * for ConfigSchema. The single source for config/settings.schema.json and docs/settings.md.
 */
import { z } from 'zod';
import { ConfigSchema } from './schema.ts';
import { RELOAD_KEY, RELOAD_NOTE_KEY, type Reload } from './settingMeta.ts';

export type JsonSchema = { [k: string]: unknown };

export interface SettingEntry {
  /** Dotted path, e.g. `scanner.framing.suffix`. */
  path: string;
  type: string;
  /** Allowed values or bounds in words, e.g. `bus`, `metro` or `1 .. 65535`. */
  allowed?: string;
  default?: unknown;
  /** Must be given when its section is present (no default). */
  required: boolean;
  /** Only with another setting's value, e.g. `gate.driver: serial`. */
  onlyWith?: string;
  description: string;
  reload: Reload;
  reloadNote?: string;
  /** The field's own JSON Schema (bounds, allowed values). */
  schema: JsonSchema;
}

export interface SectionEntry {
  path: string;
  description: string;
  /** The whole section may be left out. */
  optional: boolean;
  /** What a left-out section stands for, when not `{}`. */
  default?: Record<string, unknown>;
}

export interface SettingsCatalog {
  sections: SectionEntry[];
  settings: SettingEntry[];
}

/** The JSON Schema of the settings file as zod emits it (input side: fields with defaults are optional). */
export function rawSettingsJsonSchema(): JsonSchema {
  return z.toJSONSchema(ConfigSchema, {
    io: 'input',
    target: 'draft-7',
    override: ({ jsonSchema: s }) => {
      // zod bounds every integer by the safe range; that is noise to an operator.
      if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
      if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
    },
  });
}

const isObj = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

function describeType(s: JsonSchema): { type: string; allowed?: string } {
  const values = (vs: unknown[]) => vs.map((v) => `\`${JSON.stringify(v).replace(/^"|"$/g, '')}\``).join(', ');
  if (Array.isArray(s.enum))
    return { type: typeof s.enum[0] === 'number' ? 'number' : 'string', allowed: values(s.enum) };
  if ('const' in s) return { type: String(s.type), allowed: values([s.const]) };
  if (Array.isArray(s.anyOf) && s.anyOf.every((b) => isObj(b) && 'const' in b))
    return {
      type: String((s.anyOf[0] as JsonSchema).type),
      allowed: values(s.anyOf.map((b) => (b as JsonSchema).const)),
    };
  const type = String(s.type);
  const n = (v: unknown): string => (typeof v === 'number' ? String(v) : JSON.stringify(v));
  const bounds: string[] = [];
  const min = s.minimum ?? s.exclusiveMinimum;
  if (min !== undefined && s.maximum !== undefined) bounds.push(`${n(min)} .. ${n(s.maximum)}`);
  else if (s.exclusiveMinimum !== undefined) bounds.push(`> ${n(s.exclusiveMinimum)}`);
  else if (s.minimum !== undefined) bounds.push(`≥ ${n(s.minimum)}`);
  else if (s.maximum !== undefined) bounds.push(`≤ ${n(s.maximum)}`);
  if (typeof s.pattern === 'string') bounds.push(`matches \`${s.pattern}\``);
  if (s.minLength !== undefined && s.maxLength !== undefined)
    bounds.push(`${n(s.minLength)} .. ${n(s.maxLength)} characters`);
  else if (typeof s.minLength === 'number' && s.minLength > 0) bounds.push('not empty');
  return bounds.length ? { type, allowed: bounds.join('; ') } : { type };
}

/**
 * The properties of an object schema or of a oneOf of object schemas (a discriminated union),
 * with for each one the condition under which it exists.
 */
function propertiesOf(
  s: JsonSchema,
  prefix: string,
): { key: string; schema: JsonSchema; required: boolean; onlyWith?: string }[] {
  if (!Array.isArray(s.oneOf)) {
    const req = new Set((s.required as string[] | undefined) ?? []);
    return Object.entries((s.properties as Record<string, JsonSchema> | undefined) ?? {}).map(([key, schema]) => ({
      key,
      schema,
      required: req.has(key),
    }));
  }
  const branches = s.oneOf as JsonSchema[];
  const props = branches.map((b) => (b.properties ?? {}) as Record<string, JsonSchema>);
  const tag = Object.keys(props[0]!).find((k) => props.every((p) => p[k] !== undefined && 'const' in p[k]));
  if (!tag) throw new Error('a oneOf in the settings schema without a discriminator');
  const out: { key: string; schema: JsonSchema; required: boolean; onlyWith?: string }[] = [];
  const seen = new Set<string>();
  for (const [i, b] of branches.entries()) {
    const req = new Set((b.required as string[] | undefined) ?? []);
    for (const [key, schema] of Object.entries(props[i]!)) {
      if (seen.has(key)) continue;
      seen.add(key);
      if (key === tag) {
        out.push({
          key,
          required: true,
          schema: {
            type: schema.type,
            enum: props.map((p) => p[tag]!.const),
            description: props.map((p) => p[tag]!.description).join(' '),
            [RELOAD_KEY]: schema[RELOAD_KEY],
          },
        });
        continue;
      }
      const inAll = props.every((p) => p[key] !== undefined);
      const where = props.flatMap((p) => (p[key] !== undefined ? [p[tag]!.const] : []));
      out.push({
        key,
        schema,
        required: req.has(key),
        ...(inAll ? {} : { onlyWith: `${prefix ? `${prefix}.` : ''}${tag}: ${where.join(' or ')}` }),
      });
    }
  }
  return out;
}

const isSection = (s: JsonSchema) => (s.type === 'object' && isObj(s.properties)) || Array.isArray(s.oneOf);

export function settingsCatalog(schema: JsonSchema = rawSettingsJsonSchema()): SettingsCatalog {
  const sections: SectionEntry[] = [];
  const settings: SettingEntry[] = [];
  const walk = (s: JsonSchema, prefix: string, onlyWith: string | undefined) => {
    for (const p of propertiesOf(s, prefix)) {
      const path = prefix ? `${prefix}.${p.key}` : p.key;
      const cond = [onlyWith, p.onlyWith].filter(Boolean).join(', ') || undefined;
      if (typeof p.schema.description !== 'string' || p.schema.description === '')
        throw new Error(
          `settings field ${path} has no description: give it one with setting() or section() in src/config/schema.ts`,
        );
      if (isSection(p.schema)) {
        sections.push({
          path,
          description: p.schema.description,
          optional: !p.required && p.schema.default === undefined,
          ...(isObj(p.schema.default) ? { default: p.schema.default } : {}),
        });
        walk(p.schema, path, cond);
        continue;
      }
      const reload = p.schema[RELOAD_KEY];
      if (reload !== 'live' && reload !== 'restart')
        throw new Error(
          `settings field ${path} does not say whether it reloads: use setting() in src/config/schema.ts`,
        );
      const note = p.schema[RELOAD_NOTE_KEY];
      settings.push({
        path,
        ...describeType(p.schema),
        ...(p.schema.default !== undefined ? { default: p.schema.default } : {}),
        required: p.required && p.schema.default === undefined,
        ...(cond ? { onlyWith: cond } : {}),
        description: p.schema.description,
        reload,
        ...(typeof note === 'string' ? { reloadNote: note } : {}),
        schema: p.schema,
      });
    }
  };
  walk(schema, '', undefined);
  return { sections, settings };
}

/** The reload behaviour in words, as the schema's descriptions and the docs give it. */
export function reloadInWords(e: Pick<SettingEntry, 'reload' | 'reloadNote'>): string {
  if (e.reload === 'restart') return 'needs a restart';
  return e.reloadNote ? `live (reload_config applies it) ${e.reloadNote}` : 'live (reload_config applies it)';
}
