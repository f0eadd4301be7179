/**
 * Which screen each outcome brings (src/display/screens.ts, a pure rule): every reason of the
 * admission table lands on the screen of its message class, anti-passback and out of service on
 * their own, a free pass on its own whatever the decision, `ignore` on none; the concession and
 * the fare on an accept, the fare left out with showFare false; and the texts loader names the
 * file and field that is missing.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADMISSION_REASONS, REASON_TABLE } from '../../src/admission/reasons.ts';
import { shippedDisplayFolder } from '../../src/display/displayServer.ts';
import { screenOf, SCREENS } from '../../src/display/screens.ts';
import { loadDisplayTexts } from '../../src/display/texts.ts';

const S = { showFare: true, acceptHoldMs: 1500, rejectHoldMs: 4000 };
const at = 1_764_000_000_000;

describe('screenOf', () => {
  it('puts every refusal reason on the screen of its message class, held rejectHoldMs', () => {
    for (const reason of ADMISSION_REASONS) {
      const { message } = REASON_TABLE[reason];
      if (message === 'silent') continue;
      const m = screenOf({ decision: 'reject', reason, message, at }, S)!;
      const expected = reason === 'anti_passback' || reason === 'out_of_service' ? reason : message;
      expect(m, reason).toEqual({ screen: expected, holdMs: 4000, at });
    }
  });

  it('shows nothing new on an ignore', () => {
    expect(screenOf({ decision: 'ignore', reason: 'duplicate', message: 'silent', at }, S)).toBeUndefined();
  });

  it('shows free pass whatever the decision while the gate is in free pass', () => {
    expect(screenOf({ decision: 'reject', reason: 'denied', message: 'see_staff', at, freePass: true }, S)).toEqual({
      screen: 'free_pass',
      holdMs: 1500,
      at,
    });
  });

  it('names a concession and its fare on an accept, and leaves the fare out with showFare false', () => {
    const senior = { decision: 'accept', message: 'go', at, tap: { profile: 3, fare: 0, currency: 'CNY' } } as const;
    expect(screenOf(senior, S)).toEqual({
      screen: 'go',
      holdMs: 1500,
      at,
      profile: 'senior',
      fare: { amount: 0, currency: 'CNY' },
    });
    expect(screenOf(senior, { ...S, showFare: false })).toEqual({ screen: 'go', holdMs: 1500, at, profile: 'senior' });
    const adult = { decision: 'accept', message: 'go', at, tap: { profile: 0, fare: 200, currency: 'CNY' } } as const;
    expect(screenOf(adult, S)).toEqual({ screen: 'go', holdMs: 1500, at, fare: { amount: 200, currency: 'CNY' } });
    const metroIn = { decision: 'accept', message: 'go', at, tap: { profile: 0, currency: 'CNY' } } as const;
    expect(screenOf(metroIn, S)).toEqual({ screen: 'go', holdMs: 1500, at });
  });
});

describe('display texts', () => {
  it('ships every screen and profile in zh-CN and en', () => {
    const { texts, problems } = loadDisplayTexts(shippedDisplayFolder(), ['zh-CN', 'en']);
    expect(problems).toEqual([]);
    for (const lang of ['zh-CN', 'en']) for (const s of SCREENS) expect(texts[lang]!.screens[s].title).not.toBe('');
    expect(texts['zh-CN']!.profiles.senior).toBe('老年');
  });

  it('names the file and the field an operator left out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-texts-'));
    const en = JSON.parse(readFileSync(join(shippedDisplayFolder(), 'texts.en.json'), 'utf8'));
    delete en.screens.see_staff;
    writeFileSync(join(dir, 'texts.en.json'), JSON.stringify(en));
    writeFileSync(join(dir, 'texts.de.json'), '{ not json');
    const { problems } = loadDisplayTexts(dir, ['en', 'de', 'fr']);
    expect(problems).toEqual([
      `display texts ${join(dir, 'texts.en.json')}: screens.see_staff: ` +
        'Invalid input: expected object, received undefined',
      expect.stringMatching(/^display texts .*texts\.de\.json: not JSON/),
      `display.language: fr has no texts file (${join(dir, 'texts.fr.json')})`,
    ]);
  });
});
