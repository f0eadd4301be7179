/**
 * The rider page itself (served by riderPage.ts): plain HTML, CSS and a script, nothing from
 * elsewhere. The script holds the rider's private key (a TEST-ONLY JWK from the demo server) as
 * a non-extractable WebCrypto key and makes each ride code as a phone does (qr-token-v1 §3): the
 * level-2 payload `{1: credential, 2: ts, 3: seq}` in CBOR, the COSE Sig_structure
 * `["Signature1", protected, h'', payload]`, signed with Ed25519 or ECDSA P-256 (WebCrypto gives
 * ECDSA as the 64-byte r||s the spec wants), tag 18, base45, `FG1:`. The QR code is drawn by the
 * `qrcode` package at error-correction level M.
 */

export const RIDER_QR_ERROR_CORRECTION = 'M';

export function riderPageHtml(o: { refreshSec: number }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>faregate demo wallet (TEST-ONLY)</title>
<style>
  :root { color-scheme: light; }
  body { margin: 0; font: 20px/1.4 system-ui, sans-serif; background: #fff; color: #111; }
  main { max-width: 560px; margin: 0 auto; padding: 16px; }
  .testonly { border: 4px solid #111; background: #ffe14d; padding: 10px 14px; font-weight: 700; font-size: 22px; }
  .testonly small { display: block; font-weight: 400; font-size: 17px; }
  h1 { font-size: 28px; margin: 14px 0 8px; }
  label { display: block; font-weight: 700; margin-top: 10px; }
  select { font-size: 22px; width: 100%; padding: 8px; border: 2px solid #111; border-radius: 6px; background: #fff; }
  #qrbox { margin: 16px auto; background: #fff; text-align: center; }
  #qr { box-sizing: border-box; width: 100%; max-width: 480px; height: auto; image-rendering: pixelated; border: 2px solid #111; }
  #status { font-size: 22px; font-weight: 700; }
  #signer, #about { font-size: 18px; }
  .problem { border: 3px solid #b00020; padding: 8px; color: #b00020; font-weight: 700; }
  .problem::before { content: "⚠ "; }
</style>
</head>
<body>
<main>
  <p class="testonly" role="note">⚠ TEST-ONLY demo wallet: not a real ticket
    <small>The keys on this page are public test keys of the faregate demo. Only the demo's validators accept these codes.</small></p>
  <h1>Your ride code</h1>
  <label for="rider">Rider</label>
  <select id="rider"></select>
  <label for="profile">Fare profile</label>
  <select id="profile"></select>
  <div id="qrbox"><canvas id="qr" role="img" aria-label="QR code of your ride code"></canvas></div>
  <p id="status" aria-live="polite">Starting…</p>
  <p id="signer"></p>
  <p id="about"></p>
  <p id="problem" class="problem" hidden></p>
</main>
<script src="/qrcode.js"></script>
<script>
"use strict";
const REFRESH_S = ${JSON.stringify(o.refreshSec)};
const EC_LEVEL = ${JSON.stringify(RIDER_QR_ERROR_CORRECTION)};
const $ = (id) => document.getElementById(id);

// --- CBOR (RFC 8949), only what a level-2 code needs: definite lengths, shortest heads.
function head(major, n) {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >> 8, n & 255];
  if (n < 0x100000000) return [m | 26, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  throw new Error("integer too large");
}
const uint = (n) => head(0, n);
const nint = (n) => head(1, -1 - n);
const bstr = (b) => [...head(2, b.length), ...b];
const tstr = (s) => bstr(new TextEncoder().encode(s)).map((x, i) => (i === 0 ? x + 0x20 : x));

// --- Base45 (RFC 9285).
const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
function base45(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 2) {
    if (i + 1 < bytes.length) {
      let n = bytes[i] * 256 + bytes[i + 1];
      const c = n % 45; n = (n - c) / 45;
      const d = n % 45; const e = (n - d) / 45;
      out += B45[c] + B45[d] + B45[e];
    } else {
      const n = bytes[i];
      out += B45[n % 45] + B45[Math.floor(n / 45)];
    }
  }
  return out;
}
const fromB64url = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

// --- The wallet.
const ALG = { EdDSA: -8, ES256: -7 };
const SIGN = { EdDSA: { name: "Ed25519" }, ES256: { name: "ECDSA", hash: "SHA-256" } };
const IMPORT = { EdDSA: { name: "Ed25519" }, ES256: { name: "ECDSA", namedCurve: "P-256" } };
let wallet = null; // { rider, profile, alg, key (CryptoKey) | null, credential, why }
let seq = 1 + Math.floor(Math.random() * 1e6);
let timer = null;

async function importKey(alg, jwk) {
  if (!globalThis.crypto || !crypto.subtle) return { key: null, why: "this page is not a secure context (no WebCrypto)" };
  try {
    return { key: await crypto.subtle.importKey("jwk", jwk, IMPORT[alg], false, ["sign"]), why: "" };
  } catch (e) {
    return { key: null, why: "this browser's WebCrypto has no " + IMPORT[alg].name + " (" + e.name + ")" };
  }
}

async function makeCode(w) {
  const ts = Math.floor(Date.now() / 1000);
  const n = seq++;
  const protectedHdr = [0xa1, 0x01, ...nint(ALG[w.alg])];
  const payload = [0xa3, 0x01, ...bstr(w.credential), 0x02, ...uint(ts), 0x03, ...uint(n)];
  const toSign = new Uint8Array([0x84, ...tstr("Signature1"), ...bstr(protectedHdr), ...bstr([]), ...bstr(payload)]);
  const sig = new Uint8Array(await crypto.subtle.sign(SIGN[w.alg], w.key, toSign));
  const cose = [0xd2, 0x84, ...bstr(protectedHdr), 0xa0, ...bstr(payload), ...bstr(sig)];
  return { text: "FG1:" + base45(cose), seq: n };
}

async function serverCode(w) {
  const r = await fetch("/api/code", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ rider: w.rider, profile: w.profile }) });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error);
  return { text: body.code, seq: body.seq };
}

