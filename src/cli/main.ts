/** `faregate` command line: dispatches to one command; unusable arguments or files exit 2. */
import { codeCommand, CODE_USAGE } from './commands/code.ts';
import { inspectCommand, INSPECT_USAGE } from './commands/inspect.ts';
import { issueCommand, ISSUE_USAGE } from './commands/issue.ts';
import { keysCommand, KEYS_USAGE } from './commands/keys.ts';
import { trustCommand, TRUST_USAGE } from './commands/trust.ts';
import { verifyCommand, VERIFY_USAGE } from './commands/verify.ts';
import { processIo, type CliIo } from './io.ts';
import { UsageError } from './usage.ts';

type Command = (argv: string[], io: CliIo) => Promise<number>;

const RUN_USAGE = 'faregate run --config FILE   (settings may be overridden by FAREGATE_* variables, e.g. FAREGATE_SCANNER__PATH)';

const COMMANDS: Record<string, { run: Command; usage: string; summary: string }> = {
  // Loaded on demand: the service pulls in serialport, SQLite and pino, which `verify` does not need.
  run: { run: async (a, io) => (await import('./commands/run.ts')).runCommand(a, io), usage: RUN_USAGE, summary: 'run the validator service (scanner → decision → durable tap → gate)' },
  backend: {
    run: async (a, io) => (await import('./commands/backend.ts')).backendCommand(a, io),
    usage: 'faregate backend --mqtt URL --db FILE [--prefix P] [--client-id ID] [--protocol 4|5] [--shared-group NAME | --no-shared] [--username U --password-file F] [--ca F --cert F --key F --servername S --insecure]\n           faregate backend report --db FILE [--json]',
    summary: 'run the reference settlement backend (MQTT taps → SQLite, acks), or report what it settled',
  },
  monitor: {
    run: async (a, io) => (await import('./commands/monitor.ts')).monitorCommand(a, io),
    usage: 'faregate monitor --mqtt URL [--prefix P] [--protocol 4|5] [--once [--wait MS]] [--json] [--username U --password-file F] [--ca F] [--insecure]',
    summary: 'live view of every gate on the broker (status, backlog, decisions/min, clock, alarms)',
  },
  cmd: {
    run: async (a, io) => (await import('./commands/cmd.ts')).cmdCommand(a, io),
    usage: 'faregate cmd send --mqtt URL --device D --cmd NAME [--args JSON] --key OPERATOR.jwk.json [--ttl S] [--prefix P] [--timeout S]',
    summary: 'send a signed remote command to a validator and print its reply (docs/remote-commands.md)',
  },
  lists: {
    run: async (a, io) => (await import('./commands/lists.ts')).listsCommand(a, io),
    usage: 'faregate lists sign --type trust|deny --kind snapshot|delta --in FILE --version N [--base N] [--issued-at UNIX] --key ROOT.jwk.json --out FILE\n           faregate lists publish --mqtt URL --file SIGNED [--prefix P] [--protocol 4|5] [--username U --password-file F] [--retain-delta]',
    summary: 'sign a trust or deny list with a root key, or publish one to the validators (docs/signed-lists.md)',
  },
  verify: { run: verifyCommand, usage: VERIFY_USAGE, summary: 'decide ride codes read from stdin (one JSON line each)' },
  keys: { run: keysCommand, usage: KEYS_USAGE, summary: 'generate an issuer or rider key pair (JWK)' },
  trust: { run: trustCommand, usage: TRUST_USAGE, summary: 'build a trust list (JWK Set) from issuer public keys' },
  issue: { run: issueCommand, usage: ISSUE_USAGE, summary: 'mint a rider credential (level 1)' },
  code: { run: codeCommand, usage: CODE_USAGE, summary: 'make a ride code (level 2) from a credential' },
  inspect: { run: inspectCommand, usage: INSPECT_USAGE, summary: 'decode a ride code without trusting it' },
};

export const EXIT_USAGE = 2;

function help(): string {
  const lines = ['faregate: QR fare validator', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${c.summary}`, `           ${c.usage}`);
  return lines.join('\n');
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    await io.writeLine(help());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.error(`faregate: unknown command ${name}; run faregate help`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    await io.writeLine(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.error(`faregate ${e.message}`);
      return EXIT_USAGE;
    }
    throw e;
  }
}
