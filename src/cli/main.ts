/**
 * `faregate` command line: `--version`, `help [command]`, then one command, whose module is
 * imported only then (so help and --version load no command, no zod, no crypto).
 * Exit codes: src/cli/spec/exitCodes.ts; an error that ends a command gives its code's exit code
 * (src/errors/errorCodes.ts): usage errors one line (and the usage) with exit 2, other
 * FaregateErrors `faregate X: failed: FG-nnn message`, anything else `faregate X: failed: message`, exit 1.
 */
import { didYouMean } from './args.ts';
import { COMMANDS, findCommand } from './commandTable.ts';
import { ArgumentError, UsageError } from './errors.ts';
import { FaregateError, errorMessage } from '../errors/faregateError.ts';
import { commandHelp, entryHelp, topHelp, usageReminder } from './help.ts';
import { processIo, type CliIo } from './io.ts';
import { EXIT_FAILURE, EXIT_USAGE } from './spec/exitCodes.ts';
import type { CommandEntry, CommandSpec } from './spec/types.ts';
import { packageVersion } from '../platform/packageRoot.ts';

export { EXIT_USAGE };

const isHelp = (a: string | undefined) => a === '--help' || a === '-h';

/** The declaration an argv is for: the subcommand's when argv starts with one, else the command's own. */
function specOf(entry: CommandEntry, rest: string[]): CommandSpec | undefined {
  const sub = rest[0] !== undefined ? entry.subcommands?.[rest[0]] : undefined;
  return sub ?? entry.spec;
}

function specByPath(path: string): CommandSpec | undefined {
  const [name, sub] = path.split(' ');
  const e = findCommand(name!);
  return sub ? e?.subcommands?.[sub] : e?.spec;
}

/** `faregate help X [Y]`. */
async function helpFor(words: string[], io: CliIo): Promise<number> {
  const [name, sub] = words;
  if (name === undefined) {
    await io.writeLine(topHelp(COMMANDS, packageVersion()));
    return 0;
  }
  const entry = findCommand(name);
  if (!entry) return unknownCommand(name, io);
  if (sub === undefined) {
    await io.writeLine(entryHelp(entry));
    return 0;
  }
  const spec = entry.subcommands?.[sub];
  if (!spec) return unknownSubcommand(entry, sub, io);
  await io.writeLine(commandHelp(spec));
  return 0;
}

function unknownSubcommand(entry: CommandEntry, word: string, io: CliIo): number {
  const subs = Object.keys(entry.subcommands ?? {});
  io.error(`faregate ${entry.name}: unknown subcommand ${word}${didYouMean(word, subs) || ` (${subs.join(', ')})`}`);
  for (const s of Object.values(entry.subcommands ?? {})) io.error(usageReminder(s));
  return EXIT_USAGE;
}

function unknownCommand(name: string, io: CliIo): number {
  io.error(
    `faregate: unknown command ${name}${didYouMean(
      name,
      COMMANDS.map((c) => c.name),
    )} (faregate help lists the commands)`,
  );
  return EXIT_USAGE;
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    await io.writeLine(packageVersion());
    return 0;
  }
  if (name === undefined) {
    io.error(topHelp(COMMANDS, packageVersion()));
    return EXIT_USAGE;
  }
  if (name === 'help' || isHelp(name)) return helpFor(rest, io);
  const entry = findCommand(name);
  if (!entry) return unknownCommand(name, io);
  const spec = specOf(entry, rest);
  if (!spec) {
    // A group (keys, trust, lists, cmd) without a known subcommand.
    if (rest[0] === undefined) {
      io.error(`faregate ${name}: missing subcommand (${Object.keys(entry.subcommands ?? {}).join(', ')})`);
      for (const s of Object.values(entry.subcommands ?? {})) io.error(usageReminder(s));
      return EXIT_USAGE;
    }
    if (isHelp(rest[0])) {
      await io.writeLine(entryHelp(entry));
      return 0;
    }
    return unknownSubcommand(entry, rest[0], io);
  }
  if (entry.subcommands && spec === entry.spec && rest[0] !== undefined && !rest[0].startsWith('-'))
    return unknownSubcommand(entry, rest[0], io);
  if (rest.some(isHelp)) {
    await io.writeLine(spec === entry.spec ? entryHelp(entry) : commandHelp(spec));
    return 0;
  }
  try {
    const run = await entry.load();
    return await run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.error(`faregate ${e.message}`);
      const s = e instanceof ArgumentError ? specByPath(e.path) : undefined;
      if (s) io.error(usageReminder(s));
      return e.exitCode;
    }
    if (e instanceof FaregateError) {
      io.error(`faregate ${name}: failed: ${e.tag} ${e.message}`);
      return e.exitCode;
    }
    io.error(`faregate ${name}: failed: ${errorMessage(e)}`);
    return EXIT_FAILURE;
  }
}
