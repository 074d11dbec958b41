// Events -> outages, DOM-free. An outage starts at an OFFLINE or UNKNOWN event and ends at the next
// ONLINE; an UNKNOWN inside an OFFLINE (or the reverse) does not start a second one. MIGRATED and
// UPDATED say nothing about reachability. The API pages events newest first, so input may come in
// any order and pages may overlap: events are de-duplicated by seq and sorted by time, then seq.

const DOWN = new Set(['OFFLINE', 'UNKNOWN']);

/**
 * @param events [{seq, type, at}] (at: ISO instant or epoch ms), any order, duplicates allowed
 * @param now    epoch ms, the end of an ongoing outage's duration
 * @returns [{start, end, ongoing, durationMs, worst, seqs}] newest first; `start`/`end` epoch ms
 *          (`end` null while ongoing), `worst` 'OFFLINE' if any OFFLINE was inside it, else 'UNKNOWN'
 */
export function outages(events, now) {
  const bySeq = new Map();
  for (const e of events || []) {
    if (!e || e.type == null) continue;
    const at = typeof e.at === 'number' ? e.at : Date.parse(e.at);
    if (!Number.isFinite(at)) continue;
    bySeq.set(e.seq ?? `${at}:${e.type}`, { seq: e.seq, type: e.type, at });
  }
  const sorted = [...bySeq.values()].sort((a, b) => a.at - b.at || (a.seq ?? 0) - (b.seq ?? 0));
  const out = [];
  let open = null;
  for (const e of sorted) {
    if (DOWN.has(e.type)) {
      if (!open) open = { start: e.at, worst: e.type, seqs: [e.seq] };
      else {
        if (e.type === 'OFFLINE') open.worst = 'OFFLINE';
        open.seqs.push(e.seq);
      }
    } else if (e.type === 'ONLINE' && open) {
      out.push({ start: open.start, end: e.at, ongoing: false, durationMs: e.at - open.start, worst: open.worst, seqs: open.seqs });
      open = null;
    }
  }
  if (open) {
    out.push({ start: open.start, end: null, ongoing: true, durationMs: Math.max(0, now - open.start), worst: open.worst, seqs: open.seqs });
  }
  return out.reverse();
}

/** Merges a newer page and an older page of events (newest first), without duplicates. */
export function mergeEventPages(newer, older) {
  const seen = new Set();
  const out = [];
  for (const e of [...(newer || []), ...(older || [])]) {
    if (seen.has(e.seq)) continue;
    seen.add(e.seq);
    out.push(e);
  }
  return out.sort((a, b) => b.seq - a.seq);
}

/** Total downtime of these outages inside [from, to) (epoch ms), ongoing ones counted up to `to`. */
export function downtimeWithin(list, from, to) {
  let sum = 0;
  for (const o of list) {
    const s = Math.max(from, o.start);
    const e = Math.min(to, o.end == null ? to : o.end);
    if (e > s) sum += e - s;
  }
  return sum;
}
