/**
 * The zero-setup demo (`npm run demo`): in one process tree, an in-process MQTT broker (aedes,
 * MQTT 3.1.1), the reference backend, five validators (a bus reader, an entry and an exit gate at
 * each of two stations) and a scanner simulator for each. The simulators share one population of
 * riders making journeys (firmware-sim/journeys.ts), which also says what each validator must
 * answer. Each frame is printed with its answer (firmware-sim/decisionLedger.ts, demoView.ts), and
 * every 5 s and at the end `N of N decisions as expected`. Ctrl-C stops everything cleanly; with
 * `--seconds N` the demo stops by itself and exits 0 only if every decision was as expected.
 *
 *   npm run demo [-- --rate 1 --seconds 0 --tcp --seed S]
 *
 * The simulators write to pseudo-terminals (socat) when socat is installed, else over TCP.
 * Everything uses the TEST-ONLY keys in config/dev/. A rider page on loopback (riderPage.ts)
 * shows a live ride code as a QR code for a phone or a browser to hold up to a real scanner, and
 * the fleet dashboard (src/dashboard, read-only, loopback) shows the five gates.
 */
import { Aedes } from 'aedes';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { BackendStore } from '../src/backend/backendStore.ts';
import { SettlementBackend } from '../src/backend/settlementBackend.ts';
import { ConfigSchema, type ConfigInput } from '../src/config/schema.ts';
import type { JwsSigner } from '../src/lists/jws.ts';
import { JwkSchema, keyPairFromJwk } from '../src/mint/keys.ts';
import { createLogger } from '../src/platform/pinoLogger.ts';
import { silentLogger } from '../src/platform/logger.ts';
import { packagePath } from '../src/platform/packageRoot.ts';
import { ValidatorService } from '../src/service/validatorService.ts';
import { GateLedger, type Verdict } from './decisionLedger.ts';
import { DemoView, type ViewGate } from './demoView.ts';
import { RiderPage } from './riderPage.ts';
import { DashboardServer } from '../src/dashboard/dashboardServer.ts';
import { DEFAULT_TOPIC_PREFIX } from '../src/contract/settlement.ts';
import { JourneyModel, type JourneyGate } from './journeys.ts';
import { loadDenyIds, loadIssuerKey, Population } from './population.ts';
import { Prng, randomSeed } from './prng.ts';
import { DEV_DENY_PATH, DEV_ISSUER_PATH, ScannerSimulator } from './simulator.ts';
import type { JttEncoding } from './jttRiders.ts';
import { errorMessage } from '../src/errors/faregateError.ts';
import { SETTING_DEFAULTS } from '../src/config/schema.ts';

const DEV = packagePath('config', 'dev') + '/';

/** The TEST-ONLY development backend key that signs the demo's acks (kid as in the file). */
function devAckSigner(): JwsSigner {
  const jwk = JwkSchema.parse(JSON.parse(readFileSync(resolve(DEV, 'backend-ack-TEST-ONLY.jwk.json'), 'utf8')));
  const k = keyPairFromJwk(jwk);
  if (!k.privateKey || jwk.kid === undefined)
    throw new Error('config/dev/backend-ack-TEST-ONLY.jwk.json: not a private JWK');
  return { alg: k.alg, kid: jwk.kid, privateKey: k.privateKey };
}

const Args = z.object({
  rate: z.coerce
    .number<string>({ error: 'must be a number of frames per second' })
    .positive({ error: 'must be more than 0 frames per second' })
    .max(50, { error: 'must be at most 50 frames per second (per gate)' })
    .default(1),
  seconds: z.coerce
    .number<string>({ error: 'must be a whole number of seconds' })
    .int({ error: 'must be a whole number of seconds' })
    .nonnegative({ error: 'must be 0 (run until Ctrl-C) or more' })
    .default(0),
  tcp: z.boolean().default(false),
  seed: z.string().min(1).optional(),
});

function line(s: string): void {
  process.stdout.write(s + '\n');
}

