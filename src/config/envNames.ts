/** How FAREGATE_* environment variables name settings: `FAREGATE_SCANNER__BAUD_RATE` is `scanner.baudRate`. */
export const ENV_PREFIX = 'FAREGATE_';

/** `FAREGATE_SCANNER__BAUD_RATE` → ['scanner', 'baudRate']. */
export function envPath(name: string): string[] {
  return name
    .slice(ENV_PREFIX.length)
    .split('__')
    .map((seg) => seg.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
}

/** ['scanner', 'baudRate'] → `FAREGATE_SCANNER__BAUD_RATE` (the inverse of envPath). */
export function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.map((seg) => seg.replace(/([A-Z])/g, '_$1').toUpperCase()).join('__');
}
