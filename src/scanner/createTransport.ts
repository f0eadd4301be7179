/**
 * Picks the transport for a scanner config: `tcp://host:port` is a network scanner (or the
 * simulator), anything else a serial device path.
 */
import type { Logger } from '../platform/logger.ts';
import { SerialTransport, type DataBits, type Parity, type StopBits } from './serialTransport.ts';
import { TcpTransport } from './tcpTransport.ts';
import type { ByteTransport } from './types.ts';
import { parseTcpTarget, TransportConfigError } from '../config/scannerTarget.ts';

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

export { parseTcpTarget, TransportConfigError, type TcpTarget } from '../config/scannerTarget.ts';

export function createTransport(config: ScannerTransportConfig, logger?: Logger): ByteTransport {
  if (config.path.startsWith('tcp://')) {
    const { host, port } = parseTcpTarget(config.path);
    return new TcpTransport({ host, port, ...(logger ? { logger } : {}) });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(config.path)) {
    throw new TransportConfigError(
      `unsupported scanner target scheme in ${JSON.stringify(config.path)} (use a device path or tcp://host:port)`,
    );
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
