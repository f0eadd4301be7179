/**
 * The scanner's network target, `scanner.path: tcp://host:port`: parsed here, in the settings,
 * so the schema checks it without importing the scanner (src/scanner/createTransport.ts uses it
 * to connect and re-exports it).
 */
import { FaregateError } from '../errors/faregateError.ts';

/** The scanner transport settings cannot be used: SCANNER_SETTINGS (FG-301). */
export class TransportConfigError extends FaregateError {
  override readonly name = 'TransportConfigError';
  constructor(message: string) {
    super('SCANNER_SETTINGS', message);
  }
}

export interface TcpTarget {
  host: string;
  port: number;
}

/** Parses `tcp://host:port` (IPv6 as `tcp://[::1]:9100`); throws TransportConfigError. */
export function parseTcpTarget(target: string): TcpTarget {
  const bad = (why: string): never => {
    const what = `invalid scanner target ${JSON.stringify(target)}`;
    throw new TransportConfigError(`${what}: ${why} (expected tcp://host:port)`);
  };
  if (!target.startsWith('tcp://')) bad('not a tcp:// target');
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return bad('not a URL');
  }
  if (url.username !== '' || url.password !== '') bad('credentials are not allowed');
  const hasPath = url.pathname !== '' && url.pathname !== '/';
  if (hasPath || url.search !== '' || url.hash !== '') bad('no path, query or fragment allowed');
  let host = url.hostname;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') bad('missing host');
  // URL drops a default port only for special schemes; tcp: has none, so '' means missing.
  if (url.port === '') bad('missing port');
  const port = Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) bad('port must be 1..65535');
  return { host, port };
}
