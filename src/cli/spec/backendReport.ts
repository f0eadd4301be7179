import type { CommandSpec } from './types.ts';

export const BACKEND_REPORT: CommandSpec = {
  path: 'backend report',
  summary: 'price what the backend settled into journeys (docs/fares.md) and sum them',
  options: {
    db: { type: 'string', value: 'FILE|URL', required: true, help: "the backend's SQLite file or postgres:// URL" },
    fares: {
      type: 'string',
      value: 'FILE',
      defaultHelp: 'config/fares.example.yaml of the package',
      help: 'the fare file (YAML or JSON) that prices the journeys',
    },
    from: { type: 'string', value: 'DAY', help: 'first business day, YYYY-MM-DD (default: the first with journeys)' },
    to: { type: 'string', value: 'DAY', help: 'last business day, YYYY-MM-DD (default: the last with journeys)' },
    by: {
      type: 'string',
      value: 'KEY',
      choices: ['day', 'device', 'station-pair', 'profile', 'format'],
      default: 'day',
      help: 'one row per business day, device (of the first tap), station pair (from → to), profile or ride-code format (fg1, jtt1179, of the first tap)',
    },
    json: { type: 'boolean', help: 'one JSON document instead of tables' },
    csv: { type: 'boolean', help: 'the rows as CSV (a header line, then one line per row)' },
  },
  notes: [
    'Amounts in the fare file currency (160.00 CNY); JSON adds minor units; CSV: decimals and a currency column.',
    'A late tap re-prices its business day: the report prices the taps each time it runs.',
  ],
};
