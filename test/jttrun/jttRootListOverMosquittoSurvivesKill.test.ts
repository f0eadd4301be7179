/**
 * The JT/T root list over a real Mosquitto to a real `faregate run`: the gate starts with an empty
 * `jtt.roots` bootstrap (a JT/T code is `unknown_key`), a list signed with `faregate lists sign
 * --type jtt-roots` and put on `P/jtt-roots` with `faregate lists publish` swaps the roots in (the
 * same code is then accepted; the retained status says `lists.jttRoots` version 1, signed), a
 * rollback and a list forged with another root key are refused and change nothing, and after a
 * SIGKILL the gate, restarted with the broker gone, still holds the signed roots from its data dir.
 */
import mqtt from 'mqtt';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFaregate } from '../support/cli.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { openPtyWriter, startPtyPair, stopAllPtyPairs, type PtyWriter } from '../support/pty.ts';
import { killAllServices, ServiceProcess, type LogLine } from '../support/serviceProcess.ts';
import { PREFIX, settlementSettings, STATUS_TOPIC, tempDir, WAIT } from '../settlement/harness.ts';
import { code, rootsFile } from '../jtt/jttFixtures.ts';

let broker: Mosquitto | undefined;
afterAll(async () => {
  await killAllServices();
  await stopAllPtyPairs();
  await broker?.stop();
});

const nowSec = () => Math.floor(Date.now() / 1000);
let nextUser = 1;
/** A fresh JT/T code (another user account each time) as hex text. */
const jttHex = () =>
  code({ ts: nowSec(), user: Buffer.from(`3100000000000000${String(nextUser++).padStart(4, '0')}`, 'hex') })
    .toString('hex')
    .toUpperCase();

interface Gate {
  svc: ServiceProcess;
  scanner: PtyWriter;
}

async function startGate(dir: string, settings: Record<string, unknown>, online: boolean): Promise<Gate> {
  const pty = await startPtyPair();
  const s = { ...settings, scanner: { ...(settings.scanner as object), path: pty.a } };
  const svc = ServiceProcess.start(dir, s);
  await svc.waitForLine((l) => l.msg === 'scanner up', 'scanner up', WAIT);
  if (online) await svc.waitForLine((l) => l.msg === 'mqtt connected', 'mqtt connected', WAIT);
  return { svc, scanner: await openPtyWriter(pty.b) };
}

async function show(g: Gate, text: string): Promise<LogLine> {
  const from = g.svc.lines.length;
  await g.scanner.write(`${text}\r`);
  return g.svc.waitForLine((l) => typeof l.decision === 'string', 'a decision', WAIT, from);
}

const jttListLine = (pred: (l: LogLine) => boolean) => (l: LogLine) => l.list === 'jtt-roots' && pred(l);

