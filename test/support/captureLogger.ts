import type { Logger } from '../../src/platform/logger.ts';

/**
 * A Logger that keeps every line (with its bindings) in `lines`, for in-process components:
 * tests read what was logged, and check what never may be (payloads, ride codes).
 */
export function captureLogger(
  lines: Record<string, unknown>[] = [],
  bindings: Record<string, unknown> = {},
): Logger & { lines: Record<string, unknown>[] } {
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      if (typeof obj === 'string') lines.push({ level, ...bindings, msg: obj });
      else lines.push({ level, ...bindings, ...(obj as Record<string, unknown>), msg });
    };
  return {
    lines,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: (b) => captureLogger(lines, { ...bindings, ...b }),
  };
}
