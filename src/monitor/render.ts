/**
 * The fleet snapshot as terminal lines: one row per gate, problems highlighted (ANSI colour only
 * when asked, i.e. on a TTY). Pure: snapshot in, lines out.
 */
import { hasAckTrouble, type FleetSnapshot, type GateState } from './fleetModel.ts';
import type { RetainedListCheck } from './retainedLists.ts';

export interface RenderOptions {
  color: boolean;
}

const RED = 31;
const GREEN = 32;
const YELLOW = 33;
const GREY = 90;

function ageText(sec: number | null): string {
  if (sec === null) return '-';
  if (sec < 120) return `${sec}s`;
  if (sec < 7200) return `${Math.round(sec / 60)}m`;
  if (sec < 172_800) return `${Math.round(sec / 3600)}h`;
  return `${Math.round(sec / 86_400)}d`;
}

function bytesText(n: number | null): string {
  if (n === null) return '-';
  return `${Math.round(n / (1024 * 1024))}M`;
}

function offsetText(ms: number | null): string {
  if (ms === null) return '-';
  const s = ms / 1000;
  const abs = Math.abs(s);
  if (abs < 0.05) return '0.0s';
  return `${s >= 0 ? '+' : '-'}${abs < 10 ? abs.toFixed(1) : Math.round(abs)}s`;
}

/** A short form of the status `lists` field, whatever its shape: `trust v12 deny v40`, `trustKeys=3 denyEntries=2`. */
export function listsText(lists: unknown): string {
  if (lists === null || lists === undefined) return '-';
  if (typeof lists !== 'object' || Array.isArray(lists)) return JSON.stringify(lists);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(lists as Record<string, unknown>)) {
    if (typeof v === 'number' || typeof v === 'string') parts.push(`${k}=${v}`);
    else if (typeof v === 'boolean') {
      if (v) parts.push(k);
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const version = o.version ?? o.seq ?? o.serial;
      let p = version !== undefined ? `${k} v${typeof version === 'string' ? version : JSON.stringify(version)}` : k;
      if (typeof o.ageSec === 'number') p += ` ${ageText(Math.round(o.ageSec))}`;
      if (o.stale === true) p += ' STALE';
      parts.push(p);
    }
  }
  return parts.join(' ') || '-';
}

/** One retained list: `trust v12 ok`, `deny LIST FORGED (bad_signature)`, `deny none`. */
export function retainedListText(type: string, c: RetainedListCheck | 'none'): string {
  if (c === 'none') return `${type} none`;
  if (c.state === 'verified') return `${type} v${c.version} ok`;
  return `${type} LIST FORGED (${c.reason})`;
}

function stateText(g: GateState): string {
  if (g.online === null) return 'unknown';
  return g.online ? 'online' : 'OFFLINE';
}

/** Refused acks and rejected taps: `REFUSED 3 REJECTED 2`, `-` when neither. */
export function acksText(g: Pick<GateState, 'ackRefused' | 'backlog'>): string {
  const parts: string[] = [];
  if ((g.ackRefused ?? 0) > 0) parts.push(`REFUSED ${g.ackRefused}`);
  if ((g.backlog.rejected ?? 0) > 0) parts.push(`REJECTED ${g.backlog.rejected}`);
  return parts.join(' ') || '-';
}

const perMin = (g: GateState) =>
  g.decisionsPerMinute
    ? `${g.decisionsPerMinute.accept}/${g.decisionsPerMinute.reject}/${g.decisionsPerMinute.ignore}`
    : '-';

export function renderFleet(s: FleetSnapshot, o: RenderOptions): string[] {
  const paint = (c: number, text: string) => (o.color ? `\x1b[${c}m${text}\x1b[0m` : text);
  const header = [
    'GATE',
    'STATE',
    'SCANNER',
    'BACKLOG',
    'OLDEST',
    'ACKS',
    'ACC/REJ/IGN per min',
    'CLOCK',
    'MEM',
    'METRICS',
    'LISTS',
    'ALARMS',
  ];
  const rows = s.gates.map((g) => [
    g.deviceId,
    stateText(g),
    g.scanner ?? '-',
    g.backlog.unsettled === null ? '-' : String(g.backlog.unsettled),
    ageText(g.backlog.oldestUnsettledAgeSec),
    acksText(g),
    perMin(g),
    offsetText(g.clockOffsetMs),
    bytesText(g.memoryRss),
    g.metricsAgeSec === null ? '-' : `${ageText(g.metricsAgeSec)} ago`,
    listsText(g.lists) + (g.listsStale && !listsText(g.lists).includes('STALE') ? ' STALE' : ''),
    g.alarms.length ? g.alarms.join(',') : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const pad = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)));
  const online = s.gates.filter((g) => g.online === true).length;
  const alarmed = s.gates.filter((g) => g.alarms.length > 0).length;
  const ackTrouble = s.gates.filter(hasAckTrouble).length;
  const lines = [
    `faregate monitor  ${new Date(s.at).toISOString()}  ${s.prefix}  gates ${s.gates.length}, online ${online}, with alarms ${alarmed}` +
      (ackTrouble ? `, with ack trouble ${ackTrouble}` : '') +
      (s.malformed ? `, unreadable messages ${s.malformed}` : ''),
  ];
  const retained = s.retainedLists;
  if (retained) {
    const shown = (['trust', 'deny', 'jtt-roots'] as const).filter((t) => retained[t] !== undefined);
    const parts = shown.map((t) => {
      const c = retained[t]!;
      const text = retainedListText(t, c);
      return c !== 'none' && c.state === 'forged' ? paint(RED, text) : text;
    });
    lines.push(`retained lists on the broker: ${parts.join(', ')}`);
  }
  lines.push('', paint(GREY, pad(header).join('  ')));
  s.gates.forEach((g, i) => {
    const cells = pad(rows[i]!);
    const colourAt = (idx: number, c: number) => (cells[idx] = paint(c, cells[idx]!));
    colourAt(1, g.online === false ? RED : g.online ? GREEN : YELLOW);
    if (g.scanner === 'down') colourAt(2, RED);
    else if (g.scanner !== 'up') colourAt(2, YELLOW);
    if (hasAckTrouble(g)) colourAt(5, RED);
    if (g.listsStale) colourAt(10, YELLOW);
    if (g.alarms.length) colourAt(11, RED);
    if (g.clockOffsetMs !== null && Math.abs(g.clockOffsetMs) > 5000) colourAt(7, YELLOW);
    lines.push(cells.join('  ').trimEnd());
  });
  if (s.gates.length === 0) lines.push(paint(GREY, '(no gates seen yet)'));
  const withEvents = s.gates.filter((g) => g.lastEvent);
  if (withEvents.length) {
    lines.push('', paint(GREY, 'last events'));
    for (const g of withEvents) {
      const e = g.lastEvent!;
      const text = `${g.deviceId}  ${new Date(e.at).toISOString()}  ${e.kind}${e.detail ? ` ${e.detail}` : ''}  (${g.events} seen)`;
      lines.push(e.kind === 'alarm' && e.detail.endsWith('raised') ? paint(RED, text) : text);
    }
  }
  return lines;
}
