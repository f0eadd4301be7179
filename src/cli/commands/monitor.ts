/**
 * `faregate monitor`: a live view of every gate on the broker, from the retained statuses and the
 * metrics and events streams. Redraws at most every 500 ms (a full-screen redraw on a TTY, one
 * block per change otherwise); `--once` collects for `--wait` ms (default 2000) then prints one
 * snapshot and exits; `--json` prints the model as JSON (one line per snapshot).
 * `--root-keys FILE` also checks the retained trust and deny lists (retainedLists.ts).
 * Unusable arguments exit 2; no connection to the broker exits 1.
 */
import { z } from 'zod';
import { FleetModel } from '../../monitor/fleetModel.ts';
import { MqttFleetSource, type FleetSourceOptions } from '../../monitor/mqttFleetSource.ts';
import { renderFleet } from '../../monitor/render.ts';
import { readText } from '../files.ts';
import type { CliIo } from '../io.ts';
import { MONITOR } from '../spec/monitor.ts';
import { numberArg, parseCommand, UsageError } from '../usage.ts';
import { loadKeySetFile } from '../../lists/jws.ts';
import { ListFileError } from '../../lists/listErrors.ts';
import { errorMessage } from '../../errors/faregateError.ts';

/** The broker options of the fleet views (`faregate monitor`, `faregate dashboard`). */
export const FLEET_BROKER_ARGS = {
  mqtt: z.string({ error: 'is required' }).regex(/^mqtts?:\/\/[^\s]+$/, 'must be an mqtt:// or mqtts:// URL'),
  prefix: z
    .string()
    // eslint-disable-next-line no-control-regex -- NUL is what an MQTT topic must not hold
    .regex(/^[^+#\u0000]+$/, 'must not contain + # or NUL')
    .refine((p) => !p.startsWith('/') && !p.endsWith('/'), 'must not start or end with /'),
  protocol: z.enum(['4', '5'], { error: 'must be 4 (MQTT 3.1.1) or 5' }),
};

const Args = z
  .object({
    ...FLEET_BROKER_ARGS,
    once: z.boolean().default(false),
    wait: numberArg.pipe(z.number().int().min(100).max(600_000)),
    json: z.boolean().default(false),
    username: z.string().min(1).optional(),
    'password-file': z.string().min(1).optional(),
    ca: z.string().min(1).optional(),
    insecure: z.boolean().default(false),
    'root-keys': z.string().min(1).optional(),
  })
  .refine((a) => a['password-file'] === undefined || a.username !== undefined, {
    message: 'needs --username',
    path: ['password-file'],
  });

export const REDRAW_MS = 500;

export async function monitorCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: a } = parseCommand(MONITOR, argv, Args);
  const src: FleetSourceOptions = { url: a.mqtt, prefix: a.prefix, protocolVersion: a.protocol === '5' ? 5 : 4 };
  if (a.username !== undefined) src.username = a.username;
  if (a['password-file'] !== undefined)
    src.password = readText(a['password-file'], 'monitor: --password-file').replace(/\r?\n$/, '');
  if (a.ca !== undefined) src.ca = readText(a.ca, 'monitor: --ca');
  if (a.insecure) src.rejectUnauthorized = false;
  if (a['root-keys'] !== undefined) {
    try {
      src.rootKeys = loadKeySetFile(a['root-keys']);
    } catch (e) {
      if (e instanceof ListFileError) throw new UsageError(`monitor: --root-keys: ${e.message}`);
      throw e;
    }
  }

  const model = new FleetModel(a.prefix);
  const tty = !a.json && process.stdout.isTTY === true;
  const print = async (): Promise<void> => {
    const snap = model.snapshot();
    if (a.json) return io.writeLine(JSON.stringify(snap));
    const text = renderFleet(snap, { color: tty }).join('\n');
    // Home, draw, clear the rest: no flicker on a TTY.
    await io.writeLine(tty ? `\x1b[H${text.replace(/\n/g, '\x1b[K\n')}\x1b[K\x1b[J` : text + '\n');
  };

  let dirty = true;
  const source = new MqttFleetSource(src, model, () => (dirty = true));
  try {
    await source.start();
  } catch (e) {
    await source.stop();
    io.error(`faregate monitor: ${errorMessage(e)}`);
    return 1;
  }

  if (a.once) {
    await new Promise((r) => setTimeout(r, a.wait));
    await source.stop();
    await print();
    return 0;
  }

  if (tty) process.stdout.write('\x1b[2J');
  return new Promise<number>((resolve) => {
    let drawing = false;
    let lastDraw = 0;
    // At most every REDRAW_MS; on a TTY also once a second so ages keep moving.
    const timer = setInterval(() => {
      const now = Date.now();
      if (drawing || !(dirty || (tty && now - lastDraw >= 1000))) return;
      dirty = false;
      drawing = true;
      lastDraw = now;
      void print().finally(() => (drawing = false));
    }, REDRAW_MS);
    const stop = () => {
      clearInterval(timer);
      void source.stop().then(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
