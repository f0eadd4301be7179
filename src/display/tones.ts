/**
 * The display's tones, made as WAV in code (16-bit mono PCM, 22.05 kHz): one per tone family
 * (src/display/screens.ts TONE_OF), told apart by pitch and rhythm, not by loudness. A file of
 * the same name in the sounds folder (tone-<family>.wav) replaces the made one.
 */
import type { Tone } from './screens.ts';

const RATE = 22_050;

/** Notes as [frequency Hz (0 = rest), duration ms]. */
const NOTES: Readonly<Record<Tone, readonly (readonly [number, number])[]>> = {
  // Accept: a short rising pair, bright.
  go: [
    [988, 90],
    [0, 20],
    [1319, 140],
  ],
  // Free pass: three rising notes.
  free_pass: [
    [784, 110],
    [988, 110],
    [1175, 200],
  ],
  // Try again (refresh, scan again, renew): two even mid beeps.
  retry: [
    [660, 120],
    [0, 80],
    [660, 120],
  ],
  // Refused (invalid, not valid here): one long low falling tone.
  refused: [
    [440, 180],
    [330, 320],
  ],
  // See staff (blocked, anti-passback, out of service): three short low beeps.
  staff: [
    [349, 110],
    [0, 70],
    [349, 110],
    [0, 70],
    [349, 110],
  ],
};

/** One tone family as a WAV file. */
export function toneWav(tone: Tone): Buffer {
  const samples: number[] = [];
  for (const [freq, ms] of NOTES[tone]) {
    const n = Math.round((RATE * ms) / 1000);
    const ramp = Math.min(n / 2, Math.round(RATE * 0.008)); // 8 ms fade in and out: no clicks
    for (let i = 0; i < n; i++) {
      const env = Math.min(1, i / ramp, (n - 1 - i) / ramp);
      samples.push(freq === 0 ? 0 : Math.sin((2 * Math.PI * freq * i) / RATE) * env * 0.6);
    }
  }
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(Math.round(s * 32767), i * 2));
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(RATE, 24);
  h.writeUInt32LE(RATE * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}