async function show() {
  const w = wallet;
  if (!w) return;
  try {
    const c = w.key ? await makeCode(w) : await serverCode(w);
    if (w !== wallet) return;
    const canvas = $("qr");
    await QRCode.toCanvas(canvas, c.text, { errorCorrectionLevel: EC_LEVEL, margin: 4, scale: 6,
      color: { dark: "#000000", light: "#ffffff" } });
    // qrcode sets the canvas's CSS size to its pixel size; let the page's CSS fit it to the screen.
    canvas.style.width = "";
    canvas.style.height = "";
    const qr = QRCode.create(c.text, { errorCorrectionLevel: EC_LEVEL });
    canvas.dataset.rider = w.rider;
    canvas.dataset.profile = w.profile;
    canvas.dataset.seq = String(c.seq);
    canvas.dataset.signer = w.key ? "browser" : "server";
    canvas.dataset.length = String(c.text.length);
    canvas.dataset.version = String(qr.version);
    const made = new Date().toLocaleTimeString();
    $("status").textContent = "Code " + c.seq + ", made " + made + "; a new one every " + REFRESH_S + " s";
    $("about").textContent = c.text.length + " characters; QR version " + qr.version + ", error correction " + EC_LEVEL;
    $("problem").hidden = true;
  } catch (e) {
    $("problem").textContent = "No code: " + e.message;
    $("problem").hidden = false;
  }
}

let generation = 0;
async function choose() {
  const rider = $("rider").value, profile = $("profile").value;
  const mine = ++generation;
  clearInterval(timer);
  wallet = null;
  $("status").textContent = "Getting the credential…";
  const r = await fetch("/api/wallet?rider=" + encodeURIComponent(rider) + "&profile=" + encodeURIComponent(profile));
  const body = await r.json();
  if (!r.ok) { $("problem").textContent = body.error; $("problem").hidden = false; return; }
  const { key, why } = await importKey(body.alg, body.privateJwk);
  if (mine !== generation) return; // another rider or profile was chosen meanwhile
  wallet = { rider, profile, alg: body.alg, key, credential: Array.from(fromB64url(body.credential)) };
  const algText = body.alg === "EdDSA" ? "Ed25519" : "ECDSA P-256";
  $("signer").textContent = key
    ? "✓ Signed in this browser with WebCrypto (" + algText + "), the way a phone does."
    : "Signed by the demo server (" + algText + "): " + why + ".";
  await show();
  timer = setInterval(show, REFRESH_S * 1000);
}

(async () => {
  const r = await fetch("/api/riders");
  const { riders, profiles } = await r.json();
  for (const x of riders) $("rider").add(new Option(x.name + " (" + (x.alg === "EdDSA" ? "Ed25519" : "P-256") + ")", x.id));
  for (const p of profiles) $("profile").add(new Option(p, p));
  $("rider").addEventListener("change", choose);
  $("profile").addEventListener("change", choose);
  await choose();
})();
</script>
</body>
</html>
`;
}
