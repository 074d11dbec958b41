// Stand-in for live.js (helper C1) until it is merged: one shared EventSource on /api/stream,
// opened by the first subscriber. See views/deps.js.
const changeFns = new Set(), countsFns = new Set();
let source = null, lastCounts = null;

function ensure() {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource('/api/stream');
  source.addEventListener('change', e => { let d; try { d = JSON.parse(e.data); } catch { return; } for (const f of changeFns) f(d); });
  source.addEventListener('counts', e => { try { lastCounts = JSON.parse(e.data); } catch { return; } for (const f of countsFns) f(lastCounts); });
}

// A page left for another (or put in the back/forward cache) closes its stream: an open one would
// keep holding one of the browser's six connections to this host, and a few of them stall every
// later request of the site (seen in headless Chromium when a test opens view after view).
if (typeof window !== 'undefined') {
  window.addEventListener('pagehide', () => { if (source) { source.close(); source = null; } });
  window.addEventListener('pageshow', e => { if (e.persisted && (changeFns.size || countsFns.size)) ensure(); });
}

export function subscribe(onChange) { changeFns.add(onChange); ensure(); return () => changeFns.delete(onChange); }
export function onCounts(fn) { countsFns.add(fn); ensure(); if (lastCounts) fn(lastCounts); return () => countsFns.delete(fn); }