async function cli(args: string[]): Promise<string> {
  const r = await runFaregate(args);
  if (r.code !== 0) throw new Error(`faregate ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

describe('the JT/T root list over Mosquitto', () => {
  it('swaps the roots in, refuses rollback and forgery, and survives a SIGKILL offline', async () => {
    broker = await startMosquitto();
    const dir = tempDir('faregate-jttroots-');
    const key = (n: string) => ({ out: join(dir, `${n}.jwk.json`), pub: join(dir, `${n}.pub.jwk.json`) });
    const root = key('list-root');
    const forger = key('forger');
    await cli(['keys', 'generate', '--kid', 'bGlzdC1yb290', '--out', root.out, '--public-out', root.pub]);
    await cli(['keys', 'generate', '--kid', 'bGlzdC1yb290', '--out', forger.out, '--public-out', forger.pub]);
    const rootKeys = join(dir, 'list-root-keys.json');
    writeFileSync(rootKeys, JSON.stringify({ keys: [JSON.parse(readFileSync(root.pub, 'utf8'))] }));
    const bootstrap = join(dir, 'jtt-roots.json');
    writeFileSync(bootstrap, JSON.stringify({ roots: [] }));
    const input = join(dir, 'jtt-roots-input.json');
    writeFileSync(input, JSON.stringify(rootsFile({ label: 'test root 23' })));

    const settings = settlementSettings('(pty)', join(dir, 'data'), broker.url, {
      extra: { jtt: { roots: bootstrap }, lists: { rootKeys } },
    });
    const g = await startGate(dir, settings, true);
    const status = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    const statuses: Record<string, unknown>[] = [];
    status.on('message', (_t, p) => statuses.push(JSON.parse(p.toString()) as Record<string, unknown>));
    await status.subscribeAsync(STATUS_TOPIC, { qos: 1 });

    const first = jttHex();
    expect(await show(g, first)).toMatchObject({ decision: 'reject', reason: 'unknown_key' });

    // Signed and published with the tooling: in force, persisted, in the status.
    const v1 = join(dir, 'jtt-roots.1.json');
    await cli([
      'lists',
      'sign',
      '--type',
      'jtt-roots',
      '--in',
      input,
      '--version',
      '1',
      '--key',
      root.out,
      '--out',
      v1,
    ]);
    const published = JSON.parse(await cli(['lists', 'publish', '--mqtt', broker.url, '--file', v1])) as {
      topic: string;
      retain: boolean;
    };
    expect(published).toMatchObject({ topic: `${PREFIX}/jtt-roots`, retain: true });
    await g.svc.waitForLine(
      jttListLine((l) => l.msg === 'signed list applied' && l.version === 1),
      'applied',
      WAIT,
    );
    expect(await show(g, first)).toMatchObject({ decision: 'accept' });
    const deadline = Date.now() + WAIT;
    const listsOf = (s: Record<string, unknown>) =>
      (s.lists as { jttRoots?: Record<string, unknown> } | undefined)?.jttRoots;
    while (!statuses.some((s) => listsOf(s)?.version === 1)) {
      if (Date.now() > deadline)
        throw new Error(`no status with lists.jttRoots v1: ${JSON.stringify(statuses.at(-1))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const inForce = statuses.find((s) => listsOf(s)?.version === 1)!;
    expect(listsOf(inForce)).toMatchObject({ source: 'signed', roots: 1 });
    // The JT/T status: the roots in force, where from, and the cache counters of the two decisions.
    expect(inForce.jtt).toMatchObject({ roots: 1, indexes: [23], version: 1, source: 'signed' });
    await status.endAsync();

    // A rollback (version 1 again, other content) and a forgery change nothing.
    const emptyInput = join(dir, 'empty-roots.json');
    writeFileSync(emptyInput, JSON.stringify({ roots: [] }));
    const rollback = join(dir, 'rollback.json');
    await cli([
      'lists',
      'sign',
      '--type',
      'jtt-roots',
      '--in',
      emptyInput,
      '--version',
      '1',
      '--key',
      root.out,
      '--out',
      rollback,
    ]);
    await cli(['lists', 'publish', '--mqtt', broker.url, '--file', rollback]);
    await g.svc.waitForLine(
      jttListLine((l) => l.reason === 'rollback'),
      'rollback refused',
      WAIT,
    );
    const forged = join(dir, 'forged.json');
    await cli([
      'lists',
      'sign',
      '--type',
      'jtt-roots',
      '--in',
      emptyInput,
      '--version',
      '9',
      '--key',
      forger.out,
      '--out',
      forged,
    ]);
    await cli(['lists', 'publish', '--mqtt', broker.url, '--file', forged]);
    await g.svc.waitForLine(
      jttListLine((l) => l.reason === 'bad_signature'),
      'forgery refused',
      WAIT,
    );
    expect(await show(g, jttHex())).toMatchObject({ decision: 'accept' });

    // SIGKILL, the broker gone (it holds the forged list as retained now anyway): the gate
    // restarts offline with the signed roots it persisted.
    await g.scanner.close();
    expect(await g.svc.kill('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
    await broker.stop();
    broker = undefined;
    const g2 = await startGate(dir, settings, false);
    await g2.svc.waitForLine(
      jttListLine((l) => l.msg === 'signed list applied' && l.version === 1 && l.source === 'disk'),
      'restored from disk',
      WAIT,
    );
    expect(await show(g2, jttHex())).toMatchObject({ decision: 'accept' });
    await g2.scanner.close();
    await g2.svc.kill('SIGTERM');
  }, 180_000);
});
