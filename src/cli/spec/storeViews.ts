import type { CommandSpec } from './types.ts';

const dataDir = {
  type: 'string',
  value: 'DIR',
  required: true,
  help: "the gate's dataDir, which holds faregate.sqlite",
} as const;

export const TAPS: CommandSpec = {
  path: 'taps',
  summary: "recent taps in a gate's store, with counts (read-only, safe while the service runs)",
  options: {
    'data-dir': dataDir,
    limit: { type: 'string', value: 'N', default: '20', help: 'how many taps to show' },
    unsettled: { type: 'boolean', help: 'only taps the backend has not acknowledged yet' },
    json: { type: 'boolean', help: 'one JSON document {store, counts, taps} instead of a table' },
  },
  notes: ['Shows ids, rider (sub) and credential (cti) ids, times, fares and settlement; never a ride code.'],
};

export const EVENTS: CommandSpec = {
  path: 'events',
  summary: "rejections, remote commands and gate modes in a gate's store (read-only)",
  options: {
    'data-dir': dataDir,
    limit: { type: 'string', value: 'N', default: '20', help: 'how many events to show' },
    json: { type: 'boolean', help: 'one JSON document {store, modes, events} instead of a table' },
  },
  notes: ['Decision events reach the store in batches, about once a second: the newest may not be there yet.'],
};
