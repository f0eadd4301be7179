import type { CommandSpec } from './types.ts';

export const RUN: CommandSpec = {
  path: 'run',
  summary: 'run the validator service (scanner → decision → durable tap → gate)',
  options: {
    config: {
      type: 'string',
      value: 'FILE',
      short: 'c',
      required: true,
      env: 'FAREGATE_CONFIG',
      help: 'the settings file, YAML or JSON',
    },
  },
  notes: [
    'Without --config the settings file is the one named by FAREGATE_CONFIG; --config wins over it.',
    'Single settings may be overridden by FAREGATE_* variables, e.g. FAREGATE_SCANNER__PATH=/dev/ttyACM0.',
    'Invalid settings: every problem is listed and it exits 3. SIGINT/SIGTERM stop it cleanly (exit 0).',
  ],
};
