/**
 * Every command: its declaration (light, for help and argument errors) and its module, imported
 * only when the command runs (the service pulls in serialport, SQLite and pino; verify does not).
 */
import { BACKEND } from './spec/backend.ts';
import { BACKEND_REPORT } from './spec/backendReport.ts';
import { CMD_SEND } from './spec/cmd.ts';
import { CODE } from './spec/code.ts';
import { DASHBOARD } from './spec/dashboard.ts';
import { INSPECT } from './spec/inspect.ts';
import { ISSUE } from './spec/issue.ts';
import { KEYS_GENERATE } from './spec/keys.ts';
import { LISTS_PUBLISH, LISTS_SIGN } from './spec/lists.ts';
import { MONITOR } from './spec/monitor.ts';
import { RUN } from './spec/run.ts';
import { EVENTS, TAPS } from './spec/storeViews.ts';
import { TRUST_BUILD } from './spec/trust.ts';
import { VERIFY } from './spec/verify.ts';
import type { CommandEntry } from './spec/types.ts';

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'run', summary: RUN.summary, spec: RUN, load: async () => (await import('./commands/run.ts')).runCommand },
  {
    name: 'taps',
    summary: TAPS.summary,
    spec: TAPS,
    load: async () => (await import('./commands/taps.ts')).tapsCommand,
  },
  {
    name: 'events',
    summary: EVENTS.summary,
    spec: EVENTS,
    load: async () => (await import('./commands/events.ts')).eventsCommand,
  },
  {
    name: 'verify',
    summary: VERIFY.summary,
    spec: VERIFY,
    load: async () => (await import('./commands/verify.ts')).verifyCommand,
  },
  {
    name: 'keys',
    summary: 'generate key pairs',
    subcommands: { generate: KEYS_GENERATE },
    load: async () => (await import('./commands/keys.ts')).keysCommand,
  },
  {
    name: 'trust',
    summary: 'build trust lists',
    subcommands: { build: TRUST_BUILD },
    load: async () => (await import('./commands/trust.ts')).trustCommand,
  },
  {
    name: 'issue',
    summary: ISSUE.summary,
    spec: ISSUE,
    load: async () => (await import('./commands/issue.ts')).issueCommand,
  },
  {
    name: 'code',
    summary: CODE.summary,
    spec: CODE,
    load: async () => (await import('./commands/code.ts')).codeCommand,
  },
  {
    name: 'inspect',
    summary: INSPECT.summary,
    spec: INSPECT,
    load: async () => (await import('./commands/inspect.ts')).inspectCommand,
  },
  {
    name: 'backend',
    summary: 'the reference settlement backend, and what it settled',
    spec: BACKEND,
    subcommands: { report: BACKEND_REPORT },
    load: async () => (await import('./commands/backend.ts')).backendCommand,
  },
  {
    name: 'lists',
    summary: 'sign and publish trust and deny lists',
    subcommands: { sign: LISTS_SIGN, publish: LISTS_PUBLISH },
    load: async () => (await import('./commands/lists.ts')).listsCommand,
  },
  {
    name: 'cmd',
    summary: 'signed remote commands',
    subcommands: { send: CMD_SEND },
    load: async () => (await import('./commands/cmd.ts')).cmdCommand,
  },
  {
    name: 'monitor',
    summary: MONITOR.summary,
    spec: MONITOR,
    load: async () => (await import('./commands/monitor.ts')).monitorCommand,
  },
  {
    name: 'dashboard',
    summary: DASHBOARD.summary,
    spec: DASHBOARD,
    load: async () => (await import('./commands/dashboard.ts')).dashboardCommand,
  },
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}
