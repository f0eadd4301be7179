/**
 * The dashboard page (served by dashboardServer.ts): plain HTML, CSS and a script that polls
 * `/api/fleet` every 2 s and redraws. Nothing is loaded from elsewhere; the charts are SVG built
 * in the page. Every state is written in words and marked with a symbol as well as a colour
 * (ONLINE ●, OFFLINE ✕, alarms ⚠), the text is large and high-contrast. Values from the broker
 * are put in the page as text nodes only (never as HTML).
 */

export function dashboardPageHtml(o: { commands: boolean }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>faregate fleet dashboard</title>
<style>
  body { margin: 0; font: 18px/1.4 system-ui, sans-serif; background: #fff; color: #111; }
  header { background: #111; color: #fff; padding: 10px 16px; display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: baseline; }
  header h1 { font-size: 24px; margin: 0; }
  .badge { border: 2px solid #fff; padding: 2px 8px; font-weight: 700; }
  main { padding: 12px 16px; }
  fieldset { border: 2px solid #111; margin: 0 0 12px; display: flex; flex-wrap: wrap; gap: 8px 20px; align-items: center; }
  legend { font-weight: 700; }
  input, select, button { font-size: 18px; }
  input[type=search], select { border: 2px solid #111; padding: 4px 6px; }
  button { border: 2px solid #111; background: #fff; padding: 4px 12px; font-weight: 700; cursor: pointer; }
  button.danger { background: #111; color: #fff; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border: 1px solid #555; padding: 6px 8px; text-align: left; vertical-align: top; }
  th { background: #e6e6e6; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.attention td { background: #fff4d6; }
  tr.attention td:first-child { border-left: 8px solid #111; font-weight: 700; }
  .online { color: #0a5d1a; font-weight: 700; }
  .offline { color: #b00020; font-weight: 700; }
  .alarm { background: #ffe14d; color: #111; font-weight: 700; border: 2px solid #111; padding: 0 4px; display: inline-block; margin: 1px 0; }
  .muted { color: #444; }
  #charts { display: flex; flex-wrap: wrap; gap: 12px; }
  figure { margin: 0; border: 1px solid #555; padding: 6px; }
  figcaption { font-weight: 700; }
  svg text { font: 13px system-ui, sans-serif; fill: #111; }
  #confirm { border: 4px solid #111; padding: 10px; background: #ffe14d; margin-top: 8px; }
  #cmdresult { font-weight: 700; }
  h2 { font-size: 22px; margin: 18px 0 8px; }
</style>
</head>
<body>
<header>
  <h1>faregate fleet dashboard</h1>
  <span class="badge" id="mode">${o.commands ? '⚙ COMMANDS ENABLED (operator key)' : 'READ-ONLY: no commands'}</span>
  <span id="summary" aria-live="polite">connecting…</span>
  <span id="updated" class="muted" style="color:#ddd"></span>
</header>
<main>
  <fieldset>
    <legend>Filters</legend>
    <label>Gate or place <input type="search" id="q" placeholder="e.g. station-A"></label>
    <label>Place <select id="place"><option value="">all places</option></select></label>
    <label><input type="checkbox" id="attention"> needs attention only</label>
    <label><input type="checkbox" id="offline"> offline only</label>
  </fieldset>
  <table>
    <caption class="muted" style="text-align:left">Rows marked ⚠ need an operator's look (offline, alarms, stale lists, scanner down, refused acks).</caption>
    <thead><tr>
      <th scope="col">Gate</th><th scope="col">State</th><th scope="col">Where</th><th scope="col">Scanner</th>
      <th scope="col">Backlog</th><th scope="col">Oldest unsettled</th><th scope="col">Lists</th>
      <th scope="col">Clock offset</th><th scope="col">Alarms</th><th scope="col">Decisions / min</th>
    </tr></thead>
    <tbody id="gates"></tbody>
  </table>
  <h2>Decisions per minute</h2>
  <p class="muted">Solid line: all decisions; dashed line: rejects. Sampled every few seconds from the gates' metrics.</p>
  <div id="charts"></div>
  ${
    o.commands
      ? `<h2>Send a signed command</h2>
  <fieldset>
    <legend>Command</legend>
    <label>Gate <select id="cmdgate"></select></label>
    <label>Command <select id="cmdname">
      <option value="out_of_service">out_of_service</option><option value="free_pass">free_pass</option>
      <option value="status">status</option><option value="reload_config">reload_config</option>
    </select></label>
    <label>Switch <select id="cmdon"><option value="true">on</option><option value="false">off</option></select></label>
    <button id="prepare" type="button">Prepare…</button>
  </fieldset>
  <div id="confirm" hidden role="alertdialog" aria-labelledby="confirmtext">
    <p id="confirmtext"></p>
    <button id="send" type="button" class="danger">Yes, send it</button> <button id="cancel" type="button">Cancel</button>
  </div>
  <p id="cmdresult" aria-live="polite"></p>`
      : ''
  }
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}
const age = (s) => s === null || s === undefined ? "–" : s < 90 ? s + " s" : s < 5400 ? Math.round(s / 60) + " min" : (s / 3600).toFixed(1) + " h";
const perMin = (r) => r ? (r.accept + r.reject + r.ignore).toFixed(1) + " (" + r.reject.toFixed(1) + " rejects)" : "–";

function listsText(g) {
  const l = g.lists;
  const parts = [];
  if (l && typeof l === "object") {
    for (const [k, v] of Object.entries(l)) {
      if (v && typeof v === "object" && typeof v.version === "number") {
        let t = k + " v" + v.version;
        if (typeof v.ageSec === "number") t += ", " + age(v.ageSec) + " old";
        if (v.stale === true) t += " STALE";
        parts.push(t);
      }
    }
    if (parts.length === 0 && typeof l.trustKeys === "number") parts.push("trust keys " + l.trustKeys + " · deny entries " + (l.denyEntries ?? 0));
  }
  if (g.listsStale && !parts.some((p) => p.includes("STALE"))) parts.push("⚠ STALE");
  return parts.join("; ") || "–";
}

function stateCell(g) {
  if (g.online === true) return el("td", { class: "online" }, "● ONLINE");
  if (g.online === false) return el("td", { class: "offline" }, "✕ OFFLINE");
  return el("td", {}, "? unknown");
}

function row(g) {
  const tr = el("tr", { "data-gate": g.deviceId, "data-online": String(g.online), class: g.attention ? "attention" : "" });
  tr.append(el("th", { scope: "row" }, (g.attention ? "⚠ " : "") + g.deviceId));
  tr.append(stateCell(g));
  tr.append(el("td", {}, [g.mode, g.place, g.direction].filter(Boolean).join(" · ") || "–"));
  tr.append(el("td", {}, g.scanner === "down" ? "⚠ DOWN" : (g.scanner ?? "–")));
  tr.append(el("td", { class: "num" }, g.backlog.unsettled ?? "–", g.backlog.rejected ? el("div", { class: "alarm" }, "⚠ " + g.backlog.rejected + " rejected") : null));
  tr.append(el("td", { class: "num" }, age(g.backlog.oldestUnsettledAgeSec)));
  tr.append(el("td", {}, listsText(g)));
  tr.append(el("td", { class: "num" }, g.clockOffsetMs === null ? "–" : (g.clockOffsetMs > 0 ? "+" : "") + g.clockOffsetMs + " ms"));
  const alarms = el("td", { class: "alarms" });
  for (const a of g.alarms) alarms.append(el("span", { class: "alarm" }, "⚠ " + a), " ");
  if (g.ackRefused) alarms.append(el("span", { class: "alarm" }, "⚠ " + g.ackRefused + " acks refused"));
  if (!alarms.childNodes.length) alarms.append("none");
  tr.append(alarms);
  tr.append(el("td", { class: "num" }, perMin(g.decisionsPerMinute)));
  return tr;
}

function chart(title, points, key) {
  const W = 320, H = 130, L = 36, B = 20, T = 8;
  const fig = el("figure", { "data-chart": key, "data-points": String(points.length) });
  fig.append(el("figcaption", {}, title));
  const s = svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img",
    "aria-label": title + ": " + (points.length ? "latest " + perMin(points[points.length - 1]) + " per minute" : "no data yet") });
  const total = points.map((p) => p.accept + p.reject + p.ignore);
  const max = Math.max(1, ...total);
  const t0 = points.length ? points[0].at : 0, t1 = points.length ? points[points.length - 1].at : 1;
  const x = (t) => L + (t1 === t0 ? (W - L - 4) : ((t - t0) / (t1 - t0)) * (W - L - 4));
  const y = (v) => T + (1 - v / max) * (H - T - B);
  s.append(svg("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#111" }));
  s.append(svg("line", { x1: L, y1: H - B, x2: W - 4, y2: H - B, stroke: "#111" }));
  const top = svg("text", { x: 2, y: T + 10 }); top.textContent = String(Math.round(max)); s.append(top);
  const zero = svg("text", { x: 2, y: H - B }); zero.textContent = "0"; s.append(zero);
  const span = svg("text", { x: L, y: H - 4 });
  span.textContent = points.length > 1 ? "last " + age(Math.round((t1 - t0) / 1000)) : points.length ? "one sample" : "no data yet";
  s.append(span);
  if (points.length) {
    const line = (vals, dash) => svg("polyline", { fill: "none", stroke: "#111", "stroke-width": 2.5,
      "stroke-dasharray": dash, points: points.map((p, i) => x(p.at).toFixed(1) + "," + y(vals[i]).toFixed(1)).join(" ") });
    s.append(line(total, ""));
    s.append(line(points.map((p) => p.reject), "6 4"));
    for (let i = 0; i < points.length; i++) s.append(svg("circle", { cx: x(points[i].at), cy: y(total[i]), r: 2.5, fill: "#111" }));
  }
  fig.append(s);
  return fig;
}

let last = null;
function draw() {
  if (!last) return;
  const { snapshot, history } = last;
  const q = $("q").value.trim().toLowerCase(), place = $("place").value;
  const onlyAttention = $("attention").checked, onlyOffline = $("offline").checked;
  const places = [...new Set(snapshot.gates.map((g) => g.place).filter(Boolean))].sort();
  const sel = $("place");
  const have = [...sel.options].map((o) => o.value).slice(1);
  if (have.join() !== places.join()) {
    const keep = sel.value;
    sel.replaceChildren(el("option", { value: "" }, "all places"), ...places.map((p) => el("option", { value: p }, p)));
    sel.value = places.includes(keep) ? keep : "";
  }
  const shown = snapshot.gates.filter((g) =>
    (!q || g.deviceId.toLowerCase().includes(q) || (g.place ?? "").toLowerCase().includes(q)) &&
    (!place || g.place === place) && (!onlyAttention || g.attention) && (!onlyOffline || g.online === false));
  $("gates").replaceChildren(...shown.map(row));
  if (!shown.length) $("gates").append(el("tr", {}, el("td", { colspan: 10 }, snapshot.gates.length ? "No gate matches the filters." : "No gate has reported yet.")));
  const online = snapshot.gates.filter((g) => g.online === true).length;
  const offline = snapshot.gates.filter((g) => g.online === false).length;
  const att = snapshot.gates.filter((g) => g.attention).length;
  $("summary").textContent = snapshot.gates.length + " gates: " + online + " online, " + offline + " offline, " + att + " need attention";
  $("updated").textContent = "updated " + new Date(snapshot.at).toLocaleTimeString();
  const charts = [];
  for (const [p, pts] of Object.entries(history.places).sort()) if (!place || p === place) charts.push(chart("Place " + p, pts, "place:" + p));
  for (const g of shown) charts.push(chart("Gate " + g.deviceId, history.gates[g.deviceId] || [], "gate:" + g.deviceId));
  $("charts").replaceChildren(...charts);
  const cg = $("cmdgate");
  if (cg) {
    const ids = snapshot.gates.map((g) => g.deviceId);
    if ([...cg.options].map((o) => o.value).join() !== ids.join()) {
      const keep = cg.value;
      cg.replaceChildren(...ids.map((id) => el("option", { value: id }, id)));
      if (ids.includes(keep)) cg.value = keep;
    }
  }
}

async function poll() {
  try {
    const r = await fetch("/api/fleet", { cache: "no-store" });
    if (!r.ok) throw new Error(await r.text());
    last = await r.json();
    draw();
  } catch (e) {
    $("summary").textContent = "⚠ no data from the dashboard server: " + e.message;
  }
}
for (const id of ["q", "place", "attention", "offline"]) $(id).addEventListener("input", draw);

async function post(path, body) {
  const r = await fetch(path, { method: "POST", headers: { "content-type": "application/json", "x-faregate-dashboard": "1" }, body: JSON.stringify(body) });
  return { ok: r.ok, body: await r.json() };
}
let pending = null;
if ($("prepare")) {
  $("prepare").addEventListener("click", async () => {
    const cmd = $("cmdname").value;
    const args = cmd === "out_of_service" || cmd === "free_pass" ? { on: $("cmdon").value === "true" } : {};
    const r = await post("/api/commands/prepare", { device: $("cmdgate").value, cmd, args });
    if (!r.ok) { $("cmdresult").textContent = "⚠ " + r.body.error; return; }
    pending = r.body.confirmId;
    $("confirmtext").textContent = "Send " + r.body.summary + "?";
    $("confirm").hidden = false;
    $("send").focus();
  });
  $("cancel").addEventListener("click", () => { pending = null; $("confirm").hidden = true; $("cmdresult").textContent = "Not sent."; });
  $("send").addEventListener("click", async () => {
    const id = pending; pending = null; $("confirm").hidden = true;
    $("cmdresult").textContent = "Sending…";
    const r = await post("/api/commands/confirm", { confirmId: id });
    if (!r.ok) { $("cmdresult").textContent = "⚠ " + r.body.error; return; }
    const rep = r.body.reply;
    $("cmdresult").textContent = rep === null ? "⚠ Sent; no reply from the gate within the time limit."
      : rep.ok ? "✓ Done by " + rep.deviceId + "." : "⚠ Refused by " + rep.deviceId + ": " + rep.error + " (" + (rep.detail || "") + ")";
  });
}
void poll();
setInterval(poll, 2000);
</script>
</body>
</html>
`;
}
