/**
 * mqtts:// with a private CA, a server name that differs from the host, and a client
 * certificate (the broker requires one): the backend settles batches; without the CA, or
 * without a client certificate, it does not connect.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { FakeGate, makeBatch, sleep, startBackend, tempDir } from './fakeGate.ts';

function makePki(dir: string): void {
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=faregate test CA');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:broker.test\nextendedKeyUsage=serverAuth\n');
  ossl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=broker.test');
  ossl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  );
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  ossl('req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=backend-1');
  ossl(
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'client.crt',
    '-days',
    '2',
    '-extfile',
    'client.ext',
  );
}

describe('backend connects over TLS', () => {
  const pki = tempDir('faregate-backend-pki-');
  const file = (n: string) => readFileSync(join(pki.dir, n));
  let broker: Mosquitto;
  let gate: FakeGate;

  beforeAll(async () => {
    makePki(pki.dir);
    broker = await startMosquitto({
      tls: {
        cafile: join(pki.dir, 'ca.crt'),
        certfile: join(pki.dir, 'server.crt'),
        keyfile: join(pki.dir, 'server.key'),
        requireCertificate: true,
      },
    });
    gate = await FakeGate.connect(broker.url); // the gate uses the plain listener
  });
  afterAll(async () => {
    await gate?.close();
    await broker?.stop();
    pki.cleanup();
  });

  it('with the CA, the server name and a client certificate: batches are settled and acked', async () => {
    const b = await startBackend(broker.tlsUrl!, {
      tls: { ca: file('ca.crt'), cert: file('client.crt'), key: file('client.key'), servername: 'broker.test' },
    });
    try {
      const batch = makeBatch('gate-tls', 2);
      await gate.publish('gate-tls', batch);
      expect((await gate.waitForAck(batch.batchId)).ack.tapIds).toEqual(batch.taps.map((t) => t.id));
    } finally {
      await b.stop();
    }
  });

  it('rejectUnauthorized: false (--insecure) connects without the CA', async () => {
    const b = await startBackend(broker.tlsUrl!, {
      tls: { cert: file('client.crt'), key: file('client.key'), rejectUnauthorized: false },
    });
    try {
      const batch = makeBatch('gate-tls', 1);
      await gate.publish('gate-tls', batch);
      expect((await gate.waitForAck(batch.batchId)).ack.tapIds).toEqual(batch.taps.map((t) => t.id));
    } finally {
      await b.stop();
    }
  });

  it.each([
    [
      'without the CA (server certificate not trusted)',
      { cert: 'client.crt', key: 'client.key', servername: 'broker.test' },
    ],
    [
      'without the server name (certificate is for broker.test, not 127.0.0.1)',
      { ca: 'ca.crt', cert: 'client.crt', key: 'client.key' },
    ],
    ['without a client certificate', { ca: 'ca.crt', servername: 'broker.test' }],
  ] as const)('%s: it does not connect, and stop() ends start()', async (_name, t) => {
    const tls = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, k === 'servername' ? v : file(v)]));
    const b = await startBackend(broker.tlsUrl!, { tls, noStart: true });
    const started = b.backend.start().then(
      () => 'connected',
      (e: Error) => e.message,
    );
    await sleep(800);
    expect(b.backend.counters.connects).toBe(0);
    await b.stop();
    expect(await started).toBe('backend stopped before it was connected');
  });
});
