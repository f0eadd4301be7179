/**
 * What the validator service gets from the machine it runs on, in one object: the clock, the
 * logger, the scanner transport, the gate driver, the store and the MQTT link. `faregate run`
 * uses the real ones (`realPlatform`); tests pass a manual clock, a fake transport that feeds
 * frames, a recording gate driver and the in-memory MQTT link, and run the whole service in
 * process.
 */
import type { Config, MqttConfig } from '../config/schema.ts';
import { ConsoleGate } from '../gate/consoleGate.ts';
import { SerialGate } from '../gate/serialGate.ts';
import type { GateDriver } from '../gate/types.ts';
import { MqttLink } from '../mqtt/mqttLink.ts';
import type { MqttPort } from '../mqtt/mqttPort.ts';
import { ThreadedMqttLink } from '../mqtt/threadedMqttLink.ts';
import type { Logger } from '../platform/logger.ts';
import { createTransport } from '../scanner/createTransport.ts';
import type { ByteTransport } from '../scanner/types.ts';
import { TapStore, type StoreOptions } from '../store/tapStore.ts';
import { systemClock, type Clock } from '../token/validator.ts';

/** The MQTT link's inputs: settings, device id, the status fields beyond `online`, a logger. */
export interface MqttLinkOptions {
  cfg: MqttConfig;
  deviceId: string;
  statusFields: () => Record<string, unknown>;
  logger: Logger;
}

export interface Platform {
  clock: Clock;
  logger: Logger;
  /** Makes the scanner's byte transport (called once per scanner start). */
  scannerTransport: (cfg: Config['scanner'], logger: Logger) => ByteTransport;
  /** Makes the gate maker's driver. */
  gateDriver: (cfg: Config['gate'], logger: Logger) => GateDriver;
  /** Makes the tap store (opened by the service at start). */
  store: (o: StoreOptions) => TapStore;
  /** Makes the MQTT link (only when the settings have an `mqtt` section). */
  mqtt: (o: MqttLinkOptions) => MqttPort;
  /** The settings file the config came from (remote `reload_config` re-reads it). */
  configFile?: string;
}

/**
 * What a caller passes: a logger, and any part to replace. `transport` and a ready `gateDriver`
 * instance are accepted as shorthands (tests and benchmarks use them).
 */
export type ServicePlatform = Partial<Omit<Platform, 'logger' | 'gateDriver'>> & {
  logger: Logger;
  gateDriver?: GateDriver | Platform['gateDriver'];
  /** Shorthand for `scannerTransport`: a factory of the scanner transport. */
  transport?: () => ByteTransport;
};

export const realGateDriver: Platform['gateDriver'] = (g, logger) =>
  g.driver === 'serial'
    ? new SerialGate({ path: g.path, baudRate: g.baudRate, commands: g.commands, lineEnding: g.lineEnding }, logger)
    : new ConsoleGate(logger);

/** mqtt.js in a worker thread (`mqtt.worker`, the default) or on this thread. */
export const realMqtt: Platform['mqtt'] = (o) =>
  o.cfg.worker
    ? new ThreadedMqttLink(o.cfg, o.deviceId, o.statusFields, o.logger)
    : new MqttLink(o.cfg, o.deviceId, o.statusFields, o.logger);

/** The real platform: system clock, serial or TCP scanner, console or serial gate, SQLite, mqtt.js. */
export function realPlatform(logger: Logger, configFile?: string): Platform {
  return {
    clock: systemClock,
    logger,
    scannerTransport: createTransport,
    gateDriver: realGateDriver,
    store: (o) => new TapStore(o),
    mqtt: realMqtt,
    ...(configFile !== undefined ? { configFile } : {}),
  };
}

/** Fills what the caller did not pass with the real parts. */
export function withDefaults(p: ServicePlatform): Platform {
  const real = realPlatform(p.logger, p.configFile);
  const { transport, gateDriver, ...rest } = p;
  const out: Platform = { ...real, ...stripUndefined(rest) };
  if (transport && !p.scannerTransport) out.scannerTransport = () => transport();
  if (gateDriver) out.gateDriver = typeof gateDriver === 'function' ? gateDriver : () => gateDriver;
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
