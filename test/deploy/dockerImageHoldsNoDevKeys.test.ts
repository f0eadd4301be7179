/**
 * docs/deploy/Dockerfile and docker-compose.yml, checked statically (no Docker daemon on the test
 * machine): Node 24 slim base in every stage, a build stage that runs npm ci and npm run build, a
 * runtime stage with dist/ and production dependencies only, a non-root USER, a HEALTHCHECK done
 * with node on /healthz, and no TEST-ONLY or development key copied into the image (the build
 * context excludes them too). The HEALTHCHECK command itself is run for real against a spawned
 * `faregate run` with its health endpoint on.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.ts';
import { freePort } from '../support/mosquitto.ts';
import { startPtyPair, stopAllPtyPairs } from '../support/pty.ts';
import { busSettings, killAllServices, ServiceProcess } from '../support/serviceProcess.ts';

const DOCKERFILE = readFileSync(join(REPO_ROOT, 'docs/deploy/Dockerfile'), 'utf8');
const DOCKERIGNORE = readFileSync(join(REPO_ROOT, 'docs/deploy/Dockerfile.dockerignore'), 'utf8');
// merge: the services share the `x-faregate` anchor through `<<:`.
const COMPOSE = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      volumes?: string[];
      entrypoint?: string[];
      command?: string[];
      healthcheck?: { disable?: boolean; test?: string[] };
      profiles?: string[];
    }
  >;
};
const PACKAGE = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  steps: Instruction[];
}

/** Instructions (continuation lines joined, comments dropped), grouped by FROM. */
function stages(text: string): Stage[] {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const out: Stage[] = [];
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      out.push({ from: f[1]!, name: f[2], steps: [] });
    } else out.at(-1)!.steps.push({ op, args });
  }
  return out;
}

const all = stages(DOCKERFILE);
const runtime = all.at(-1)!;
const build = all[0]!;
const ops = (s: Stage, op: string): string[] => s.steps.filter((i) => i.op === op).map((i) => i.args);
const execForm = (args: string): string[] => JSON.parse(args.replace(/^(--\S+\s+)*CMD\s+/, '')) as string[];

afterAll(async () => {
  await killAllServices();
  await stopAllPtyPairs();
});

describe('docs/deploy/Dockerfile', () => {
  it('builds on node:24-bookworm-slim in every stage, multi-stage', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const s of all) expect(s.from).toBe('node:24-bookworm-slim');
  });

  it('build stage runs npm ci and npm run build; runtime gets dist/ and production dependencies only', () => {
    const buildRuns = ops(build, 'RUN').join(' && ');
    expect(buildRuns).toMatch(/\bnpm ci\b/);
    expect(buildRuns).toMatch(/\bnpm run build\b/);
    expect(buildRuns).toMatch(/\bnpm prune --omit=dev\b/);
    expect(ops(runtime, 'RUN').join(' ')).not.toMatch(/\bnpm\b|tsx|tsc/);
    const copies = ops(runtime, 'COPY');
    for (const c of copies)
      expect(c, 'runtime copies only from the build stage').toMatch(new RegExp(`^--from=${build.name}\\s`));
    const sources = copies.flatMap((c) => c.split(/\s+/).slice(1, -1));
    expect(sources.sort()).toEqual(['/app/dist', '/app/node_modules', '/app/package-lock.json', '/app/package.json']);
  });

  it('runs as a non-root user', () => {
    const users = ops(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  it('starts the compiled bin named in package.json', () => {
    const entry = JSON.parse(ops(runtime, 'ENTRYPOINT').at(-1)!) as string[];
    expect(entry).toEqual(['node', PACKAGE.bin.faregate]);
  });

  it('copies no TEST-ONLY file, no config/dev and no key, and the build context excludes them', () => {
    for (const s of all)
      for (const c of [...ops(s, 'COPY'), ...ops(s, 'ADD')]) {
        expect(c).not.toMatch(/config\/dev|TEST-ONLY|\.jwk|secrets|passwd/i);
        expect(c, 'no COPY of the whole context').not.toMatch(/^\.\s|^\.\/?\s/);
      }
    const ignored = DOCKERIGNORE.split('\n').map((l) => l.trim());
    for (const p of ['config/dev', '**/*TEST-ONLY*', 'docs/deploy/secrets', 'node_modules', 'dist'])
      expect(ignored).toContain(p);
  });

  it('has a HEALTHCHECK that asks /healthz with node (no curl in slim images)', () => {
    const hc = ops(runtime, 'HEALTHCHECK');
    expect(hc).toHaveLength(1);
    const cmd = execForm(hc[0]!);
    expect(cmd[0]).toBe('node');
    expect(cmd.join(' ')).toContain('/healthz');
    expect(cmd.join(' ')).not.toMatch(/curl|wget/);
  });
});

describe('the HEALTHCHECK command against a real faregate run', () => {
  const cmd = execForm(ops(runtime, 'HEALTHCHECK')[0]!);
  const runCheck = (port: number) =>
    spawnSync(process.execPath, cmd.slice(1), {
      env: { ...process.env, FAREGATE_HEALTH__HTTP_PORT: String(port) },
      timeout: 15_000,
    }).status;

  it('exits 0 while the service is healthy and 1 once nothing answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-healthcheck-'));
    const scanner = await startPtyPair();
    const port = await freePort();
    // The same variable the image sets: an environment override of health.httpPort.
    const svc = ServiceProcess.start(dir, busSettings(scanner.a, join(dir, 'data')), {
      FAREGATE_HEALTH__HTTP_PORT: String(port),
    });
    await svc.waitForLine((l) => l.msg === 'health endpoint listening', 'health endpoint listening');
    expect(runCheck(port)).toBe(0);
    await svc.kill('SIGTERM');
    expect(runCheck(port)).toBe(1);
  }, 30_000);
});

describe('docker-compose.yml', () => {
  const s = COMPOSE.services;
  it('mounts the TEST-ONLY development files read-only into the demo services only', () => {
    const devMounts = Object.entries(s).flatMap(([name, svc]) =>
      (svc.volumes ?? []).filter((v) => v.includes('config/dev')).map((v) => [name, v] as const),
    );
    expect(new Set(devMounts.map(([name]) => name))).toEqual(new Set(['backend', 'validator', 'simulator']));
    for (const [, v] of devMounts) expect(v).toMatch(/:ro$/);
    // The validator gets the public lists (and the public backend key set), never a private key.
    for (const v of s.validator!.volumes!) expect(v).not.toMatch(/issuer|jwk/);
    // The backend gets only the TEST-ONLY ack signing key (signed acks), never the issuer key.
    const backendDev = devMounts.filter(([name]) => name === 'backend').map(([, v]) => v);
    expect(backendDev).toEqual([expect.stringMatching(/^\.\/config\/dev\/backend-ack-TEST-ONLY\.jwk\.json:/)]);
  });

  it('runs compiled JavaScript (tsx is a dev dependency, not in the image)', () => {
    expect(JSON.stringify(s)).not.toContain('tsx');
    expect(s.simulator!.entrypoint).toEqual(['node', 'dist/firmware-sim/main.js']);
  });

  it('checks health only where /healthz exists (the validator)', () => {
    for (const [name, svc] of Object.entries(s)) {
      if (name === 'mosquitto' || name === 'postgres' || svc.profiles?.includes('monitoring')) continue; // not faregate's image
      expect(svc.healthcheck?.disable, name).toBe(name !== 'validator');
    }
    // One command, the image's: Compose does not carry a second copy that could drift.
    expect(s.validator!.healthcheck?.test).toBeUndefined();
  });
});
