/**
 * `faregate run [--config FILE]`: the validator service (settings file from --config, else
 * FAREGATE_CONFIG). Settings errors (or unusable list
 * files) print every problem and exit 3; SIGINT/SIGTERM stop it cleanly.
 */
import { z } from 'zod';
import { ConfigError, EXIT_CONFIG, loadConfig } from '../../config/load.ts';
import { errorFields } from '../../errors/faregateError.ts';
import { createLogger } from '../../platform/pinoLogger.ts';
import { lowerV8HelperThreads, V8_HELPER_NICE_OFFSET } from '../../platform/threadPriority.ts';
import { realPlatform } from '../../service/platform.ts';
import { StartupError, ValidatorService } from '../../service/validatorService.ts';
import type { CliIo } from '../io.ts';
import { RUN } from '../spec/run.ts';
import { parseCommand } from '../usage.ts';

const Args = z.object({ config: z.string().min(1) });

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: a } = parseCommand(RUN, argv, Args);
  let loaded;
  try {
    loaded = loadConfig(a.config);
  } catch (e) {
    if (e instanceof ConfigError) {
      io.error(`faregate: refusing to start: ${e.message}`);
      return EXIT_CONFIG;
    }
    throw e;
  }
  const { config } = loaded;
  const logger = createLogger({
    level: config.log.level,
    format: config.log.format,
    base: { deviceId: config.deviceId },
  });
  let service: ValidatorService;
  try {
    service = new ValidatorService(config, realPlatform(logger, a.config));
  } catch (e) {
    if (e instanceof StartupError) {
      io.error(
        `faregate: refusing to start: configuration ${a.config} has ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}:\n${e.problems.map((p) => `  - ${p}`).join('\n')}`,
      );
      return EXIT_CONFIG;
    }
    throw e;
  }
  if (loaded.envOverrides.length)
    logger.info({ overrides: loaded.envOverrides }, 'settings overridden from the environment');
  // Decisions run on the main thread: V8's helper threads (garbage collection of every thread's
  // heap, background compilation) go below it, as the MQTT thread and the list worker do.
  const lowered = lowerV8HelperThreads();
  if (lowered) logger.debug({ threads: lowered, nice: V8_HELPER_NICE_OFFSET }, 'V8 helper threads lowered');

  let stopping: Promise<void> | undefined;
  const done = new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) return;
      logger.info({ signal }, 'stopping');
      stopping = service.stop().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error(errorFields(err), 'error while stopping');
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await service.start();
  return done;
}
