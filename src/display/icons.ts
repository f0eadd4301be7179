/**
 * One icon per screen (inline SVG, 100 × 100, drawn in `currentColor`), so the shape tells the
 * outcome apart as well as the colour and the words. Decorative: the words carry the meaning
 * (aria-hidden in the page).
 */
import type { Screen } from './screens.ts';

const stroke = 'fill="none" stroke="currentColor" stroke-width="9" stroke-linecap="round" stroke-linejoin="round"';
const thin = 'fill="none" stroke="currentColor" stroke-width="5" stroke-linecap="round" stroke-linejoin="round"';

export const ICONS: Readonly<Record<Screen, string>> = {
  // A phone showing a QR code held under the scanner window, with an arrow towards it.
  idle: `<rect x="8" y="6" width="84" height="16" rx="4" fill="currentColor" opacity="0.35"/>
    <rect x="22" y="9" width="56" height="10" rx="3" fill="currentColor"/>
    <path d="M50 42 v-13 M43 35 l7 -7 l7 7" ${thin}/>
    <rect x="27" y="46" width="46" height="50" rx="7" ${thin}/>
    <rect x="35" y="54" width="10" height="10" fill="currentColor"/>
    <rect x="55" y="54" width="10" height="10" fill="currentColor"/>
    <rect x="35" y="74" width="10" height="10" fill="currentColor"/>
    <rect x="53" y="72" width="5" height="5" fill="currentColor"/>
    <rect x="60" y="79" width="5" height="5" fill="currentColor"/>
    <rect x="47" y="66" width="5" height="5" fill="currentColor"/>`,
  go: `<circle cx="50" cy="50" r="42" ${stroke}/><path d="M29 52 l14 14 l28 -30" ${stroke}/>`,
  free_pass: `<path d="M14 20 v60 M86 20 v60" ${stroke}/><path d="M30 50 h38 M56 36 l14 14 l-14 14" ${stroke}/>`,
  refresh_code: `<path d="M78 40 A30 30 0 1 0 80 58" ${stroke}/><path d="M80 18 v22 h-22" ${stroke}/>`,
  scan_again: `<path d="M14 32 v-16 h16 M70 16 h16 v16 M86 68 v16 h-16 M30 84 h-16 v-16" ${stroke}/>
    <path d="M22 50 h56" ${stroke}/>`,
  renew_in_app: `<rect x="28" y="8" width="44" height="84" rx="8" ${thin}/>
    <circle cx="50" cy="48" r="14" ${thin}/><path d="M50 40 v9 l6 4" ${thin}/><path d="M44 82 h12" ${thin}/>`,
  invalid_code: `<circle cx="50" cy="50" r="42" ${stroke}/><path d="M34 34 l32 32 M66 34 l-32 32" ${stroke}/>`,
  see_staff: `<circle cx="50" cy="28" r="16" ${stroke}/><path d="M18 92 c0 -26 14 -38 32 -38 s32 12 32 38" ${stroke}/>`,
  not_valid_here: `<circle cx="50" cy="50" r="42" ${stroke}/><path d="M20 50 h60" ${stroke}/>`,
  // Entered already: a U-turn back through the gate post.
  anti_passback: `<path d="M84 10 v80" ${stroke}/><path d="M62 86 V42 a22 22 0 0 0 -44 0 V62" ${stroke}/>
    <path d="M6 52 l12 14 l12 -14" ${stroke}/>`,
  out_of_service: `<path d="M50 10 L92 86 H8 Z" ${stroke}/><path d="M50 40 v20" ${stroke}/>
    <circle cx="50" cy="73" r="2" ${stroke}/>`,
};
