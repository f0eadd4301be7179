/**
 * The journey model's labels hold for the real validator core and gate policy over a long run:
 * 25 minutes (fake clock) of riders entering at one station, leaving at the other and coming
 * back, well past the 600 s anti-passback window, at a bus reader and entry/exit gates of two
 * stations. Every frame goes to a real ValidatorService (its own SQLite store, replay memory and
 * entry memory) and its outcome must match the model's expectation (firmware-sim/decisionLedger
 * `judge`). Also: a rider refused for anti-passback is one who entered at that gate within the
 * window, and riders do enter the same gate again once the window is over. The bus reader also
 * takes JT/T 1179 riders (binary frames and hex text, `jtt.roots` = the file the population wrote).
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/platform/logger.ts';
import { packagePath } from '../../src/platform/packageRoot.ts';
import type { ByteTransport } from '../../src/scanner/types.ts';
import { ValidatorService } from '../../src/service/validatorService.ts';
import { answerOf, judge } from '../../firmware-sim/decisionLedger.ts';
import { JourneyModel, type JourneyGate } from '../../firmware-sim/journeys.ts';
import { loadDenyIds, loadIssuerKey, Population } from '../../firmware-sim/population.ts';
import { Prng } from '../../firmware-sim/prng.ts';
import { DEV_DENY_PATH, DEV_ISSUER_PATH } from '../../firmware-sim/simulator.ts';

const GATES: JourneyGate[] = [
  { id: 'bus', mode: 'bus', place: 'route-42', direction: 'board', jtt: { share: 0.3, encodings: ['binary', 'hex'] } },
  { id: 'A-in', mode: 'metro', place: 'station-A', direction: 'in' },
  { id: 'A-out', mode: 'metro', place: 'station-A', direction: 'out' },
  { id: 'B-in', mode: 'metro', place: 'station-B', direction: 'in' },
  { id: 'B-out', mode: 'metro', place: 'station-B', direction: 'out' },
];
const WINDOW_S = 600;
const RUN_MS = 25 * 60_000;
const STEP_MS = 1000;

/** A scanner that never sends: frames are handed to the processor directly. */
class SilentTransport extends EventEmitter<{ data: [Buffer]; lost: [string] }> implements ByteTransport {
  readonly target = 'test://silent';
  async open(): Promise<void> {}
  async close(): Promise<void> {}
}

const work = mkdtempSync(join(tmpdir(), 'faregate-journeys-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('journey model over 25 minutes', () => {
  it('labels every frame as the real validators decide it, past the anti-passback window', async () => {
    let now = Date.now();
    const clock = { now: () => now };
    const fg1Deny = loadDenyIds(DEV_DENY_PATH);
    const population = new Population({
      size: 40,
      prng: new Prng('journeys-test', 'population'),
      issuer: loadIssuerKey(DEV_ISSUER_PATH),
      deny: fg1Deny,
      nowSec: Math.floor(now / 1000),
      jtt: { riders: 15 },
    });
    const jttFiles = population.jtt!.writeFiles(join(work, 'jtt'), fg1Deny);
    const model = new JourneyModel({
      population,
      prng: new Prng('journeys-test', 'journeys'),
      gates: GATES,
      mix: 'valid=62,passback=6,duplicate=4,replayed=4,expired=4,forged=4,denied=4,wrong-mode=4,garbage=8',
      now: clock.now,
      antiPassbackSeconds: WINDOW_S,
    });
    const services = new Map<string, ValidatorService>();
    for (const g of GATES) {
      const config = ConfigSchema.parse({
        deviceId: g.id,
        mode: g.mode,
        place: g.place,
        direction: g.direction,
        scanner: { path: '/dev/null' },
        trust: { file: packagePath('config', 'dev', 'trust.json') },
        deny: { file: jttFiles.deny },
        ...(g.jtt ? { jtt: { roots: jttFiles.roots } } : {}),
        dataDir: join(work, g.id),
        fare: { currency: 'CNY', bus: { adult: 200 } },
        policy: { antiPassbackSeconds: WINDOW_S },
        log: { level: 'silent' },
      });
      const s = new ValidatorService(config, { clock, logger: silentLogger, transport: () => new SilentTransport() });
      await s.start();
      services.set(g.id, s);
    }

    const problems: string[] = [];
    const kinds = new Map<string, number>();
    const entries = new Map<string, number[]>(); // gate/sub → accepted entry times
    let reentriesAfterWindow = 0;
    const end = now + RUN_MS;
    try {
      while (now < end) {
        for (const g of GATES) {
          for (const f of model.source(g.id).next()) {
            if (f.delayMs) now += f.delayMs;
            const o = services
              .get(g.id)!
              .processor.handleFrame(f.encoding === 'binary' ? f.payload : f.payload.toString('latin1'));
            const v = judge(f.expect, answerOf(o));
            kinds.set(`${g.id} ${f.scenario}`, (kinds.get(`${g.id} ${f.scenario}`) ?? 0) + 1);
            if (f.format === 'jtt1179') {
              const k = `jtt ${f.scenario} ${o.reason ?? o.decision}`;
              kinds.set(k, (kinds.get(k) ?? 0) + 1);
            }
            if (!v.ok)
              problems.push(
                `${new Date(now).toISOString()} ${g.id} ${f.scenario}/${f.variant ?? ''} ${f.rider ?? ''} "${f.story ?? ''}": ${v.why}`,
              );
            if (g.direction === 'in' && o.tap) {
              const key = `${g.id}/${o.tap.sub}`;
              const seen = entries.get(key) ?? [];
              if (seen.length) reentriesAfterWindow++;
              entries.set(key, [...seen, now]);
            }
            if (f.scenario === 'passback') {
              const last = entries.get(`${g.id}/${f.sub}`)?.at(-1);
              expect(last !== undefined && now - last < WINDOW_S * 1000).toBe(true);
            }
          }
        }
        now += STEP_MS;
      }
    } finally {
      for (const s of services.values()) await s.stop();
    }
    expect(problems.slice(0, 20), problems.join('\n')).toEqual([]);
    // The run covered what it claims: refusals at both entry gates, riders back through the same gate after the window.
    expect(kinds.get('A-in passback') ?? 0).toBeGreaterThan(0);
    expect(kinds.get('B-in passback') ?? 0).toBeGreaterThan(0);
    expect(kinds.get('A-out replayed') ?? 0).toBeGreaterThan(0);
    expect(kinds.get('bus duplicate') ?? 0).toBeGreaterThan(0);
    // JT/T riders on the bus: accepted, replayed and read twice, refused at each kind of link.
    for (const k of [
      'jtt valid accept',
      'jtt replayed replay',
      'jtt duplicate duplicate',
      'jtt forged bad_root_signature',
    ])
      expect(kinds.get(k) ?? 0, k).toBeGreaterThan(0);
    expect(reentriesAfterWindow).toBeGreaterThan(10);
  }, 60_000);
});
