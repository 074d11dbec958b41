// The devices list: every filter, the sort and the page live in the address (lib/urlstate.js), one
// status control with counts (/api/nodes/counts), rows updated in place from the live stream.
// Discrete changes (a status, a kind, a sort, a page) push a history entry, so back/forward walk
// them; typing replaces the current entry instead of leaving one per keystroke.
import { api } from '../api.js';
import { h, heading, badge, put } from '../dom.js';
import { relativeTime, localTime, pct, num } from '../lib/format.js';
import {
  parseNodes, nodesHash, withChange, listUrl, countsUrl, csvUrl, nextSort, ariaSort, STATUSES, KINDS,
} from '../lib/urlstate.js';
import * as live from '../live.js';

const PAGE = 50;
const TYPING_MS = 300;
const COUNTS_MS = 500;
// While devices keep changing, a tab asks the server for its status counts at most this often (a
// COUNT over the filtered devices); with no filter but kind, the stream's own counts are used.
const COUNTS_MIN_GAP_MS = 10000;
const STATUS_LABELS = { all: 'All', online: 'Online', offline: 'Offline', unknown: 'Unknown' };
const COLUMNS = [
  { key: 'id', label: 'ID', sort: 'id' },
  { key: 'kind', label: 'Kind', sort: 'kind' },
  { key: 'status', label: 'Status', sort: 'status' },
  { key: 'datacenter', label: 'Datacenter', sort: 'datacenter' },
  { key: 'gateway', label: 'Gateway' },
  { key: 'location', label: 'Location' },
  { key: 'availability', label: '24 h availability', sort: 'availability' },
  { key: 'lastSeen', label: 'Last seen', sort: 'lastSeen' },
];

