/**
 * A real Mosquitto with the deploy configuration of docs/deploy/mosquitto/: the shipped `acl`, a
 * password file and client passwords made by the shipped make-passwords.sh, and the security
 * settings of the shipped mosquitto.conf (its paths, listener, persistence and logging are the
 * test broker's own: test/support/mosquitto.ts).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/cli.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';

export const DEPLOY = join(REPO_ROOT, 'docs/deploy');
/** The lines of the shipped mosquitto.conf that decide who may do what (kept as written there). */
const KEPT = new Set(['use_username_as_clientid', 'persistent_client_expiration', 'max_queued_messages']);

/** The kept lines of docs/deploy/mosquitto/mosquitto.conf; throws when the client-id binding is missing. */
export function deploySecurityLines(): string[] {
  const lines = readFileSync(join(DEPLOY, 'mosquitto/mosquitto.conf'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && KEPT.has(l.split(/\s+/)[0]!));
  if (!lines.includes('use_username_as_clientid true'))
    throw new Error('docs/deploy/mosquitto/mosquitto.conf lacks `use_username_as_clientid true`');
  return lines;
}

export interface DeployBroker {
  broker: Mosquitto;
  /** The password make-passwords.sh wrote for an account. */
  password(account: string): string;
  stop(): Promise<void>;
}

/** Starts the broker with accounts backend, operator, monitor and `devices` (make-passwords.sh). */
export async function startDeployBroker(devices: string[]): Promise<DeployBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'faregate-deploy-broker-'));
  copyFileSync(join(DEPLOY, 'make-passwords.sh'), join(dir, 'make-passwords.sh'));
  execFileSync('sh', [join(dir, 'make-passwords.sh'), ...devices], { stdio: 'ignore' });
  const broker = await startMosquitto({
    passwordFile: join(dir, 'mosquitto', 'passwd'),
    aclFile: join(DEPLOY, 'mosquitto', 'acl'),
    extraConfig: deploySecurityLines(),
  });
  return {
    broker,
    password: (account) => readFileSync(join(dir, 'secrets', `${account}.password`), 'utf8'),
    async stop() {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
