/**
 * Who may open `faregate dashboard` (the real process, over a real Mosquitto): it refuses to
 * listen beyond loopback without `--token`, and a short token; on loopback without a token it
 * answers only requests naming its loopback address (a rebound DNS name gets 403); with a token
 * every request needs it (Bearer header, or the cookie set by `/?token=`); without
 * `--operator-key` it sends no command. No broker: exit 1.
 */
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFaregate } from '../support/cli.ts';
import { freePort, startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { startDashboard, tempDir, type DashboardProcess } from './dashboardHarness.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string) {
  const u = new URL(url);
  return new Promise<Answer>((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const TOKEN = 'k3Jx9-test-token-0123456789';

describe('dashboard access', () => {
  let broker: Mosquitto;
  const dir = tempDir();
  const tokenFile = join(dir, 'token');
  const running: DashboardProcess[] = [];
  beforeAll(async () => {
    broker = await startMosquitto();
    writeFileSync(tokenFile, `${TOKEN}\n`);
  });
  afterAll(async () => {
    await Promise.all(running.map((d) => d.stop()));
    await broker?.stop();
  });

  it('refuses a non-loopback address without --token, and a short token', async () => {
    const open = await runFaregate(['dashboard', '--mqtt', broker.url, '--host', '0.0.0.0']);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain(
      '--host: is not a loopback address: a dashboard reachable from elsewhere needs --token FILE',
    );
    const short = join(dir, 'short');
    writeFileSync(short, 'abc');
    const weak = await runFaregate(['dashboard', '--mqtt', broker.url, '--token', short]);
    expect(weak.code).toBe(2);
    expect(weak.stderr).toContain('the token must be 16 or more characters');
  });

  it('exits 1 when there is no broker', async () => {
    const r = await runFaregate(['dashboard', '--mqtt', `mqtt://127.0.0.1:${await freePort()}`, '--http', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^faregate dashboard: /);
  });

  it('on loopback without a token: answers its own address only, and is read-only', async () => {
    const d = await startDashboard(['--mqtt', broker.url, '--http', '0']);
    running.push(d);
    expect(d.stdout()).toContain('(read-only)');
    const port = new URL(d.url).port;
    expect((await get(d.url, '/')).status).toBe(200);
    const fleet = await get(d.url, '/api/fleet');
    expect(JSON.parse(fleet.body)).toMatchObject({ commands: false, snapshot: { gates: [] } });
    expect((await get(d.url, '/', { host: `localhost:${port}` })).status).toBe(200);
    expect((await get(d.url, '/', { host: `rebound.example:${port}` })).status).toBe(403);
    const cmd = await get(
      d.url,
      '/api/commands/prepare',
      { 'content-type': 'application/json', 'x-faregate-dashboard': '1' },
      'POST',
      JSON.stringify({ device: 'gate-1', cmd: 'status', args: {} }),
    );
    expect(cmd.status).toBe(403);
    expect(cmd.body).toContain('read-only dashboard');
  });

  it('with --token: every request needs the token, as a Bearer header or the cookie /?token= sets', async () => {
    const d = await startDashboard(['--mqtt', broker.url, '--http', '0', '--token', tokenFile]);
    running.push(d);
    expect((await get(d.url, '/')).status).toBe(401);
    expect((await get(d.url, '/api/fleet', { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
    expect((await get(d.url, '/api/fleet', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await get(d.url, '/?token=not-the-token')).status).toBe(401);
    const login = await get(d.url, `/?token=${TOKEN}`);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/');
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
    const page = await get(d.url, '/', { cookie: cookie.split(';')[0]! });
    expect(page.status).toBe(200);
    expect(page.body).toContain('faregate fleet dashboard');
  });
});
