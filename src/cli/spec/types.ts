/**
 * How a command declares its options: one declaration drives node:util parseArgs, the
 * missing/unknown/bad-choice messages and the help text, so they cannot drift apart.
 * This module and the specs under src/cli/spec/ import nothing heavy (no zod, no crypto):
 * `faregate help` and `faregate --version` load only them.
 */

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** The value's placeholder in usage and help (e.g. FILE, UNIX, S); strings only. */
  value?: string;
  /** What the option means, in words (also the parenthesis of a "missing --x (...)" message). */
  help: string;
  /** The default, given to parseArgs (so the command sees it) and shown in help. */
  default?: string;
  /** The default in words, when it is computed at run time (e.g. "the clock"). */
  defaultHelp?: string;
  required?: boolean;
  /** An environment variable that stands in for the option when it is not given. */
  env?: string;
  /** The only values accepted (checked before the command runs; listed in help). */
  choices?: readonly string[];
  /** May be given more than once. */
  multiple?: boolean;
  short?: string;
}

export interface CommandSpec {
  /** e.g. "verify" or "keys generate". */
  path: string;
  summary: string;
  options: Readonly<Record<string, OptionSpec>>;
  /** Positional arguments, e.g. "[RIDE-CODE ...]". */
  positionals?: { usage: string; help: string };
  /** Lines printed after the options (what the command reads and writes, exit codes). */
  notes?: readonly string[];
}

/** A top-level command: its own spec and/or subcommands (`keys generate`, `backend report`). */
export interface CommandEntry {
  name: string;
  summary: string;
  /** The command run without a subcommand (`faregate backend --mqtt ...`); absent for groups. */
  spec?: CommandSpec;
  subcommands?: Readonly<Record<string, CommandSpec>>;
  /** Loaded on demand, so help and --version stay fast. */
  load: () => Promise<(argv: string[], io: import('../io.ts').CliIo) => Promise<number>>;
}
