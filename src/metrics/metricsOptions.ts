/**
 * The `--metrics-port` and `--metrics-host` options of a command that serves `/metrics` of its
 * own (`faregate backend`): declarations for the command's spec (no imports: help loads them).
 */
export const METRICS_OPTIONS = {
  'metrics-port': {
    type: 'string',
    value: 'N',
    help: 'serve Prometheus metrics at http://HOST:N/metrics (0 = any free port); off without it',
  },
  'metrics-host': {
    type: 'string',
    value: 'HOST',
    default: '127.0.0.1',
    help: 'address the metrics endpoint binds (loopback by default; 0.0.0.0 for a Prometheus elsewhere)',
  },
} as const;
