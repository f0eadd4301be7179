/**
 * The passenger display's one page: HTML, CSS and script in one document (no other request but
 * the live events and the sounds), so a kiosk browser on the gate shows it with nothing else
 * served. Every screen is drawn from the texts and icons embedded at load; the live events
 * (`outcome`, `mode`) say which screen, for how long, and the concession.
 *
 * The page keeps what it did in `window.faregateDisplay` (screens shown, sounds played, the
 * decision → paint latency of each outcome), which the browser tests and the latency bench read.
 */
import { ICONS } from './icons.ts';
import { SCREENS, TONE_OF, type OutcomeScreen, type Screen } from './screens.ts';
import type { DisplayTexts } from './texts.ts';

export interface PageModel {
  languages: string[];
  texts: Record<string, DisplayTexts>;
  /** The sounds of each outcome screen, in play order (tone, then the spoken prompts). */
  sounds: Partial<Record<OutcomeScreen, string[]>>;
}

/** Colour family of each screen (the icon and the words tell them apart too). */
const FAMILY: Readonly<Record<Screen, string>> = {
  idle: 'idle',
  ...(Object.fromEntries(SCREENS.filter((s) => s !== 'idle').map((s) => [s, TONE_OF[s]])) as Record<
    OutcomeScreen,
    string
  >),
  out_of_service: 'closed',
};

const CSS = `
*{box-sizing:border-box}
html,body{margin:0;height:100%;overflow:hidden}
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Noto Sans",system-ui,sans-serif;background:#000}
main{display:flex;align-items:center;gap:4vw;height:100vh;width:100vw;padding:5vh 5vw}
.icon{flex:0 0 auto;width:min(36vh,28vw);height:min(36vh,28vw)}
.icon svg{width:100%;height:100%;display:block}
.f-idle .icon{width:min(46vh,32vw);height:min(46vh,32vw)}
.words{flex:1 1 auto;min-width:0;display:flex;flex-direction:column;gap:2.2vh}
.words>*{margin:0;overflow-wrap:anywhere;line-height:1.15;text-wrap:balance}
.t0{font-size:min(12vh,7.4vw);font-weight:800}
.t1{font-size:min(8vh,5vw);font-weight:700}
.label{font-size:min(8vh,5vw);font-weight:800;align-self:flex-start;padding:.2em .5em;border:.12em solid currentColor;
  border-radius:.3em}
.label:empty{display:none}
.hint{font-size:min(5vh,3.3vw);font-weight:600}
.hint:empty{display:none}
.f-idle{background:#0b2545;color:#fff}
.f-go{background:#0a5c2a;color:#fff}
.f-free_pass{background:#0a5c2a;color:#fff;
  background-image:repeating-linear-gradient(135deg,transparent 0 4vw,rgba(255,255,255,.08) 4vw 8vw)}
.f-retry{background:#ffd23f;color:#111}
.f-refused{background:#9e0020;color:#fff}
.f-staff{background:#b3390a;color:#fff}
.f-closed{background:#262626;color:#fff}
`;

