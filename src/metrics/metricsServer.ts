/**
 * A small HTTP server that answers `GET /metrics` (Prometheus text format) and nothing else, for
 * processes without a health endpoint of their own (`faregate backend --metrics-port`).
 * Loopback unless told otherwise; a port that is taken is an error for the caller.
 */
import { createServer, type Server } from 'node:http';
import { errorFields, errorMessage } from '../errors/faregateError.ts';
import type { Logger } from '../platform/logger.ts';

export interface MetricsSource {
  text(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function serveMetrics(o: {
  host: string;
  port: number;
  metrics: MetricsSource;
  log: Logger;
}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    o.metrics.text().then(
      (body) => {
        res.writeHead(200, { 'content-type': o.metrics.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (e: unknown) => {
        o.log.warn(errorFields(e), 'metrics could not be collected');
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${errorMessage(e)}\n`);
      },
    );
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => o.log.warn({ err: err.message }, 'metrics endpoint error'));
  const port = (server.address() as { port: number }).port;
  o.log.info({ host: o.host, port }, 'metrics endpoint listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
