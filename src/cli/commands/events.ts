/**
 * `faregate events --data-dir DIR`: what a gate's store records besides taps, newest first:
 * decision events (reject, ignore, dropped, store_error), accepted remote commands, and the
 * gate modes (free pass, out of service). Read-only, safe while the service runs.
 */
import { z } from 'zod';
import { MODE_NAMES } from '../../policy/gateModes.ts';
import type { CliIo } from '../io.ts';
import { EVENTS } from '../spec/storeViews.ts';
import { table, utcTime } from '../table.ts';
import { numberArg, parseCommand } from '../usage.ts';
import { openReader } from './taps.ts';

const Args = z.object({
  'data-dir': z.string().min(1),
  limit: numberArg.pipe(
    z.number().int('must be a whole number').min(1, 'must be 1 or more').max(100_000, 'must be 100000 or less'),
  ),
  json: z.boolean(),
});

export async function eventsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: a } = parseCommand(EVENTS, argv, Args);
  const reader = openReader('events', a['data-dir']);
  let view;
  try {
    view = reader.events(a.limit);
  } finally {
    reader.close();
  }
  if (a.json) {
    await io.writeLine(JSON.stringify({ store: reader.file, modes: view.modes, events: view.events }));
    return 0;
  }
  const modes = MODE_NAMES.map((name) => {
    const m = view.modes.find((x) => x.name === name);
    return m ? `${name} ${m.on ? 'ON' : 'off'} since ${utcTime(m.since)}${m.by ? ` (${m.by})` : ''}` : `${name} off`;
  }).join('; ');
  await io.writeLine(`${reader.file}: modes: ${modes}`);
  if (view.events.length === 0) {
    await io.writeLine('no events');
    return 0;
  }
  await io.writeLine(`newest ${view.events.length} (times UTC):`);
  const rows = view.events.map((e) => [utcTime(e.at), e.kind, e.what, e.sub ?? '', e.codeId ?? e.id ?? '']);
  for (const line of table(['time (UTC)', 'kind', 'reason / command', 'sub', 'code id / command id'], rows, new Set()))
    await io.writeLine(line);
  return 0;
}
