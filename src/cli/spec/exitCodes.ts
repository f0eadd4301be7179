/** The command line's exit codes: one table, shown in `faregate help` and README ("Exit codes"). */
export const EXIT_OK = 0;
/** Something failed while running: the service stopped with an error, no broker, a refused command, a code that does not decode. */
export const EXIT_FAILURE = 1;
/** Unusable arguments or files: a missing or unknown option, a bad value, a file that cannot be used. */
export const EXIT_USAGE = 2;
/** The settings are invalid: `faregate run` refuses to start and lists every problem (= EXIT_CONFIG of src/config/load.ts). */
export const EXIT_SETTINGS = 3;

export const EXIT_CODE_TABLE: readonly (readonly [number, string])[] = [
  [EXIT_OK, 'ok'],
  [EXIT_FAILURE, 'failed while running (service error, no broker, command refused, ride code does not decode)'],
  [EXIT_USAGE, 'unusable arguments or files (missing/unknown option, bad value, missing file or store)'],
  [EXIT_SETTINGS, 'settings invalid: faregate run refuses to start and lists every problem'],
];
