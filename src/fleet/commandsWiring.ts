/**
 * Builds the remote-command handler for a running service: the operator keys from
 * `commands.operatorKeys`, the id ledger in the store's database, and the actions the commands
 * may take (modes, settings reload, status, log level).
 */
import type { Config } from '../config/schema.ts';
import type { MqttLink } from '../mqtt/mqttLink.ts';
import type { Logger } from '../platform/logger.ts';
import type { GatePolicy } from '../policy/gatePolicy.ts';
import type { Telemetry } from '../settlement/telemetry.ts';
import type { Clock, RideCodeValidator } from '../token/validator.ts';
import { CommandLedger } from './commandLedger.ts';
import { RemoteCommands, type CommandTarget } from './commands.ts';
import { reloadSettings } from './commandsReload.ts';
import { loadKeySetFile, type JwsKeySet } from './jws.ts';

export interface CommandsContext {
  config: Config;
  /** The settings file the service was started with (needed by reload_config). */
  configFile: string | undefined;
  validator: RideCodeValidator;
  policy: GatePolicy;
  link: MqttLink | undefined;
  telemetry: Telemetry;
  clock: Clock;
  /** The root logger (its level is the service's log level). */
  rootLogger: Logger;
  logger: Logger;
  status: () => object;
}

export interface CommandsSetup {
  ledger: CommandLedger;
  commands: RemoteCommands | undefined;
  problems: string[];
}

/** Sets a pino-compatible logger's level (children follow); false for loggers without one. */
export function setLoggerLevel(logger: Logger, level: string): boolean {
  const l = logger as unknown as { level?: unknown };
  if (typeof l.level !== 'string') return false;
  l.level = level;
  return true;
}

export function setupRemoteCommands(ctx: CommandsContext): CommandsSetup {
  const ledger = new CommandLedger();
  const file = ctx.config.commands.operatorKeys;
  let keys: JwsKeySet = new Map();
  if (file) {
    try {
      keys = loadKeySetFile(file);
    } catch (e) {
      return { ledger, commands: undefined, problems: [`commands.operatorKeys: ${(e as Error).message}`] };
    }
  }
  if (!file || !ctx.link) return { ledger, commands: undefined, problems: [] };
  const link = ctx.link;
  const log = ctx.logger;
  const setLevel = (level: string): Record<string, unknown> => {
    const previous = ctx.config.log.level;
    if (!setLoggerLevel(ctx.rootLogger, level)) throw new Error('this logger has no settable level');
    ctx.config.log.level = level as Config['log']['level'];
    log.warn({ previous, level }, 'log level changed');
    return { previous, level };
  };
  const target: CommandTarget = {
    setMode(mode, on, commandId) {
      const changed = ctx.policy.modes.set(mode, on, ctx.clock.now(), commandId);
      if (changed) {
        if (mode === 'free_pass') log.warn({ freePass: on, commandId }, on ? 'FREE PASS ON (evacuation): the gate opens for everyone' : 'free pass lifted');
        else log.warn({ outOfService: on, commandId }, on ? 'OUT OF SERVICE: every rider is turned away' : 'back in service');
        void link.publishStatus();
      }
      return { mode, on, changed, modes: ctx.policy.modes.active() };
    },
    reloadConfig() {
      if (!ctx.configFile) throw new Error('the service was not started from a settings file');
      const r = reloadSettings(ctx.configFile, {
        config: ctx.config,
        validator: ctx.validator,
        setLogLevel: (level) => setLoggerLevel(ctx.rootLogger, level),
        setOperatorKeys: (k) => {
          if (k) keys = k;
        },
        policyChanged: () => ctx.policy.configChanged(),
        signedListsActive: ctx.config.lists !== undefined,
      });
      log.warn({ applied: r.applied, needsRestart: r.needsRestart, lists: r.lists }, 'settings reloaded');
      void link.publishStatus();
      return { ...r };
    },
    status() {
      void link.publishStatus();
      return { status: ctx.status() };
    },
    setLogLevel: setLevel,
  };
  const commands = new RemoteCommands({
    deviceId: ctx.config.deviceId,
    link,
    ledger,
    keys: () => keys,
    settings: () => ctx.config.commands,
    clock: ctx.clock,
    logger: log,
    event: (body) => ctx.telemetry.event(body),
    target,
  });
  return { ledger, commands, problems: [] };
}
