// The address is the state: the router's hash parsing and the devices list's filters, sort and
// page as a canonical '#/nodes?...' (bookmarkable, shareable, back/forward), and the API queries
// derived from them. Pure and DOM-free: src/test/js/urlstate.test.mjs round-trips every field.

/**
 * '#/node/abc?range=7d' -> { view: 'node', rest: 'abc', params: URLSearchParams('range=7d') }.
 * A malformed %-escape in the path is kept as typed instead of throwing.
 * @param {string} hash location.hash
 * @returns {{view: string, rest: string, params: URLSearchParams}}
 */
export function parseHash(hash) {
  const h = (hash || '').replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const path = q < 0 ? h : h.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : h.slice(q + 1));
  const slash = path.indexOf('/');
  const view = slash < 0 ? path : path.slice(0, slash);
  let rest = slash < 0 ? '' : path.slice(slash + 1);
  try { rest = decodeURIComponent(rest); } catch { /* not an escape: keep it */ }
  return { view, rest, params };
}

export const STATUSES = ['all', 'online', 'offline', 'unknown'];
export const KINDS = ['host', 'gateway', 'stargate'];
export const SORT_KEYS = ['id', 'kind', 'datacenter', 'status', 'lastSeen', 'firstSeen', 'availability'];
// Newest/oldest first is what one wants from a time column; everything else starts ascending
// (availability ascending = worst first).
const DESCENDING_FIRST = new Set(['lastSeen', 'firstSeen']);

/**
 * The devices list's state. `status` 'online' is the default when the address says nothing (offline
 * devices hidden, as Edge's explorer does); 'all' shows every status.
 * @typedef {{status: string, kind: string, datacenter: string, gateway: string, q: string,
 *            below: boolean, bbox: string, located: string, sort: string, cursor: string}} NodesState
 * `bbox` ('west,south,east,north') and `located` ('true'|'false'|'') come from the map: a
 * cluster's devices and the devices without a location.
 */

/** @type {NodesState} */
export const DEFAULT_NODES = Object.freeze({
  status: 'online', kind: '', datacenter: '', gateway: '', q: '', below: false, bbox: '', located: '',
  sort: 'id', cursor: '',
});

/** Four finite numbers, as the API's bbox parameter takes them (the API checks the ranges). */
export function validBbox(text) {
  const parts = String(text || '').split(',');
  return parts.length === 4 && parts.every(x => x.trim() !== '' && Number.isFinite(Number(x)));
}

function validSort(sort) {
  return SORT_KEYS.includes(sort.startsWith('-') ? sort.slice(1) : sort);
}

/**
 * Reads the devices list's state from the route's params; unknown or invalid values fall back to
 * the defaults (an edited address never breaks the view).
 * @param {URLSearchParams} params
 * @returns {NodesState}
 */
export function parseNodes(params) {
  const get = k => params.get(k) ?? '';
  const status = get('status');
  const kind = get('kind');
  const sort = get('sort');
  return {
    status: STATUSES.includes(status) ? status : DEFAULT_NODES.status,
    kind: KINDS.includes(kind) ? kind : '',
    datacenter: get('datacenter'),
    gateway: get('gateway'),
    q: get('q'),
    below: get('below') === '1',
    bbox: validBbox(get('bbox')) ? get('bbox') : '',
    located: ['true', 'false'].includes(get('located')) ? get('located') : '',
    sort: sort && validSort(sort) ? sort : DEFAULT_NODES.sort,
    cursor: get('cursor'),
  };
}

/**
 * The canonical params of a state: defaults left out, fields in a fixed order, so equal states
 * give equal addresses.
 * @param {NodesState} state
 * @returns {URLSearchParams}
 */
export function nodesParams(state) {
  const p = new URLSearchParams();
  if (state.status && state.status !== DEFAULT_NODES.status) p.set('status', state.status);
  if (state.kind) p.set('kind', state.kind);
  if (state.datacenter) p.set('datacenter', state.datacenter);
  if (state.gateway) p.set('gateway', state.gateway);
  if (state.q) p.set('q', state.q);
  if (state.below) p.set('below', '1');
  if (state.bbox) p.set('bbox', state.bbox);
  if (state.located) p.set('located', state.located);
  if (state.sort && state.sort !== DEFAULT_NODES.sort) p.set('sort', state.sort);
  if (state.cursor) p.set('cursor', state.cursor);
  return p;
}

/**
 * The address of a state: '#/nodes' or '#/nodes?status=offline&kind=host...'.
 * @param {Partial<NodesState>} state missing fields take their defaults
 * @returns {string}
 */
export function nodesHash(state) {
  const p = nodesParams({ ...DEFAULT_NODES, ...state }).toString();
  return '#/nodes' + (p ? '?' + p : '');
}

/**
 * A new state with `patch` applied. Any change other than the page itself starts again at the
 * first page: a cursor belongs to the filters and sort it was issued for.
 * @param {NodesState} state
 * @param {Partial<NodesState>} patch
 * @returns {NodesState}
 */
export function withChange(state, patch) {
  const next = { ...state, ...patch };
  if (!('cursor' in patch)) next.cursor = '';
  return next;
}

/**
 * The filters as the API names them (/api/nodes, /api/nodes/counts, /api/nodes.csv).
 * @param {NodesState} state
 * @param {{status?: boolean, sort?: boolean, page?: boolean, limit?: number}} [what]
 *        status: include the status filter (not for counts); sort; page: the cursor; limit
 * @returns {URLSearchParams}
 */
export function apiParams(state, what = {}) {
  const { status = true, sort = true, page = false, limit } = what;
  const p = new URLSearchParams();
  if (state.kind) p.set('kind', state.kind);
  if (status && state.status && state.status !== 'all') p.set('status', state.status);
  if (state.datacenter) p.set('datacenter', state.datacenter);
  if (state.gateway) p.set('gateway', state.gateway);
  if (state.q) p.set('q', state.q);
  if (state.below) p.set('belowTarget', 'true');
  if (state.bbox) p.set('bbox', state.bbox);
  if (state.located) p.set('located', state.located);
  if (sort && state.sort) p.set('sort', state.sort);
  if (limit) p.set('limit', String(limit));
  if (page && state.cursor) p.set('cursor', state.cursor);
  return p;
}

/** '/api/nodes?...' for one page of the list. */
export function listUrl(state, limit = 50) {
  return '/api/nodes?' + apiParams(state, { page: true, limit });
}

/** '/api/nodes/counts?...': the other filters, not the status (the status control's counts). */
export function countsUrl(state) {
  const p = apiParams(state, { status: false, sort: false }).toString();
  return '/api/nodes/counts' + (p ? '?' + p : '');
}

/** '/api/nodes.csv?...': every device the list's filters and sort match, no page. */
export function csvUrl(state) {
  const p = apiParams(state).toString();
  return '/api/nodes.csv' + (p ? '?' + p : '');
}

/**
 * The sort after clicking a column's header: the same column flips direction, another column
 * starts in its natural direction (time columns newest first).
 * @param {string} current e.g. 'id', '-lastSeen'
 * @param {string} key a SORT_KEYS entry
 * @returns {string}
 */
export function nextSort(current, key) {
  if (current === key) return '-' + key;
  if (current === '-' + key) return key;
  return DESCENDING_FIRST.has(key) ? '-' + key : key;
}

/**
 * The aria-sort value of a column under a sort.
 * @returns {'ascending'|'descending'|'none'}
 */
export function ariaSort(current, key) {
  if (current === key) return 'ascending';
  if (current === '-' + key) return 'descending';
  return 'none';
}