function hasSocat(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

interface GateSpec extends JourneyGate, ViewGate {}

/** How the bus reader's scanner delivers JT/T codes: raw bytes (binary mode) and hex text. */
export const DEMO_JTT_ENCODINGS: readonly JttEncoding[] = ['binary', 'hex'];

/**
 * Bus reader, and an entry and an exit gate at each of two stations: riders enter at one, leave
 * at the other, come back. The bus reader also takes JT/T 1179 codes (a third of its riders).
 */
const GATES: GateSpec[] = [
  {
    id: 'demo-bus-42',
    label: 'bus-42',
    what: 'bus reader on route-42 (FG1 and JT/T 1179)',
    mode: 'bus',
    place: 'route-42',
    direction: 'board',
    jtt: { share: 0.35, encodings: DEMO_JTT_ENCODINGS },
  },
  {
    id: 'demo-A-in',
    label: 'A-in',
    what: 'entry gate at station-A',
    mode: 'metro',
    place: 'station-A',
    direction: 'in',
  },
  {
    id: 'demo-A-out',
    label: 'A-out',
    what: 'exit gate at station-A',
    mode: 'metro',
    place: 'station-A',
    direction: 'out',
  },
  {
    id: 'demo-B-in',
    label: 'B-in',
    what: 'entry gate at station-B',
    mode: 'metro',
    place: 'station-B',
    direction: 'in',
  },
  {
    id: 'demo-B-out',
    label: 'B-out',
    what: 'exit gate at station-B',
    mode: 'metro',
    place: 'station-B',
    direction: 'out',
  },
];

/** Journeys first; every token-level reject kind stays in the mix. */
export const DEMO_MIX = 'valid=62,passback=6,duplicate=4,replayed=4,expired=4,forged=4,denied=4,wrong-mode=4,garbage=8';

interface Gate {
  spec: GateSpec;
  service: ValidatorService;
  sim: ScannerSimulator;
  ledger: GateLedger;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = Args.parse(
      parseArgs({
        args: process.argv.slice(2),
        options: {
          rate: { type: 'string' },
          seconds: { type: 'string' },
          tcp: { type: 'boolean' },
          seed: { type: 'string' },
        },
      }).values,
    );
  } catch (e) {
    const problems =
      e instanceof z.ZodError
        ? e.issues.map((i) => `--${i.path.join('.')}: ${i.message}`)
        : [errorMessage(e).replace(/\s+/g, ' ')];
    process.stderr.write(
      `${problems.map((p) => `demo: ${p}\n`).join('')}usage: npm run demo -- [--rate FRAMES_PER_S_PER_GATE (≤ 50)] [--seconds N] [--tcp] [--seed S]\n`,
    );
    return 2;
  }
  const usePty = !parsed.tcp && hasSocat();
  const work = mkdtempSync(join(tmpdir(), 'faregate-demo-'));
  const view = new DemoView(GATES, process.stdout.isTTY === true);
  const policy = SETTING_DEFAULTS.policy;

  // 1. The broker (in-process aedes, MQTT 3.1.1).
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // 2. The reference backend.
  const backendStore = new BackendStore({ file: join(work, 'backend.sqlite') });
  backendStore.open();
  const backend = new SettlementBackend({
    url,
    store: backendStore,
    clientId: 'demo-backend',
    protocolVersion: 4,
    sharedGroup: false,
    // Signed acks (settlement-mqtt-v1 Amendment 1) with the TEST-ONLY dev backend key; the gates pin its public part.
    ackSigner: devAckSigner(),
    logger: silentLogger,
  });
  await backend.start();

  // 3. One population of riders and their journeys, shared by every gate's scanner.
  const seed = parsed.seed ?? randomSeed();
  const root = new Prng(seed);
  const fg1Deny = loadDenyIds(DEV_DENY_PATH);
  const population = new Population({
    size: 40,
    prng: root.fork('population'),
    issuer: loadIssuerKey(DEV_ISSUER_PATH),
    deny: fg1Deny,
    nowSec: Math.floor(Date.now() / 1000),
    jtt: { riders: 20 },
  });
  // The TEST-ONLY JT/T root-key file (jtt1179-reading §5) and the deny file with the JT/T entries.
  const jttFiles = population.jtt!.writeFiles(join(work, 'jtt'), fg1Deny);
  const journeys = new JourneyModel({
    population,
    prng: root.fork('journeys'),
    gates: GATES,
    mix: DEMO_MIX,
    avoidBytes: [0x0d],
    ...policy,
  });

  // 4. The rider page: a TEST-ONLY phone wallet in a browser.
  const riderPage = new RiderPage({ issuer: loadIssuerKey(DEV_ISSUER_PATH) });
  const riderPageUrl = await riderPage.start();
  // The fleet dashboard (as `faregate dashboard --mqtt URL --http 0`): read-only, loopback.
  const dashboard = new DashboardServer({
    source: { url, prefix: DEFAULT_TOPIC_PREFIX, protocolVersion: 4 },
    host: '127.0.0.1',
    port: 0,
  });
  const dashboardUrl = await dashboard.start();

  // 5. The validators, each fed by its own simulated scanner; each frame is paired with its answer.
  let ok = 0;
  let total = 0;
  const verdict = (v: Verdict): void => {
    total++;
    if (v.ok) ok++;
    line(view.line(v));
  };
  const gates: Gate[] = [];
  for (const g of GATES) {
    const sim = new ScannerSimulator({
      output: usePty ? { kind: 'pty' } : { kind: 'tcp', port: 0 },
      mode: g.mode,
      rate: parsed.rate,
      population,
      source: journeys.source(g.id),
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
      deny: { file: jttFiles.deny },
      ...(g.jtt ? { jtt: { roots: jttFiles.roots } } : {}),
      dataDir: join(work, g.id),
      fare: { currency: 'CNY', bus: { adult: 200, child: 100, student: 100, senior: 0, disabled: 0, staff: 0 } },
      gate: { driver: 'console' },
      // The passenger display of each gate (as on the gate's own screen), on a free loopback port.
      display: { enabled: true, port: 0 },
      mqtt: { url, protocolVersion: 4 },
      settlement: { lingerMs: 300, metricsIntervalMs: 5000, backendKeys: resolve(DEV, 'backend-keys.json') },
      policy,
      log: { level: 'warn', format: 'pretty' },
    };
    const config = ConfigSchema.parse(input);
    const service = new ValidatorService(config, {
      logger: createLogger({ level: 'warn', format: 'pretty', base: { gate: g.id } }),
    });
    const ledger = new GateLedger(g.id, verdict);
    sim.on('sending', (e) => ledger.sending(e));
    // Put before the service's own listeners (it subscribes when it is built): the text is known
    // when its outcome arrives.
    service.scanner.prependListener('frame', (f) =>
      ledger.frame(typeof f === 'string' ? f : Buffer.from(f).toString('latin1')),
    );
    service.scanner.prependListener('dropped', (reason) => ledger.dropped(reason));
    service.onOutcome((o) => ledger.outcome(o));
    await service.start();
    gates.push({ spec: g, service, sim, ledger });
  }
  line(
    view.note(
      `faregate demo: broker ${url} (aedes, in-process), backend, ${gates.length} validators; scanners over ${usePty ? 'pseudo-terminals (socat)' : 'TCP'}; ${parsed.rate} frame/s per gate; seed ${seed}. Ctrl-C stops.`,
    ),
  );
  line(view.note(`  stores in ${work}`));
  line(view.note(`  watch the fleet in another terminal: npx faregate monitor --mqtt ${url}`));
  line(view.note(`  fleet dashboard (read-only): ${dashboardUrl}`));
  line(view.note(`  rider page (TEST-ONLY wallet, a live QR ride code): ${riderPageUrl}`));
  for (const g of gates)
    if (g.service.display) line(view.note(`  passenger display of ${g.spec.id}: ${g.service.display.url}`));
  for (const l of view.legend(policy.antiPassbackSeconds)) line(l);
  for (const g of gates) await g.sim.start();

  const settle = setInterval(() => {
    const now = Date.now();
    for (const g of gates) g.ledger.tick(now);
  }, 250);
  const summary = setInterval(() => {
    const settled = backendStore.report();
    const parts = gates.map((g) => {
      const s = g.service.status();
      const onBackend = settled.rows.filter((r) => r.deviceId === g.spec.id).reduce((n, r) => n + r.taps, 0);
      return `${g.spec.label} ${s.decisions.accept} (${onBackend})${s.mqtt.connected ? '' : ' mqtt down'}${s.scanner.state === 'up' ? '' : ` scanner ${s.scanner.state}`}`;
    });
    line(
      view.note(
        `── ${journeys.insideCount} riders inside the metro; taps accepted (settled at the backend): ${parts.join(', ')}`,
      ),
    );
    line('── ' + view.tally(ok, total));
  }, 5000);

  // socat runs in its own process group (so Ctrl-C reaches the demo first): never leave it behind.
  process.on('exit', () => gates.forEach((g) => g.sim.killSync()));

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(summary);
    line(view.note('stopping…'));
    // No new frames; let the ones in transit be answered, then settle what is left.
    await Promise.all(gates.map((g) => g.sim.halt()));
    await new Promise((r) => setTimeout(r, 300));
    const until = Date.now() + 5000;
    while (gates.some((g) => g.ledger.awaitingAnswer > 0) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      const now = Date.now();
      for (const g of gates) g.ledger.tick(now);
    }
    clearInterval(settle);
    for (const g of gates) g.ledger.flush();
    await Promise.all(gates.map((g) => g.service.stop()));
    await Promise.all(gates.map((g) => g.sim.stop()));
    await backend.stop();
    await riderPage.stop();
    await dashboard.stop();
    backendStore.close();
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(work, { recursive: true, force: true });
    const sent = gates.reduce((n, g) => n + g.sim.sent, 0);
    line(view.note(`${sent} frames sent to ${gates.length} validators`));
    line(view.tally(ok, total));
  };
  await new Promise<void>((resolveDone) => {
    process.once('SIGINT', () => void stop().then(resolveDone));
    process.once('SIGTERM', () => void stop().then(resolveDone));
    if (parsed.seconds) {
      void Promise.all(gates.map((g) => g.sim.finished()))
        .then(() => stop())
        .then(resolveDone);
    }
  });
  return ok === total && total > 0 ? 0 : 1;
}

process.exitCode = await main();
