/**
 * The zero-setup demo (`npm run demo`): in one process tree, an in-process MQTT broker (aedes,
 * MQTT 3.1.1), the reference backend, a bus validator and a metro entry gate, and a scanner
 * simulator for each gate. It shows decisions live, and every few seconds each gate's backlog
 * and what the backend has settled. Ctrl-C stops everything cleanly.
 *
 *   npm run demo [-- --rate 1 --seconds 0 --tcp]
 *
 * The simulators write to pseudo-terminals (socat) when socat is installed, else over TCP.
 * Everything uses the TEST-ONLY keys in config/dev/.
 */
import { Aedes } from 'aedes';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { BackendStore } from '../src/backend/backendStore.ts';
import { SettlementBackend } from '../src/backend/settlementBackend.ts';
import { ConfigSchema, type ConfigInput } from '../src/config/schema.ts';
import { createLogger } from '../src/platform/pinoLogger.ts';
import { silentLogger } from '../src/platform/logger.ts';
import { packagePath } from '../src/platform/packageRoot.ts';
import type { Outcome } from '../src/service/tapProcessor.ts';
import { ValidatorService } from '../src/service/validatorService.ts';
import { ScannerSimulator, type SentEvent } from './simulator.ts';

const DEV = packagePath('config', 'dev') + '/';

const Args = z.object({
  rate: z.coerce.number<string>().positive().max(50).default(1),
  seconds: z.coerce.number<string>().int().nonnegative().default(0),
  tcp: z.boolean().default(false),
});

const color = process.stdout.isTTY ? (c: number, s: string) => `\x1b[${c}m${s}\x1b[0m` : (_c: number, s: string) => s;
const GREEN = 32;
const RED = 31;
const GREY = 90;
const CYAN = 36;
const YELLOW = 33;

function line(s: string): void {
  process.stdout.write(s + '\n');
}

