/**
 * Help and usage text, rendered from the command declarations (src/cli/spec/): the synopsis,
 * every option with its meaning and default, and the exit codes. Light: no command module,
 * no zod.
 */
import { optionUsage } from './args.ts';
import { EXIT_CODE_TABLE } from './spec/exitCodes.ts';
import type { CommandEntry, CommandSpec, OptionSpec } from './spec/types.ts';

const WIDTH = 100;

/** Words wrapped to `width`, continuation lines indented by `indent`. */
function wrap(words: string[], first: string, indent: number, width = WIDTH): string[] {
  const lines: string[] = [];
  let line = first;
  for (const w of words) {
    if (line.trim().length > 0 && line.length + 1 + w.length > width && line.length > indent) {
      lines.push(line);
      line = ' '.repeat(indent) + w;
    } else line = line.length === 0 || line.endsWith(' ') ? line + w : `${line} ${w}`;
  }
  lines.push(line);
  return lines;
}

/** `faregate verify --trust FILE [--deny FILE] ...`, wrapped under its first option. */
export function synopsis(spec: CommandSpec, lead = ''): string[] {
  const parts = Object.entries(spec.options).map(([name, o]) => {
    const u = optionUsage(name, o) + (o.multiple ? ' ...' : '');
    return o.required && o.env === undefined ? u : `[${u}]`;
  });
  if (spec.positionals) parts.push(spec.positionals.usage);
  const head = `${lead}faregate ${spec.path}`;
  return wrap(parts, head, head.length + 1);
}

function optionNotes(o: OptionSpec): string[] {
  const notes: string[] = [];
  if (o.required) notes.push(o.env ? `required, or set ${o.env}` : 'required');
  if (o.multiple) notes.push('repeatable');
  if (o.default !== undefined) notes.push(`default: ${o.default}`);
  else if (o.defaultHelp !== undefined) notes.push(`default: ${o.defaultHelp}`);
  return notes;
}

/** One line (or more, wrapped) per option: flag, meaning, (required, default). */
export function optionLines(spec: CommandSpec): string[] {
  const rows: [string, string][] = Object.entries(spec.options).map(([name, o]) => {
    const flag = (o.short ? `-${o.short}, ` : '    ') + optionUsage(name, o);
    const notes = optionNotes(o);
    return [flag, notes.length ? `${o.help} [${notes.join('; ')}]` : o.help];
  });
  rows.push(['-h, --help', 'print this help']);
  const col = Math.min(30, Math.max(...rows.map(([f]) => f.length)) + 2);
  const out: string[] = [];
  for (const [flag, text] of rows) {
    const first = `  ${flag.padEnd(col)}`;
    if (first.length > col + 2) {
      out.push(`  ${flag}`);
      out.push(...wrap(text.split(' '), ' '.repeat(col + 2), col + 2));
    } else out.push(...wrap(text.split(' '), first, col + 2));
  }
  return out;
}

/** Full help of one command. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`faregate ${spec.path}: ${spec.summary}`, '', ...synopsis(spec, 'usage: '), ''];
  if (spec.positionals) lines.push('arguments:', `  ${spec.positionals.usage.padEnd(18)} ${spec.positionals.help}`, '');
  lines.push('options:', ...optionLines(spec));
  if (spec.notes?.length) lines.push('', ...spec.notes.flatMap((n) => wrap(n.split(' '), '', 0)));
  return lines.join('\n');
}

/**
 * Help of a top-level command: its own full help (when it runs without a subcommand) and its
 * subcommands' synopses; a group of one subcommand (keys generate) gets that one's full help.
 */
export function entryHelp(entry: CommandEntry): string {
  const subs = Object.values(entry.subcommands ?? {});
  if (!entry.spec && subs.length === 1) return commandHelp(subs[0]!);
  const lines = entry.spec ? [commandHelp(entry.spec)] : [`faregate ${entry.name}: ${entry.summary}`];
  if (subs.length) {
    lines.push('', 'subcommands:');
    for (const s of subs) lines.push(`  ${s.summary}:`, ...synopsis(s, '    '));
    lines.push(
      '',
      `faregate help ${entry.name} <subcommand> (or faregate ${entry.name} <subcommand> --help) lists every option.`,
    );
  }
  return lines.join('\n');
}

/** The short reminder after an argument error. */
export function usageReminder(spec: CommandSpec): string {
  return [...synopsis(spec, 'usage: '), `(faregate ${spec.path} --help lists every option)`].join('\n');
}

export function exitCodeLines(): string[] {
  return ['exit codes:', ...EXIT_CODE_TABLE.map(([code, what]) => `  ${code}  ${what}`)];
}

/** `faregate help`: every command, one line each, then the exit codes. */
export function topHelp(entries: readonly CommandEntry[], version: string): string {
  const rows: [string, string][] = [];
  for (const e of entries) {
    if (e.spec) rows.push([e.name, e.spec.summary]);
    for (const [sub, s] of Object.entries(e.subcommands ?? {})) rows.push([`${e.name} ${sub}`, s.summary]);
  }
  const col = Math.max(...rows.map(([n]) => n.length)) + 2;
  return [
    `faregate ${version}: QR fare validator`,
    '',
    'usage: faregate <command> [options]',
    '       faregate help <command>   every option of a command (or: faregate <command> --help)',
    '       faregate --version        the version alone',
    '',
    'commands:',
    ...rows.flatMap(([n, s]) => wrap(s.split(' '), `  ${n.padEnd(col)}`, col + 2)),
    '',
    ...exitCodeLines(),
  ].join('\n');
}
