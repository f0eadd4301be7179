/**
 * Builds the remote-command handler for a running service: the operator keys from
 * `commands.operatorKeys`, the id ledger in the store's database, and the actions the commands
 * may take (modes, settings reload, status, log level).
 */
import type { Config } from '../config/schema.ts';
import { errorMessage, FaregateError } from '../errors/faregateError.ts';
import type { MqttPort } from '../mqtt/mqttPort.ts';
import type { Logger } from '../platform/logger.ts';
import type { GatePolicy } from '../policy/gatePolicy.ts';
import type { JttFormat } from '../token/jtt/jttFormat.ts';
import type { Clock, RideCodeValidator } from '../token/validator.ts';
import { CommandLedger } from './commandLedger.ts';
import { RemoteCommands, type CommandTarget } from './commands.ts';
import { reloadSettings } from './commandsReload.ts';
import type { EventSink } from './events.ts';
import { loadKeySetFile, type JwsKeySet } from '../lists/jws.ts';

export interface CommandsContext {
  config: Config;
  /** The settings file the service was started with (needed by reload_config). */
  configFile: string | undefined;
  validator: RideCodeValidator;
  /** The JT/T format when `jtt.roots` is set (reload_config re-reads its roots). */
  jtt?: JttFormat | undefined;
  policy: GatePolicy;
  link: MqttPort | undefined;
  /** The one event path (src/fleet/events.ts). */
  events: EventSink;
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
      return { ledger, commands: undefined, problems: [`commands.operatorKeys: ${errorMessage(e)}`] };
    }
  }
  if (!file || !ctx.link) return { ledger, commands: undefined, problems: [] };
  const link = ctx.link;
  const log = ctx.logger;
  const setLevel = (level: string): Record<string, unknown> => {
    const previous = ctx.config.log.level;
    if (!setLoggerLevel(ctx.rootLogger, level))
      throw new FaregateError('COMMAND_REFUSED', 'this logger has no settable level');
    ctx.config.log.level = level as Config['log']['level'];
    log.warn({ previous, level }, 'log level changed');
    return { previous, level };
  };
  const target: CommandTarget = {
    setMode(mode, on, commandId) {
      const changed = ctx.policy.modes.set(mode, on, ctx.clock.now(), commandId);
      if (changed) {
        if (mode === 'free_pass') {
          const msg = on ? 'FREE PASS ON (evacuation): the gate opens for everyone' : 'free pass lifted';
          log.warn({ freePass: on, commandId }, msg);
        } else {
          const msg = on ? 'OUT OF SERVICE: every rider is turned away' : 'back in service';
          log.warn({ outOfService: on, commandId }, msg);
        }
        void link.publishStatus();
      }
      return { mode, on, changed, modes: ctx.policy.modes.active() };
    },
    reloadConfig() {
      if (!ctx.configFile) throw new FaregateError('RELOAD_FAILED', 'the service was not started from a settings file');
      const r = reloadSettings(ctx.configFile, {
        config: ctx.config,
        validator: ctx.validator,
        jtt: ctx.jtt,
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
    events: ctx.events,
    target,
  });
  return { ledger, commands, problems: [] };
}
