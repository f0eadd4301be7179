/**
 * Picks the transport for a scanner config: `tcp://host:port` is a network scanner (or the
 * simulator), anything else a serial device path.
 */
import type { Logger } from '../platform/logger.ts';
import { SerialTransport, type DataBits, type Parity, type StopBits } from './serialTransport.ts';
import { TcpTransport } from './tcpTransport.ts';
import type { ByteTransport } from './types.ts';
import { FaregateError } from '../errors/faregateError.ts';

export interface ScannerTransportConfig {
  /** `/dev/ttyACM0`, `/dev/serial/by-id/...`, or `tcp://host:port`. */
  path: string;
  baudRate: number;
  dataBits: DataBits;
  parity: Parity;
  stopBits: StopBits;
  /** Serial only: device-path poll interval (ms), default 1000. */
  pollMs?: number;
}

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
    throw new TransportConfigError(`invalid scanner target ${JSON.stringify(target)}: ${why} (expected tcp://host:port)`);
  };
  if (!target.startsWith('tcp://')) bad('not a tcp:// target');
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return bad('not a URL');
  }
  if (url.username !== '' || url.password !== '') bad('credentials are not allowed');
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') bad('no path, query or fragment allowed');
  let host = url.hostname;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') bad('missing host');
  // URL drops a default port only for special schemes; tcp: has none, so '' means missing.
  if (url.port === '') bad('missing port');
  const port = Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) bad('port must be 1..65535');
  return { host, port };
}

export function createTransport(config: ScannerTransportConfig, logger?: Logger): ByteTransport {
  if (config.path.startsWith('tcp://')) {
    const { host, port } = parseTcpTarget(config.path);
    return new TcpTransport({ host, port, ...(logger ? { logger } : {}) });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(config.path)) {
    throw new TransportConfigError(`unsupported scanner target scheme in ${JSON.stringify(config.path)} (use a device path or tcp://host:port)`);
  }
  return new SerialTransport({
    path: config.path,
    baudRate: config.baudRate,
    dataBits: config.dataBits,
    parity: config.parity,
    stopBits: config.stopBits,
    ...(config.pollMs !== undefined ? { pollMs: config.pollMs } : {}),
    ...(logger ? { logger } : {}),
  });
}