const SCRIPT = `
const cfg = JSON.parse(document.getElementById('display-config').textContent);
const rec = (window.faregateDisplay = {
  ready: false, connected: false, shown: [], planned: [], sounds: [], latencies: [],
});
const main = document.getElementById('screen');
const icon = main.querySelector('.icon');
const words = main.querySelector('.words');
const audio = document.getElementById('sound');
let mode = { freePass: false, outOfService: false };
let holding = null;
let queue = [];
let current = null;

function idleScreen() { return mode.outOfService ? 'out_of_service' : mode.freePass ? 'free_pass' : 'idle'; }

function fareText(lang, fare) {
  if (fare.amount === 0) return cfg.texts[lang].free;
  const f = new Intl.NumberFormat(lang, { style: 'currency', currency: fare.currency });
  return f.format(fare.amount / 10 ** f.resolvedOptions().maximumFractionDigits);
}

function label(lang, m) {
  const parts = [];
  if (m.profile) parts.push(cfg.texts[lang].profiles[m.profile] || m.profile);
  if (m.fare) parts.push(fareText(lang, m.fare));
  return parts.join(' · ');
}

function el(tag, cls, lang, text) {
  const e = document.createElement(tag);
  e.className = cls;
  e.lang = lang;
  e.textContent = text;
  return e;
}

function render(screen, m) {
  main.className = 'f-' + cfg.family[screen];
  main.dataset.screen = screen;
  icon.innerHTML = cfg.icons[screen];
  const out = [];
  cfg.languages.forEach((lang, i) => {
    const title = cfg.texts[lang].screens[screen].title;
    out.push(el(i === 0 ? 'h1' : 'p', 'title t' + Math.min(i, 1), lang, title));
  });
  if (m && (m.profile || m.fare)) {
    const l = document.createElement('p');
    l.className = 'label';
    l.dataset.role = 'concession';
    cfg.languages.forEach((lang, i) => {
      if (i) l.append(' / ');
      l.append(el('span', '', lang, label(lang, m)));
    });
    out.push(l);
  }
  cfg.languages.forEach((lang) => out.push(el('p', 'hint', lang, cfg.texts[lang].screens[screen].hint)));
  words.replaceChildren(...out);
  document.title = cfg.texts[cfg.languages[0]].screens[screen].title;
}

// Sounds are fetched and decoded once at load (Web Audio): playing one costs the page nothing
// while the next rider's screen is drawn. Until a sound is decoded, the audio element plays it.
const ctx = window.AudioContext ? new AudioContext() : null;
const buffers = new Map();
if (ctx) {
  const urls = new Set(Object.values(cfg.sounds).flat());
  for (const u of urls)
    fetch(u)
      .then((r) => r.arrayBuffer())
      .then((b) => ctx.decodeAudioData(b))
      .then((d) => buffers.set(u, d))
      .catch(() => {});
}
let node = null;

function stopSound() {
  queue = [];
  audio.pause();
  if (node) { node.onended = null; try { node.stop(); } catch {} node = null; }
}

function playNext() {
  const src = queue.shift();
  if (!src) { current = null; return; }
  const entry = { screen: current, src, at: Date.now() };
  rec.sounds.push(entry);
  const buf = buffers.get(src);
  if (ctx && buf) {
    if (ctx.state === 'suspended') void ctx.resume();
    node = ctx.createBufferSource();
    node.buffer = buf;
    node.connect(ctx.destination);
    node.onended = () => { node = null; entry.ended = true; playNext(); };
    node.start();
    return;
  }
  audio.src = src;
  audio.onended = () => { entry.ended = true; playNext(); };
  audio.play().catch((e) => { entry.error = String(e && e.name); playNext(); });
}

function sound(screen) {
  stopSound();
  queue = (cfg.sounds[screen] || []).slice();
  current = screen;
  rec.planned.push({ screen, srcs: queue.slice() });
  playNext();
}

function showIdle() {
  holding = null;
  render(idleScreen());
  rec.shown.push({ screen: idleScreen(), at: Date.now() });
}

function onOutcome(m) {
  const arrivedMs = performance.timeOrigin + performance.now() - m.at;
  clearTimeout(holding);
  render(m.screen, m);
  const entry = { screen: m.screen, at: m.at, shownAt: Date.now(), text: words.innerText, arrivedMs };
  rec.shown.push(entry);
  // Painted: after the next animation frame, once the frame's work is done; the sound starts then.
  requestAnimationFrame(() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      entry.latencyMs = performance.timeOrigin + performance.now() - m.at;
      rec.latencies.push(entry.latencyMs);
      sound(m.screen);
    };
    ch.port2.postMessage(0);
  });
  holding = setTimeout(showIdle, m.holdMs);
}

// Lay every screen out once at load (fonts, glyphs, number formats), so the first rider's screen
// costs what every later one does.
for (const s of Object.keys(cfg.icons)) {
  render(s, { profile: 'senior', fare: { amount: 0, currency: 'CNY' } });
  void words.offsetHeight;
}

const events = new EventSource('events');
events.addEventListener('open', () => { rec.connected = true; });
events.addEventListener('error', () => { rec.connected = false; });
events.addEventListener('outcome', (e) => onOutcome(JSON.parse(e.data)));
events.addEventListener('mode', (e) => {
  mode = JSON.parse(e.data);
  if (holding === null) showIdle();
  rec.ready = true;
});
showIdle();
`;

/** JSON inside a script element: `<` escaped so no text can close the element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}

export function renderPage(m: PageModel): string {
  const first = m.languages[0]!;
  const icons = Object.fromEntries(
    Object.entries(ICONS).map(([k, v]) => [
      k,
      `<svg viewBox="0 0 100 100" aria-hidden="true" focusable="false">${v}</svg>`,
    ]),
  );
  const cfg = { languages: m.languages, texts: m.texts, sounds: m.sounds, icons, family: FAMILY };
  const idle = m.texts[first]!.screens.idle.title;
  return `<!doctype html>
<html lang="${first}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${idle.replace(/[<&]/g, '')}</title>
<style>${CSS}</style>
</head>
<body>
<main id="screen" class="f-idle" data-screen="idle">
<div class="icon" aria-hidden="true"></div>
<div class="words" role="status" aria-live="assertive" aria-atomic="true"></div>
<audio id="sound" preload="auto"></audio>
</main>
<script type="application/json" id="display-config">${scriptJson(cfg)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
