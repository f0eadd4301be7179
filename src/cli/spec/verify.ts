import { DEFAULT_PARAMS } from '../../token/params.ts';
import type { CommandSpec } from './types.ts';
import { SERVICE_MODES } from '../../domain/vocabulary.ts';

export const VERIFY: CommandSpec = {
  path: 'verify',
  summary: 'decide FG1 and JT/T 1179 ride codes read from stdin, one JSON line each',
  options: {
    trust: { type: 'string', value: 'FILE', help: 'a trust list file for FG1 codes, JWK Set' },
    'jtt-roots': {
      type: 'string',
      value: 'FILE',
      help: 'a JT/T 1179 root-key file, {"roots": [{"index": N, "key": HEX}]}',
    },
    deny: { type: 'string', value: 'FILE', help: 'a deny list file, {"sub": [...], "cti": [...]}' },
    mode: {
      type: 'string',
      value: SERVICE_MODES.join('|'),
      choices: SERVICE_MODES,
      default: DEFAULT_PARAMS.mode,
      help: 'where this validator stands',
    },
    now: {
      type: 'string',
      value: 'UNIX',
      defaultHelp: 'the clock',
      help: 'decide as if it were this time (Unix seconds)',
    },
    skew: { type: 'string', value: 'S', default: String(DEFAULT_PARAMS.skew), help: 'clock tolerance, seconds' },
    'code-validity': {
      type: 'string',
      value: 'S',
      default: String(DEFAULT_PARAMS.codeValidity),
      help: 'how long a ride code is good when its credential has no cv claim, seconds',
    },
    'duplicate-window': {
      type: 'string',
      value: 'S',
      default: String(DEFAULT_PARAMS.duplicateWindow),
      help: 'a second read of the same code or rider within this is ignored, seconds',
    },
  },
  notes: [
    'Each stdin line is a ride code, or {"qr": CODE, "at": UNIX}; each gets one JSON decision line on stdout.',
    'Give --trust, --jtt-roots or both: a format without its file meets an empty key set.',
    'A JT/T 1179 code is given as hex or base64 text; --code-validity and --mode apply to FG1 only.',
    'Decisions are not errors: the exit code is 0 once the input ends.',
  ],
};
