/** Shared by the rider tests: QR images back to text (jsQR over PNG pixels), and `faregate verify` on codes. */
import { PNG } from 'pngjs';
import jsQRModule from 'jsqr';
import { join } from 'node:path';
import { REPO_ROOT, jsonLines, runFaregate } from '../support/cli.ts';

// jsqr is CommonJS whose module.exports is the function; its types describe an ES default export.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;

export const DEV_TRUST = join(REPO_ROOT, 'config', 'dev', 'trust.json');
export const DEV_DENY = join(REPO_ROOT, 'config', 'dev', 'deny.json');

/** The text of the one QR code in a PNG image, or null when none decodes. */
export function decodePngQr(png: Buffer): string | null {
  const img = PNG.sync.read(png);
  const found = jsQR(
    new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length),
    img.width,
    img.height,
  );
  return found ? found.data : null;
}

/** Each code through the real `faregate verify` with the demo's trust and deny lists. */
export async function verifyCodes(codes: string[], mode: 'bus' | 'metro' = 'bus'): Promise<Record<string, unknown>[]> {
  const r = await runFaregate(['verify', '--trust', DEV_TRUST, '--deny', DEV_DENY, '--mode', mode], {
    input: codes.map((c) => c + '\n').join(''),
  });
  if (r.code !== 0) throw new Error(`faregate verify exited ${r.code}: ${r.stderr}`);
  return jsonLines(r.stdout);
}