export async function render(root, route) {
  let state = parseNodes(route.params);
  let generation = 0;
  let nextCursor = null;
  const shown = new Map(); // id -> the Node its row shows
  const timers = new Set();
  const later = (fn, ms) => { const t = setTimeout(() => { timers.delete(t); fn(); }, ms); timers.add(t); return t; };

  // --- controls ------------------------------------------------------------------------------
  const statusInputs = {};
  const statusCounts = {};
  const statusControl = h('fieldset', { class: 'segmented', id: 'f-status' },
    h('legend', null, 'Status'),
    STATUSES.map(s => {
      statusInputs[s] = h('input', { type: 'radio', name: 'status', id: 'f-status-' + s, value: s });
      statusCounts[s] = h('span', { class: 'count', id: 'count-' + s });
      return h('label', { for: 'f-status-' + s }, statusInputs[s], h('span', null, STATUS_LABELS[s]), statusCounts[s]);
    }));
  const q = h('input', { id: 'f-q', type: 'search', size: '28', autocomplete: 'off', placeholder: 'id, label, city, country' });
  const kind = h('select', { id: 'f-kind' }, h('option', { value: '' }, 'All kinds'), KINDS.map(k => h('option', { value: k }, k)));
  const dc = h('input', { id: 'f-dc', type: 'text', size: '16', autocomplete: 'off' });
  const gw = h('input', { id: 'f-gw', type: 'text', size: '16', autocomplete: 'off' });
  const below = h('input', { id: 'f-below', type: 'checkbox' });
  const csv = h('a', { id: 'csv-link', class: 'button', download: 'nodes.csv' }, 'Export CSV');
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter devices', on: { submit: e => e.preventDefault() } },
    statusControl,
    h('div', { class: 'field' }, h('label', { for: 'f-q' }, 'Search'), q),
    h('div', { class: 'field' }, h('label', { for: 'f-kind' }, 'Kind'), kind),
    h('div', { class: 'field' }, h('label', { for: 'f-dc' }, 'Datacenter'), dc),
    h('div', { class: 'field' }, h('label', { for: 'f-gw' }, 'Gateway ID'), gw),
    h('div', { class: 'field check' }, below, h('label', { for: 'f-below' }, 'Below target only')),
    csv);
  // Filters that come from the map (a cluster's area, the devices without a location): shown as a
  // chip with a button that clears them, since no control above sets them.
  const area = h('p', { id: 'f-area', class: 'notice', role: 'status' });

  // --- table ---------------------------------------------------------------------------------
  const caption = h('caption', { class: 'visually-hidden' });
  const headers = COLUMNS.map(c => c.sort
    ? h('th', { scope: 'col', dataset: { col: c.key } },
        h('button', { type: 'button', class: 'sort', dataset: { sort: c.sort }, on: { click: () => go({ sort: nextSort(state.sort, c.sort) }) } },
          c.label, h('span', { class: 'sort-icon', 'aria-hidden': 'true' })))
    : h('th', { scope: 'col', dataset: { col: c.key } }, c.label));
  const tbody = h('tbody');
  const table = h('table', { id: 'nodes' }, caption, h('thead', null, h('tr', null, headers)), tbody);
  const count = h('span', { id: 'count', role: 'status' });
  const first = h('button', { type: 'button', id: 'first', on: { click: () => go({ cursor: '' }, { prev: [] }) } }, 'First page');
  const prev = h('button', { type: 'button', id: 'prev', on: { click: () => {
    const stack = [...prevStack()];
    const cursor = stack.pop() ?? '';
    go({ cursor }, { prev: stack });
  } } }, 'Previous page');
  const next = h('button', { type: 'button', id: 'next', on: { click: () => {
    if (nextCursor) go({ cursor: nextCursor }, { prev: [...prevStack(), state.cursor] });
  } } }, 'Next page');
  const message = h('div', { id: 'nodes-message' });

  root.append(heading('Devices'),
    h('div', { class: 'card' }, filters, area, message, h('div', { class: 'table-wrap' }, table),
      h('div', { class: 'pager' }, first, prev, next, count)));

  // --- state <-> address ---------------------------------------------------------------------
  function prevStack() {
    return Array.isArray(history.state?.prev) ? history.state.prev : [];
  }

  /** Applies a change: a new history entry (or the same one while typing), then reloads. */
  function go(patch, { replace = false, prev: stack } = {}) {
    state = withChange(state, patch);
    const entry = { prev: stack ?? [] };
    if (replace) history.replaceState(entry, '', nodesHash(state));
    else history.pushState(entry, '', nodesHash(state));
    paintControls();
    load();
  }

  function paintControls() {
    for (const s of STATUSES) statusInputs[s].checked = state.status === s;
    if (document.activeElement !== q) q.value = state.q;
    if (document.activeElement !== dc) dc.value = state.datacenter;
    if (document.activeElement !== gw) gw.value = state.gateway;
    kind.value = state.kind;
    below.checked = state.below;
    const where = state.located === 'false' ? 'Devices without a location'
      : state.bbox ? `In the map area ${state.bbox.split(',').map(x => Number(x).toFixed(1)).join(', ')} (west, south, east, north)`
        : state.located === 'true' ? 'Devices with a location' : '';
    area.hidden = !where;
    put(area, where ? [where, ' ', h('button', { type: 'button', id: 'f-area-clear', on: { click: () => go({ bbox: '', located: '' }) } }, 'Show everywhere')] : null);
    csv.href = csvUrl(state);
    for (const th of headers) {
      const button = th.querySelector('button');
      if (!button) continue;
      const sort = ariaSort(state.sort, button.dataset.sort);
      th.setAttribute('aria-sort', sort);
      button.querySelector('.sort-icon').textContent = sort === 'ascending' ? ' ▲' : sort === 'descending' ? ' ▼' : '';
    }
    const col = COLUMNS.find(c => c.sort === state.sort.replace(/^-/, ''));
    caption.textContent = `Devices, sorted by ${col ? col.label : state.sort}, ${state.sort.startsWith('-') ? 'descending' : 'ascending'}`;
  }

  for (const s of STATUSES) statusInputs[s].addEventListener('change', () => { if (statusInputs[s].checked) go({ status: s }); });
  kind.addEventListener('change', () => go({ kind: kind.value }));
  below.addEventListener('change', () => go({ below: below.checked }));
  const typing = (input, field) => {
    let t = null;
    input.addEventListener('input', () => {
      clearTimeout(t);
      timers.delete(t);
      t = later(() => go({ [field]: input.value.trim() }, { replace: true }), TYPING_MS);
    });
  };
  typing(q, 'q');
  typing(dc, 'datacenter');
  typing(gw, 'gateway');

  // --- data ----------------------------------------------------------------------------------
  async function load() {
    const mine = ++generation;
    loadCounts();
    let page;
    try {
      page = await api(listUrl(state, PAGE));
    } catch (e) {
      if (mine !== generation) return;
      tbody.replaceChildren();
      nextCursor = null;
      put(message, h('p', { class: 'notice error', role: 'alert' }, 'Could not load devices: ' + e.message + ' ',
        h('a', { href: '#/nodes' }, 'Start over')));
      count.textContent = '';
      paintPager();
      return;
    }
    if (mine !== generation) return;
    message.replaceChildren();
    shown.clear();
    nextCursor = page.nextCursor || null;
    tbody.replaceChildren(...(page.items.length
      ? page.items.map(row)
      : [h('tr', null, h('td', { colspan: String(COLUMNS.length), class: 'muted' }, 'No devices match these filters.'))]));
    count.textContent = `${page.totalIsLowerBound ? 'More than ' : ''}${num(page.total)} ${page.total === 1 ? 'device' : 'devices'} match · ${page.items.length} on this page`;
    paintPager();
  }

  function paintPager() {
    first.disabled = !state.cursor;
    prev.disabled = !state.cursor;
    next.disabled = !nextCursor;
  }

  let countsGeneration = 0;
  async function loadCounts() {
    const mine = ++countsGeneration;
    try {
      const c = await api(countsUrl(state));
      if (mine !== countsGeneration) return;
      for (const s of STATUSES) statusCounts[s].textContent = c[s] == null ? '' : num(c[s]);
    } catch {
      // Counts are a help, not the list: without them (an older server) the control still works.
      if (mine === countsGeneration) for (const s of STATUSES) statusCounts[s].textContent = '';
    }
  }

  function row(n) {
    shown.set(n.id, n);
    const tr = h('tr', { dataset: { id: n.id } });
    for (const c of COLUMNS) tr.append(h('td', { dataset: { col: c.key } }));
    fill(tr, n);
    return tr;
  }

  function cell(tr, key) {
    return tr.querySelector(`td[data-col="${key}"]`);
  }

  /** (Re)fills a row from a Node: on first render and for every live change of that device. */
  function fill(tr, n) {
    tr.dataset.status = n.status;
    put(cell(tr, 'id'), h('a', { href: '#/node/' + encodeURIComponent(n.id), class: 'id' }, n.id),
      n.parseError ? h('span', { class: 'tag warn', title: n.parseError }, 'unreadable record') : null);
    put(cell(tr, 'kind'), n.kind ?? '');
    put(cell(tr, 'status'), badge(n.status), n.statusSince
      ? h('time', { class: 'since muted', datetime: n.statusSince, title: 'since ' + localTime(n.statusSince), dataset: { at: n.statusSince } },
        ' ' + relativeTime(n.statusSince))
      : null);
    put(cell(tr, 'datacenter'), n.datacenter
      ? h('a', { href: nodesHash(withChange(state, { datacenter: n.datacenter })), title: 'Only devices of ' + n.datacenter }, n.datacenter)
      : h('span', { class: 'muted' }, '—'));
    put(cell(tr, 'gateway'), n.gateway
      ? h('a', { href: '#/node/' + encodeURIComponent(n.gateway), class: 'id short', title: n.gateway }, n.gateway)
      : h('span', { class: 'muted' }, '—'));
    const place = [n.city, n.country].filter(Boolean).join(', ');
    put(cell(tr, 'location'), place || h('span', { class: 'muted' }, '—'));
    const a = n.availability24h;
    const bar = h('span', { class: 'bar' + (n.belowTarget ? ' below' : ''), 'aria-hidden': 'true' }, h('span'));
    bar.firstChild.style.width = a == null ? '0' : Math.round(a * 100) + '%';
    put(cell(tr, 'availability'), bar, ' ', h('span', { class: a == null ? 'muted' : '' }, pct(a)),
      n.belowTarget ? h('span', { class: 'tag bad' }, 'below target') : null);
    put(cell(tr, 'lastSeen'), n.lastSeen
      ? h('time', { datetime: n.lastSeen, title: localTime(n.lastSeen), dataset: { at: n.lastSeen } }, relativeTime(n.lastSeen))
      : h('span', { class: 'muted' }, '—'));
  }

  // --- live ----------------------------------------------------------------------------------
  let countsTimer = null;
  let lastCountsAt = 0;
  // The first change after a quiet spell shows at once (after a short batch); then at most one
  // request per COUNTS_MIN_GAP_MS however busy the network is.
  const refreshCounts = () => {
    if (countsTimer) return;
    const wait = Math.max(COUNTS_MS, lastCountsAt + COUNTS_MIN_GAP_MS - Date.now());
    countsTimer = later(() => { countsTimer = null; lastCountsAt = Date.now(); loadCounts(); }, wait);
  };
  // Only the kind (or nothing) filters the list: the stream's counts (/api/summary) already hold
  // the answer, so no request at all.
  const fromSummary = () => !state.datacenter && !state.gateway && !state.q && !state.below && !state.bbox && !state.located;
  const paintFromSummary = s => {
    const kinds = state.kind ? [state.kind] : Object.keys(s.byKind || {});
    const c = { online: 0, offline: 0, unknown: 0 };
    for (const k of kinds) for (const st of Object.keys(c)) c[st] += (s.byKind?.[k]?.[st]) || 0;
    c.all = c.online + c.offline + c.unknown;
    countsGeneration++; // a request still under way must not paint over this
    for (const st of STATUSES) statusCounts[st].textContent = num(c[st]);
  };
  const unsubscribe = live.subscribe(({ node }) => {
    if (!node || !node.id) return;
    const tr = tbody.querySelector(`tr[data-id="${CSS.escape(node.id)}"]`);
    if (tr) {
      // A field the change does not carry keeps what the list showed.
      const merged = { ...shown.get(node.id), ...node };
      shown.set(node.id, merged);
      fill(tr, merged);
      tr.classList.remove('flash');
      void tr.offsetWidth; // restart the highlight animation
      tr.classList.add('flash');
    }
    if (!fromSummary()) refreshCounts();
  });
  let initial = true;
  const unCounts = live.onCounts(s => {
    if (initial) return;
    if (fromSummary() && s && s.byKind) paintFromSummary(s);
    else refreshCounts();
  });
  initial = false;
  // Relative times age while the page is open.
  const ticker = setInterval(() => {
    for (const t of root.querySelectorAll('time[data-at]')) {
      t.textContent = (t.classList.contains('since') ? ' ' : '') + relativeTime(t.dataset.at);
    }
  }, 15000);

  paintControls();
  await load();
  return () => {
    unsubscribe();
    unCounts();
    clearInterval(ticker);
    for (const t of timers) clearTimeout(t);
    generation++;
    countsGeneration++;
  };
}
