/**
 * For the dashboard tests: the real `faregate dashboard` process (dist CLI) and its printed
 * address, and real validators (`faregate run`) on a real Mosquitto, each with a pty scanner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, privateJwk, publicJwk } from '../../src/mint/keys.ts';
import { ALG_EDDSA } from '../../src/token/cose.ts';
import { FAREGATE_BIN, REPO_ROOT } from '../support/cli.ts';
import { openPtyWriter, startPtyPair, type PtyWriter } from '../support/pty.ts';
import { busSettings, ServiceProcess } from '../support/serviceProcess.ts';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'faregate-dashboard-'));
}

export interface DashboardProcess {
  url: string;
  child: ChildProcess;
  stdout: () => string;
  stop(): Promise<void>;
}

/** Starts `faregate dashboard ARGS` and waits for the address line; rejects with its stderr if it exits first. */
export function startDashboard(args: string[]): Promise<DashboardProcess> {
  const child = spawn(process.execPath, [FAREGATE_BIN, 'dashboard', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dashboard printed no address: ${out} ${err}`)), 15_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^faregate dashboard: (http:\/\/\S+)/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1]!,
          child,
          stdout: () => out,
          stop: () =>
            new Promise<void>((r) => {
              if (child.exitCode !== null || child.signalCode !== null) return r();
              child.once('exit', () => r());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dashboard exited ${code}: ${err}`));
    });
  });
}

/** An operator key pair as files: the private JWK for the dashboard, the public JWK Set for the gates. */
export function operatorKeyFiles(dir: string): { privateFile: string; publicSetFile: string } {
  const pair = generateKeyPair(ALG_EDDSA);
  const kid = 'op-dashboard';
  const privateFile = join(dir, 'operator.jwk.json');
  const publicSetFile = join(dir, 'operators.json');
  writeFileSync(privateFile, JSON.stringify({ ...privateJwk(pair), kid }));
  writeFileSync(publicSetFile, JSON.stringify({ keys: [{ ...publicJwk(pair), kid }] }));
  return { privateFile, publicSetFile };
}

export interface TestGate {
  svc: ServiceProcess;
  scanner: PtyWriter;
}

/** A real validator on the broker, metrics every second, waiting until its scanner and MQTT are up. */
export async function startGate(
  dir: string,
  url: string,
  deviceId: string,
  place: string,
  extra: Record<string, unknown> = {},
): Promise<TestGate> {
  const pty = await startPtyPair();
  const gateDir = join(dir, deviceId);
  const settings = busSettings(pty.a, join(gateDir, 'data'), {
    deviceId,
    place,
    mqtt: { url, protocolVersion: 4, reconnectPeriodMs: 200 },
    settlement: { lingerMs: 50, ackTimeoutMs: 500, maxBackoffMs: 2000, metricsIntervalMs: 1000 },
    log: { level: 'info', format: 'json' },
    ...extra,
  });
  const svc = ServiceProcess.start(dir, settings);
  await svc.waitForLine((l) => l.msg === 'scanner up', 'scanner up', 30_000);
  await svc.waitForLine((l) => l.msg === 'mqtt connected', 'mqtt connected', 30_000);
  return { svc, scanner: await openPtyWriter(pty.b) };
}
