// Stand-in for lib/format.js (helper C1) until it is merged: same names, same behaviour. See views/deps.js.
const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = v => String(v ?? '').replace(/[&<>"']/g, c => ESCAPES[c]);
const S = 1000, M = 60 * S, H = 60 * M, D = 24 * H;
const parse = v => (v == null || v === '' ? null : typeof v === 'number' ? v : (t => (Number.isNaN(t) ? null : t))(Date.parse(v)));

export function relativeTime(iso, now = Date.now()) {
  const t = parse(iso);
  if (t == null) return '—';
  const diff = now - t, abs = Math.abs(diff);
  if (abs < 5 * S) return 'just now';
  const text = abs < M ? Math.floor(abs / S) + ' s' : abs < H ? Math.floor(abs / M) + ' min' : abs < D ? Math.floor(abs / H) + ' h' : Math.floor(abs / D) + ' d';
  return diff >= 0 ? text + ' ago' : 'in ' + text;
}

export function localTime(iso) {
  const t = parse(iso);
  if (t == null) return '';
  const d = new Date(t), p = n => String(n).padStart(2, '0'), off = -d.getTimezoneOffset();
  const zone = 'UTC' + (off < 0 ? '-' : '+') + p(Math.floor(Math.abs(off) / 60)) + ':' + p(Math.abs(off) % 60);
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${zone}`;
}

export function pct(share) {
  if (share == null || Number.isNaN(share)) return 'no data';
  if (share >= 1) return '100%';
  if (share <= 0) return '0%';
  const digits = share >= 0.99 ? 2 : 1, scale = 10 ** digits;
  return (Math.floor(share * 100 * scale + 1e-9) / scale).toFixed(digits) + '%';
}

export function duration(ms) {
  if (ms == null || Number.isNaN(ms) || ms < 0) return '—';
  let rest = Math.floor(ms / S) * S;
  const parts = [];
  for (const [size, name] of [[D, 'd'], [H, 'h'], [M, 'min'], [S, 's']]) {
    if (parts.length === 0 && rest < size) continue;
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(n + ' ' + name);
    if (parts.length === 2 || (parts.length === 1 && n === 0)) break;
  }
  return parts.length ? parts.join(' ') : '0 s';
}

export const num = n => (n == null || Number.isNaN(n) ? '—' : String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ','));
