// Live updates for the whole page: ONE EventSource on /api/stream (docs/explorer-api.md, "Live"),
// shared by the header summary and whichever view is showing. While it is open the browser itself
// reconnects after a drop and sends Last-Event-ID, so the server replays what was missed. The
// Pause switch closes the stream (no load on the server while nobody wants updates); on Resume the
// current view reloads, because a new EventSource starts without Last-Event-ID.

/** @typedef {'live'|'paused'|'reconnecting'} LiveState */

import { api } from './api.js';

const PAUSED_KEY = 'explorer.live.paused';
const RETRY_MIN_MS = 2000, RETRY_MAX_MS = 30000;

const changeFns = new Set();
const countsFns = new Set();
const resetFns = new Set();
const stateFns = new Set();

let source = null;
let retryTimer = null;
let retryMs = RETRY_MIN_MS;
let lastCounts = null;
let everOpened = false;
// A fresh EventSource starts without Last-Event-ID: after a pause or a permanent failure, what
// happened in between is unknown, so the view reloads once the new stream is open.
let resyncOnOpen = false;
/** @type {LiveState} */
let current = readPaused() ? 'paused' : 'reconnecting';

function readPaused() {
  try { return localStorage.getItem(PAUSED_KEY) === 'true'; } catch { return false; }
}

function setState(s) {
  if (s === current) return;
  current = s;
  for (const fn of stateFns) safe(fn, s);
}

function safe(fn, arg) {
  try { fn(arg); } catch (e) { console.warn('live listener failed', e); }
}

function open() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (source || current === 'paused') return;
  const es = new EventSource('/api/stream');
  source = es;
  resyncOnOpen = everOpened;
  es.onopen = () => {
    retryMs = RETRY_MIN_MS;
    everOpened = true;
    setState('live');
    // The browser's own reconnects (same EventSource) send Last-Event-ID and need no reload.
    if (resyncOnOpen) { resyncOnOpen = false; for (const fn of resetFns) safe(fn); }
  };
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) {
      // Refused for good (404 before the endpoint exists, 401, 5xx): retry ourselves, backing off.
      es.close();
      if (source === es) source = null;
      // An EventSource does not say why: if the session ended (logout elsewhere, expiry), api()
      // answers 401 and takes the browser to the login page instead of "Reconnecting" for ever.
      api('/api/me').catch(() => {});
      if (current !== 'paused') {
        setState('reconnecting');
        retryTimer = setTimeout(open, retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      }
    } else {
      setState('reconnecting'); // the browser is reconnecting with Last-Event-ID
    }
  };
  es.addEventListener('change', e => {
    let data;
    try { data = JSON.parse(e.data); } catch { return; }
    for (const fn of changeFns) safe(fn, data);
  });
  es.addEventListener('counts', e => {
    try { lastCounts = JSON.parse(e.data); } catch { return; }
    for (const fn of countsFns) safe(fn, lastCounts);
  });
  es.addEventListener('reset', () => { for (const fn of resetFns) safe(fn); });
}

function close() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (source) { source.close(); source = null; }
}

/**
 * Starts the stream unless the user paused it (main.js calls this once).
 */
export function start() {
  // Opened after the load event: a stream opened while the page loads keeps it "loading".
  const go = () => { if (current !== 'paused') open(); };
  if (document.readyState === 'complete') go(); else window.addEventListener('load', go, { once: true });
  // A page left for another (or kept in the back/forward cache) must not hold its stream open:
  // browsers allow only a few connections per server, and a held stream starves the next page.
  window.addEventListener('pagehide', () => close());
  window.addEventListener('pageshow', e => { if (e.persisted && current !== 'paused') open(); });
}

/**
 * Calls `onChange({event, node})` for every `change` event (an Event and the device's Node after
 * it, as /api/nodes items) while live. Views use it to update rows in place.
 * @param {(change: {event: object, node: object}) => void} onChange
 * @returns {() => void} unsubscribe (return it from a view's render as its cleanup)
 */
export function subscribe(onChange) {
  changeFns.add(onChange);
  return () => changeFns.delete(onChange);
}

/**
 * Calls `fn(summary)` with the /api/summary body on every `counts` event, and at once with the last
 * one received, if any.
 * @param {(summary: {devices: number, byKind: object, events: number, datacenters: number}) => void} fn
 * @returns {() => void} unsubscribe
 */
export function onCounts(fn) {
  countsFns.add(fn);
  if (lastCounts) safe(fn, lastCounts);
  return () => countsFns.delete(fn);
}

/**
 * Calls `fn()` when the view must reload: the server sent `reset` (too much missed), or the stream
 * was reopened after a pause or a failure. main.js re-renders the current route.
 * @param {() => void} fn
 * @returns {() => void} unsubscribe
 */
export function onReset(fn) {
  resetFns.add(fn);
  return () => resetFns.delete(fn);
}

/**
 * Calls `fn(state)` whenever the state changes ('live' | 'paused' | 'reconnecting').
 * @param {(state: LiveState) => void} fn
 * @returns {() => void} unsubscribe
 */
export function onState(fn) {
  stateFns.add(fn);
  return () => stateFns.delete(fn);
}

/** @returns {LiveState} */
export function state() {
  return current;
}

/**
 * Pauses (closes the stream) or resumes live updates; remembered in localStorage.
 * @param {boolean} paused
 */
export function setPaused(paused) {
  try { localStorage.setItem(PAUSED_KEY, String(paused)); } catch { /* private mode: not remembered */ }
  if (paused) {
    close();
    setState('paused');
  } else if (current === 'paused') {
    setState('reconnecting');
    open();
  }
}

const LABELS = { live: 'Live', paused: 'Paused', reconnecting: 'Reconnecting…' };

/**
 * Renders the indicator and its switch into `slot` (the header's #live-slot): a role=status text
 * (#live-state, data-state) and a toggle button (#live-toggle, aria-pressed=true while paused).
 * @param {HTMLElement} slot
 */
export function mountIndicator(slot) {
  const status = document.createElement('span');
  status.id = 'live-state';
  status.setAttribute('role', 'status');
  const button = document.createElement('button');
  button.id = 'live-toggle';
  button.type = 'button';
  const paint = s => {
    status.dataset.state = s;
    status.className = 'live ' + s;
    status.textContent = LABELS[s];
    status.title = s === 'reconnecting' ? 'Live updates are not reaching this page; retrying' : '';
    button.setAttribute('aria-pressed', String(s === 'paused'));
    button.textContent = s === 'paused' ? 'Resume live updates' : 'Pause live updates';
  };
  button.addEventListener('click', () => setPaused(current !== 'paused'));
  onState(paint);
  paint(current);
  slot.replaceChildren(status, button);
}
