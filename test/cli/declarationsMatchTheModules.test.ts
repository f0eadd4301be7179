/**
 * The light command declarations repeat a few constants of heavy modules (so help loads no zod):
 * they must stay equal to the modules' own.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SHARED_GROUP } from '../../src/backend/settlementBackend.ts';
import { SHARED_GROUP } from '../../src/cli/spec/backend.ts';
import { KNOWN_COMMANDS } from '../../src/cli/spec/cmd.ts';
import { TOPIC_PREFIX } from '../../src/cli/spec/common.ts';
import { EXIT_SETTINGS } from '../../src/cli/spec/exitCodes.ts';
import { EXIT_CONFIG } from '../../src/config/load.ts';
import { DEFAULT_TOPIC_PREFIX } from '../../src/contract/settlement.ts';
import { COMMAND_NAMES } from '../../src/fleet/commandTypes.ts';
import { STORE_FILE } from '../../src/service/validatorService.ts';
import { STORE_FILE_NAME } from '../../src/store/storeReader.ts';

describe('command declarations', () => {
  it('repeat the modules constants exactly', () => {
    expect(TOPIC_PREFIX).toBe(DEFAULT_TOPIC_PREFIX);
    expect(SHARED_GROUP).toBe(DEFAULT_SHARED_GROUP);
    expect([...KNOWN_COMMANDS]).toEqual([...COMMAND_NAMES]);
    expect(EXIT_SETTINGS).toBe(EXIT_CONFIG);
    expect(STORE_FILE_NAME).toBe(STORE_FILE);
  });
});
