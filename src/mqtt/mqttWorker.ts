/**
 * Body of the MQTT worker thread: runs the MqttLink (src/mqtt/mqttLink.ts) unchanged and relays
 * it to the main thread (src/mqtt/threadedMqttLink.ts): connection events, every message of a
 * subscribed topic (its payload transferred, not copied; a large one kept here until the main
 * thread sends it on to another thread or releases it; on a oneAtATime topic one at a time, the
 * newest waiting here), publish results and log records.
 */
import { getPriority, setPriority } from 'node:os';
import { isMarkedAsUntransferable, parentPort, workerData } from 'node:worker_threads';
import { FaregateError } from '../errors/faregateError.ts';
import type { Logger } from '../platform/logger.ts';
import { MqttLink } from './mqttLink.ts';
import type { FromWorker, LogLevel, MqttWorkerData, Subscription, ToWorker } from './mqttThread.ts';

/**
 * This thread runs 5 nice levels below the thread that started it (the main thread, where
 * decisions are made: a decision is never queued behind parsing a flood), and above the list
 * worker (nice 19). On Linux the nice value is per thread (pid 0 = this one) and a new thread
 * starts with its creator's.
 */
const MQTT_THREAD_NICE_OFFSET = 5;

try {
  setPriority(0, Math.min(19, getPriority(0) + MQTT_THREAD_NICE_OFFSET));
} catch {
  // not allowed here: the creator's priority
}

const port = parentPort!;
const data = workerData as MqttWorkerData;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

function relayLogger(bindings: Record<string, unknown>): Logger {
  const at =
    (level: LogLevel) =>
    (obj: object | string, msg?: string): void => {
      const o = typeof obj === 'string' ? { ...bindings } : { ...bindings, ...(obj as Record<string, unknown>) };
      const m = typeof obj === 'string' ? obj : msg;
      try {
        post({ ev: 'log', level, obj: o, ...(m !== undefined ? { msg: m } : {}) });
      } catch {
        // a field that cannot be cloned: send it as JSON text
        post({ ev: 'log', level, obj: JSON.parse(JSON.stringify(o)) as Record<string, unknown>, msg: m ?? '' });
      }
    };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: (b) => relayLogger({ ...bindings, ...b }),
  };
}

let statusFields = data.statusFields;
const link = new MqttLink(data.cfg, data.deviceId, () => statusFields, relayLogger({}), false);

/** The payload as a buffer of its own (transferable); a slice of a shared one is copied here. */
function own(payload: Buffer): Uint8Array {
  const b = payload.buffer;
  const whole =
    payload.byteOffset === 0 &&
    payload.byteLength === b.byteLength &&
    b instanceof ArrayBuffer &&
    !isMarkedAsUntransferable(b);
  return whole ? payload : new Uint8Array(payload);
}

/** Payloads kept here (a subscription's holdFrom) until the main thread sends or releases them. */
const held = new Map<number, Uint8Array>();
let nextHeld = 1;
const holdFrom = new Map<string, number>();

/** A oneAtATime topic: whether the main thread has its last message, and the newest waiting one. */
interface Turn {
  busy: boolean;
  waiting?: Uint8Array;
  superseded: number;
}
const turns = new Map<string, Turn>();

const deliver = (topic: string, p: Uint8Array, superseded: number): void => {
  const dropped = superseded ? { superseded } : {};
  const from = holdFrom.get(topic);
  if (from !== undefined && p.byteLength >= from) {
    const id = nextHeld++;
    held.set(id, p);
    post({ ev: 'held', topic, id, bytes: p.byteLength, ...dropped });
    return;
  }
  post({ ev: 'message', topic, payload: p, ...dropped }, [p.buffer as ArrayBuffer]);
};

const relay = (topic: string, payload: Buffer): void => {
  const p = own(payload);
  const turn = turns.get(topic);
  if (!turn) return deliver(topic, p, 0);
  if (!turn.busy) {
    turn.busy = true;
    return deliver(topic, p, 0);
  }
  if (turn.waiting) turn.superseded++;
  turn.waiting = p;
};

const next = (topic: string): void => {
  const turn = turns.get(topic);
  if (!turn) return;
  const p = turn.waiting;
  if (!p) {
    turn.busy = false;
    return;
  }
  const superseded = turn.superseded;
  delete turn.waiting;
  turn.superseded = 0;
  deliver(topic, p, superseded);
};

const oversized = (topic: string, bytes: number): void => post({ ev: 'oversized', topic, bytes });
const subscribe = (s: Subscription): void => {
  if (s.holdFrom !== undefined) holdFrom.set(s.topic, s.holdFrom);
  else holdFrom.delete(s.topic);
  if (s.oneAtATime) {
    if (!turns.has(s.topic)) turns.set(s.topic, { busy: false, superseded: 0 });
  } else turns.delete(s.topic);
  link.subscribe(s.topic, relay, s.maxBytes !== undefined ? { maxBytes: s.maxBytes, oversized } : undefined);
};

for (const t of data.topics) subscribe(t);
link.on('connected', (sessionPresent) => post({ ev: 'connected', sessionPresent }));
link.on('disconnected', () => post({ ev: 'disconnected' }));

port.on('message', (m: ToWorker) => {
  if (m.op === 'subscribe') {
    const { op: _op, ...sub } = m;
    subscribe(sub);
  } else if (m.op === 'send') {
    const p = held.get(m.id);
    held.delete(m.id);
    if (p) m.port.postMessage(p, [p.buffer as ArrayBuffer]);
    m.port.close();
  } else if (m.op === 'release') held.delete(m.id);
  else if (m.op === 'next') next(m.topic);
  else if (m.op === 'publish') {
    link.publishText(m.topic, m.text, { qos: m.qos, retain: m.retain }).then(
      () => post({ ev: 'published', id: m.id }),
      (e: unknown) => {
        const code = e instanceof FaregateError ? { code: e.code } : {};
        post({ ev: 'published', id: m.id, error: { ...code, message: e instanceof Error ? e.message : String(e) } });
      },
    );
  } else if (m.op === 'stop') {
    statusFields = m.statusFields;
    void link.stop().finally(() => post({ ev: 'stopped' }));
  }
});

link.start();
