// Formatting shared by every view. Pure and DOM-free, so Node's test runner checks it
// (src/test/js/format.test.mjs). Every function accepts what the API may send, null included.

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * HTML-escapes a value for an HTML string (text or a quoted attribute). null/undefined -> ''.
 * Prefer textContent; use this only where a view builds markup as a string.
 * @param {*} value
 * @returns {string}
 */
export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, c => ESCAPES[c]);
}

const SECOND = 1000, MINUTE = 60 * SECOND, HOUR = 60 * MINUTE, DAY = 24 * HOUR;

/**
 * How long ago an instant was, in words: "just now", "42 s ago", "3 min ago", "5 h ago", "2 d ago";
 * a future instant (clock skew) reads "in 3 min". null/unparseable -> "—".
 * @param {string|null} iso ISO-8601 instant, as the API sends it
 * @param {number} [now=Date.now()] epoch millis to measure from (tests pass a fixed one)
 * @returns {string}
 */
export function relativeTime(iso, now = Date.now()) {
  const t = parse(iso);
  if (t == null) return '—';
  const diff = now - t;
  const abs = Math.abs(diff);
  if (abs < 5 * SECOND) return 'just now';
  let text;
  if (abs < MINUTE) text = Math.floor(abs / SECOND) + ' s';
  else if (abs < HOUR) text = Math.floor(abs / MINUTE) + ' min';
  else if (abs < DAY) text = Math.floor(abs / HOUR) + ' h';
  else text = Math.floor(abs / DAY) + ' d';
  return diff >= 0 ? text + ' ago' : 'in ' + text;
}

/**
 * The exact local date-time of an instant for a `title` (hover) or a table cell:
 * "2026-11-26 11:15:03 UTC+01:00" in the browser's time zone. null/unparseable -> "".
 * @param {string|null} iso
 * @returns {string}
 */
export function localTime(iso) {
  const t = parse(iso);
  if (t == null) return '';
  const d = new Date(t);
  const p = n => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset(); // minutes east of UTC
  const zone = 'UTC' + (off < 0 ? '-' : '+') + p(Math.floor(Math.abs(off) / 60)) + ':' + p(Math.abs(off) % 60);
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${zone}`;
}

/**
 * An availability share in [0, 1] as a percentage: 1 -> "100%", 0.98765 -> "98.7%" (floored),
 * 0.99951 -> "99.95%" (two decimals near the top, where targets live). Never rounds up to 100 %
 * a share below 1. null/undefined -> "no data" (nothing observed; never 0 %).
 * @param {number|null} share
 * @returns {string}
 */
export function pct(share) {
  if (share == null || Number.isNaN(share)) return 'no data';
  if (share >= 1) return '100%';
  if (share <= 0) return '0%';
  const digits = share >= 0.99 ? 2 : 1;
  const scale = 10 ** digits;
  // floor, not round: 99.996 % must not read "100%" while the device missed time
  const v = Math.floor(share * 100 * scale + 1e-9) / scale;
  return v.toFixed(digits) + '%';
}

/**
 * A length of time in its two largest units: 45_000 -> "45 s", 125_000 -> "2 min 5 s",
 * 7_500_000 -> "2 h 5 min", 3 d 4 h -> "3 d 4 h"; a zero second unit is left out ("2 h").
 * Below a second -> "0 s"; null/negative -> "—".
 * @param {number|null} ms
 * @returns {string}
 */
export function duration(ms) {
  if (ms == null || Number.isNaN(ms) || ms < 0) return '—';
  const units = [[DAY, 'd'], [HOUR, 'h'], [MINUTE, 'min'], [SECOND, 's']];
  let rest = Math.floor(ms / SECOND) * SECOND;
  const parts = [];
  for (const [size, name] of units) {
    if (parts.length === 0 && rest < size) continue;
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(n + ' ' + name);
    if (parts.length === 2 || (parts.length === 1 && n === 0)) break;
  }
  return parts.length ? parts.join(' ') : '0 s';
}

/**
 * A count with thousands separators: 100000 -> "100,000". null -> "—".
 * @param {number|null} n
 * @returns {string}
 */
export function num(n) {
  if (n == null || Number.isNaN(n)) return '—';
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function parse(iso) {
  if (iso == null || iso === '') return null;
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}
