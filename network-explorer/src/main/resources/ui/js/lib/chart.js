// Geometry of the node page's availability chart and state band, DOM-free: which buckets a range
// asks for, linear scales, time ticks on local-time boundaries, the availability line broken at
// no-data buckets (a gap, never a drop to 0 %), and the timeline's rectangles.

export const RANGES = ['24h', '7d', '30d', '90d'];
const HOUR = 3600e3, DAY = 24 * HOUR;

/** The /api/nodes/{id}/availability query that covers a range: hourly up to 7 d, daily beyond. */
export function rangeSpec(range) {
  switch (range) {
    case '24h': return { range, bucket: 'hourly', count: 24, ms: DAY };
    case '7d': return { range, bucket: 'hourly', count: 168, ms: 7 * DAY };
    case '30d': return { range, bucket: 'daily', count: 30, ms: 30 * DAY };
    case '90d': return { range, bucket: 'daily', count: 90, ms: 90 * DAY };
    default: return rangeSpec('24h');
  }
}

/** A linear scale [d0, d1] -> [r0, r1] (clamped outside the domain). */
export function linear([d0, d1], [r0, r1]) {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const f = v => {
    const c = Math.min(Math.max(v, Math.min(d0, d1)), Math.max(d0, d1));
    return r0 + (c - d0) * k;
  };
  return f;
}

/**
 * Tick instants (epoch ms) between from and to on local-time boundaries: every 1/2/3/6/12 h, or
 * every 1/2/7/14 days at local midnight, the first step that gives at most `max` ticks.
 */
export function timeTicks(from, to, max = 8) {
  const span = to - from;
  const steps = [[1, 'h'], [2, 'h'], [3, 'h'], [6, 'h'], [12, 'h'], [1, 'd'], [2, 'd'], [7, 'd'], [14, 'd'], [28, 'd']];
  for (const [n, unit] of steps) {
    const approx = n * (unit === 'h' ? HOUR : DAY);
    if (span / approx > max) continue;
    const out = [];
    const d = new Date(from);
    if (unit === 'h') {
      d.setMinutes(0, 0, 0);
      while (d.getTime() < from || d.getHours() % n !== 0) d.setHours(d.getHours() + 1);
      while (d.getTime() <= to) { out.push(d.getTime()); d.setHours(d.getHours() + n); }
    } else {
      d.setHours(0, 0, 0, 0);
      if (d.getTime() < from) d.setDate(d.getDate() + 1);
      // Weekly ticks start on a Monday so they read as weeks.
      if (n >= 7) while (d.getDay() !== 1) d.setDate(d.getDate() + 1);
      while (d.getTime() <= to) { out.push(d.getTime()); d.setDate(d.getDate() + n); }
    }
    return out;
  }
  return [from, to];
}

/** A tick's label: the hour for spans up to two days ("14:00", "Tue 00:00" at midnight), else the date. */
export function tickLabel(t, span, locale) {
  const d = new Date(t);
  if (span <= 2 * DAY) {
    const hm = d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit', hour12: false });
    return d.getHours() === 0 ? d.toLocaleDateString(locale, { weekday: 'short' }) + ' ' + hm : hm;
  }
  return d.toLocaleDateString(locale, { month: 'short', day: 'numeric' });
}

/**
 * The availability line as an SVG path: each bucket a horizontal step at its share, runs of
 * buckets with data joined, a no-data bucket (online null) ends the run so the line has a gap.
 * Also returns the runs' closed areas (down to 0 %) for a light fill.
 */
export function availabilityPaths(buckets, x, y) {
  let line = '', area = '';
  let run = [];
  const flush = () => {
    if (!run.length) return;
    let d = '';
    run.forEach((b, i) => {
      const x0 = x(b.from), x1 = x(b.to), yy = y(b.online);
      d += (i === 0 ? `M ${r(x0)} ${r(yy)}` : ` L ${r(x0)} ${r(yy)}`) + ` L ${r(x1)} ${r(yy)}`;
    });
    line += (line ? ' ' : '') + d;
    const first = run[0], last = run[run.length - 1];
    area += (area ? ' ' : '') + d + ` L ${r(x(last.to))} ${r(y(0))} L ${r(x(first.from))} ${r(y(0))} Z`;
    run = [];
  };
  for (const b of buckets || []) {
    const nb = { from: toMs(b.from), to: toMs(b.to), online: b.online };
    if (nb.online == null) flush(); else run.push(nb);
  }
  flush();
  return { line, area };
}

/** The no-data buckets merged into spans [{from, to}] (epoch ms), drawn hatched behind the line. */
export function noDataSpans(buckets) {
  const out = [];
  for (const b of buckets || []) {
    if (b.online != null) continue;
    const from = toMs(b.from), to = toMs(b.to);
    const last = out[out.length - 1];
    if (last && last.to === from) last.to = to; else out.push({ from, to });
  }
  return out;
}

/** The state band's rectangles: [{x, w, status, from, to}] for /api/nodes/{id}/timeline's segments, clipped to [from, to]. */
export function timelineRects(segments, from, to, x) {
  const out = [];
  for (const s of segments || []) {
    const a = Math.max(from, toMs(s.from)), b = Math.min(to, toMs(s.to));
    if (!(b > a)) continue;
    out.push({ x: x(a), w: Math.max(0.5, x(b) - x(a)), status: s.status, from: a, to: b });
  }
  return out;
}

/** Milliseconds per status over the timeline's segments (for the band's text alternative). */
export function timelineTotals(segments, from, to) {
  const out = {};
  for (const s of segments || []) {
    const a = Math.max(from, toMs(s.from)), b = Math.min(to, toMs(s.to));
    if (b > a) out[s.status] = (out[s.status] || 0) + (b - a);
  }
  return out;
}

/** Share of observed time online over buckets, weighted by observed time; null when nothing was observed. */
export function observedShare(buckets) {
  let obs = 0, on = 0;
  for (const b of buckets || []) {
    if (b.online == null || !b.observedMillis) continue;
    obs += b.observedMillis;
    on += b.online * b.observedMillis;
  }
  return obs ? { share: on / obs, observedMillis: obs } : { share: null, observedMillis: 0 };
}

const toMs = v => (typeof v === 'number' ? v : Date.parse(v));
const r = v => Math.round(v * 10) / 10;