function hasSocat(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

interface Gate {
  id: string;
  service: ValidatorService;
  sim: ScannerSimulator;
}

function describeOutcome(gate: string, o: Outcome): string {
  const d = o.decision;
  const who = d.subHex ? ` sub=${d.subHex.slice(0, 8)}…` : '';
  if (o.tap) {
    const fare = o.tap.fare === undefined ? 'fare at exit' : `${(o.tap.fare / 100).toFixed(2)} ${o.tap.currency}`;
    return `${color(CYAN, gate.padEnd(16))} ${color(GREEN, 'ACCEPT ')} ${fare.padEnd(14)}${who}`;
  }
  if (d.decision === 'ignore') return `${color(CYAN, gate.padEnd(16))} ${color(GREY, 'ignore  duplicate (silent)')}${who}`;
  const reason = o.storeError ? 'store_unavailable' : d.reason;
  return `${color(CYAN, gate.padEnd(16))} ${color(RED, 'REJECT ')} ${String(reason).padEnd(22)} "${d.message}"${who}`;
}

function describeSent(gate: string, e: SentEvent): string {
  const expect = e.expect.decision + (e.expect.reason ? ` ${e.expect.reason}` : '');
  return color(GREY, `${gate.padEnd(16)} sim #${String(e.n).padEnd(4)} ${e.scenario.padEnd(10)} → expect ${expect}`);
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = Args.parse(parseArgs({ args: process.argv.slice(2), options: { rate: { type: 'string' }, seconds: { type: 'string' }, tcp: { type: 'boolean' } } }).values);
  } catch (e) {
    process.stderr.write(`demo: ${(e as Error).message.replace(/\s+/g, ' ')}\nusage: npm run demo -- [--rate FRAMES_PER_S] [--seconds N] [--tcp]\n`);
    return 2;
  }
  const usePty = !parsed.tcp && hasSocat();
  const work = mkdtempSync(join(tmpdir(), 'faregate-demo-'));

  // 1. The broker (in-process aedes, MQTT 3.1.1).
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // 2. The reference backend.
  const backendStore = new BackendStore({ file: join(work, 'backend.sqlite') });
  backendStore.open();
  const backend = new SettlementBackend({ url, store: backendStore, clientId: 'demo-backend', protocolVersion: 4, sharedGroup: false, logger: silentLogger });
  await backend.start();

  // 3. Two validators, each fed by its own simulator.
  const gates: Gate[] = [];
  const specs: { id: string; mode: 'bus' | 'metro'; place: string; direction: 'board' | 'in' }[] = [
    { id: 'demo-bus-1', mode: 'bus', place: 'route-42', direction: 'board' },
    { id: 'demo-metro-in-1', mode: 'metro', place: 'station-0215', direction: 'in' },
  ];
  let portNo = 0;
  for (const g of specs) {
    const sim = new ScannerSimulator({
      output: usePty ? { kind: 'pty' } : { kind: 'tcp', port: 0 },
      mode: g.mode,
      rate: parsed.rate,
      riders: 40,
      ...(parsed.seconds ? { count: Math.max(1, Math.round(parsed.seconds * parsed.rate)) } : {}),
    });
    const target = await sim.open();
    const input: ConfigInput = {
      deviceId: g.id,
      mode: g.mode,
      place: g.place,
      direction: g.direction,
      scanner: { path: target, reconnect: { initialDelayMs: 100, maxDelayMs: 1000 } },
      trust: { file: resolve(DEV, 'trust.json') },
      deny: { file: resolve(DEV, 'deny.json') },
      dataDir: join(work, g.id),
      fare: { currency: 'CNY', bus: { adult: 200, child: 100, student: 100, senior: 0, disabled: 0, staff: 0 } },
      gate: { driver: 'console' },
      mqtt: { url, protocolVersion: 4, clientId: `faregate-${g.id}` },
      settlement: { lingerMs: 300, metricsIntervalMs: 5000 },
      log: { level: 'warn', format: 'pretty' },
    };
    const config = ConfigSchema.parse(input);
    const service = new ValidatorService(config, { logger: createLogger({ level: 'warn', format: 'pretty', base: { gate: g.id } }) });
    service.onOutcome((o) => line(describeOutcome(g.id, o)));
    sim.on('sent', (e) => line(describeSent(g.id, e)));
    await service.start();
    gates.push({ id: g.id, service, sim });
    portNo++;
  }
  line(color(YELLOW, `faregate demo: broker ${url} (aedes, in-process), backend, ${portNo} validators; scanners over ${usePty ? 'pseudo-terminals (socat)' : 'TCP'}. Ctrl-C stops.`));
  line(color(YELLOW, `  stores in ${work}`));
  line(color(YELLOW, `  watch the fleet in another terminal: npx faregate monitor --mqtt ${url}`));
  for (const g of gates) await g.sim.start();

  const summary = setInterval(() => {
    const settled = backendStore.report();
    const parts = gates.map((g) => {
      const s = g.service.status();
      const d = s.decisions;
      const onBackend = settled.rows.filter((r) => r.deviceId === g.id).reduce((n, r) => n + r.taps, 0);
      return `${g.id}: ${d.accept} accepted, ${d.reject} rejected, ${d.ignore} ignored | backlog ${s.backlog.unsettled} | settled at backend ${onBackend} | mqtt ${s.mqtt.connected ? 'up' : 'down'} | scanner ${s.scanner.state}`;
    });
    line(color(YELLOW, '── ' + parts.join('\n── ')));
  }, 5000);

  // socat runs in its own process group (so Ctrl-C reaches the demo first): never leave it behind.
  process.on('exit', () => gates.forEach((g) => g.sim.killSync()));

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(summary);
    line(color(YELLOW, 'stopping…'));
    for (const g of gates) await g.service.stop();
    for (const g of gates) await g.sim.stop();
    await backend.stop();
    backendStore.close();
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(work, { recursive: true, force: true });
  };
  await new Promise<void>((resolveDone) => {
    process.once('SIGINT', () => void stop().then(resolveDone));
    process.once('SIGTERM', () => void stop().then(resolveDone));
    if (parsed.seconds) {
      void Promise.all(gates.map((g) => g.sim.finished()))
        .then(() => new Promise((r) => setTimeout(r, 2000)))
        .then(() => stop())
        .then(resolveDone);
    }
  });
  return 0;
}

process.exitCode = await main();
