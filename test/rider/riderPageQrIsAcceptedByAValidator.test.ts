/**
 * The demo's rider page in a real browser (Debian's Chromium): for a rider of each key algorithm
 * the page signs the code itself with WebCrypto, draws it as a QR code, and the QR read back from
 * a screenshot (jsQR) is a code the real `faregate verify` accepts with the demo's trust list,
 * with the profile chosen on the page. The next code, made a refresh later, is another code, also
 * accepted: another code, not the same one again. A page with no WebCrypto falls back to the server and says so.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIssuerKey } from '../../firmware-sim/population.ts';
import { RiderPage } from '../../firmware-sim/riderPage.ts';
import { DEV_ISSUER_PATH } from '../../firmware-sim/simulator.ts';
import { axeViolations } from '../support/axe.ts';
import { CHROMIUM_MISSING, launchChromium } from '../support/browser.ts';
import { decodePngQr, verifyCodes } from './riderSupport.ts';

const missing = CHROMIUM_MISSING ?? null;
if (missing) console.warn(`riderPageQrIsAcceptedByAValidator: ${missing}`);

interface Shown {
  text: string;
  seq: string;
  signer: string;
}

/** The code on the page once it is `rider`'s (and another than `afterSeq`), read from a screenshot. */
async function qrOf(page: Page, want: { rider?: string; profile?: string; afterSeq?: string } = {}): Promise<Shown> {
  // Polled through locators: the page's CSP forbids eval, so no string predicates.
  const canvas = page.locator('#qr');
  const attrs = async () => ({
    seq: await canvas.getAttribute('data-seq'),
    rider: await canvas.getAttribute('data-rider'),
    profile: await canvas.getAttribute('data-profile'),
    signer: await canvas.getAttribute('data-signer'),
  });
  for (;;) {
    await expect
      .poll(attrs, { timeout: 15_000 })
      .toSatisfy(
        (a: Awaited<ReturnType<typeof attrs>>) =>
          a.seq !== null &&
          a.seq !== want.afterSeq &&
          (want.rider === undefined || a.rider === want.rider) &&
          (want.profile === undefined || a.profile === want.profile),
      );
    const before = await attrs();
    const text = decodePngQr(await canvas.screenshot());
    // A refresh between reading the attributes and the screenshot: read again.
    if ((await attrs()).seq !== before.seq) continue;
    if (text === null) throw new Error('no QR code found in the screenshot of the page');
    return { text, seq: before.seq!, signer: before.signer! };
  }
}

describe.skipIf(missing !== null)('the rider page in Chromium', () => {
  let browser: Browser;
  let riderPage: RiderPage;
  let url: string;

  beforeAll(async () => {
    riderPage = new RiderPage({ issuer: loadIssuerKey(DEV_ISSUER_PATH), refreshSec: 2 });
    url = await riderPage.start();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await riderPage?.stop();
  });

  for (const [rider, alg, profile, number] of [
    ['li-na', 'Ed25519', 'senior', 3],
    ['wang-wei', 'ECDSA P-256', 'student', 2],
  ] as const) {
    it(`shows ${rider}'s ${alg} code, signed in the page, that a validator accepts as ${profile}`, async () => {
      const page = await browser.newPage({ viewport: { width: 400, height: 860 } });
      await page.goto(url);
      await expect.poll(() => page.locator('.testonly').textContent()).toContain('TEST-ONLY');
      await qrOf(page);
      await page.selectOption('#rider', rider);
      await page.selectOption('#profile', profile);
      await expect.poll(() => page.locator('#signer').textContent()).toContain(alg);
      const first = await qrOf(page, { rider, profile });
      expect(first.signer).toBe('browser');
      expect(await page.locator('#signer').textContent()).toContain('Signed in this browser with WebCrypto');
      const second = await qrOf(page, { rider, profile, afterSeq: first.seq });
      expect(second.text).not.toBe(first.text);
      // Each through its own validator: both are good codes, and two codes, not one code twice.
      const [a] = await verifyCodes([first.text], 'metro');
      const [b] = await verifyCodes([second.text], 'metro');
      expect([a!.decision, a!.profile, b!.decision, b!.profile]).toEqual(['accept', number, 'accept', number]);
      expect(a!.codeId).not.toBe(b!.codeId);
      if (process.env.SCREENSHOTS_DIR)
        await page.screenshot({ path: `${process.env.SCREENSHOTS_DIR}/rider-${rider}.png`, fullPage: true });
      await page.close();
    });
  }

  it('passes the axe-core WCAG 2.1 A/AA checks, on a phone-sized screen', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    await page.goto(url);
    await qrOf(page);
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });

  it('signs on the demo server, and says so, where the page has no WebCrypto', async () => {
    const page = await browser.newPage({ viewport: { width: 400, height: 860 } });
    page.on('pageerror', (e) => console.warn(`page error: ${e.message}`));
    await page.addInitScript("Object.defineProperty(Crypto.prototype, 'subtle', { get: () => undefined })");
    await page.goto(url);
    const code = await qrOf(page);
    expect(code.signer).toBe('server');
    expect(await page.locator('#signer').textContent()).toMatch(/Signed by the demo server .*no WebCrypto/);
    const [decision] = await verifyCodes([code.text]);
    expect(decision).toMatchObject({ decision: 'accept' });
    await page.close();
  });
});
