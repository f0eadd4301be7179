/**
 * The display server over plain HTTP (no browser): the page, the event stream starting with the
 * gate's modes, then each outcome as it is shown; 404 for anything else, 405 for a write, and
 * it stops with a page still connected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleOutcome, startDisplay, type DisplayFixture } from './displayFixture.ts';

describe('display server routes', () => {
  let fx: DisplayFixture;
  beforeAll(async () => {
    fx = await startDisplay({ sounds: 'tone' });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('serves the page in the first language, listening on loopback', async () => {
    expect(fx.display.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await fetch(fx.display.url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await r.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('请在此出示乘车码');
    // sounds: tone: no spoken prompt is planned.
    expect(html).not.toContain('.zh-CN.wav');
  });

  it('streams the modes on connect, then each outcome; an ignore sends nothing', async () => {
    const ctl = new AbortController();
    const r = await fetch(new URL('events', fx.display.url), { signal: ctl.signal });
    expect(r.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = r.body!.getReader();
    const dec = new TextDecoder();
    let got = '';
    const until = async (s: string) => {
      while (!got.includes(s)) got += dec.decode((await reader.read()).value);
    };
    await until('event: mode\ndata: {"freePass":false,"outOfService":false}\n\n');
    fx.display.show({ decision: 'ignore', reason: 'duplicate', message: 'silent', at: 1 });
    fx.display.show(sampleOutcome('not_valid_here', 1234));
    await until('event: outcome\n');
    await until('\n\n');
    const data = got.slice(got.indexOf('event: outcome\n')).split('\n')[1]!;
    expect(JSON.parse(data.slice('data: '.length))).toEqual({ screen: 'not_valid_here', holdMs: 4000, at: 1234 });
    expect(got.match(/event: outcome/g)).toHaveLength(1);
    ctl.abort();
  });

  it('answers 404 to any other path and 405 to a write', async () => {
    expect((await fetch(new URL('admin', fx.display.url))).status).toBe(404);
    expect((await fetch(new URL('sounds/nothing.wav', fx.display.url))).status).toBe(404);
    expect((await fetch(fx.display.url, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('stops with a page still connected', async () => {
    const other = await startDisplay();
    const ctl = new AbortController();
    await fetch(new URL('events', other.display.url), { signal: ctl.signal });
    await other.stop();
    expect(other.display.clientCount).toBe(0);
    ctl.abort();
  });
});
