// The UI's router: the address is the state. '#/<view>/<rest>?<params>' picks a view module and
// hands it the parsed route; a view renders into <main> and may return a cleanup function (its
// live subscriptions, timers) that runs before the next route renders.
import * as overview from './views/overview.js';
import * as nodes from './views/nodes.js';
import * as node from './views/node.js';
import * as map from './views/map.js';
import * as datacenters from './views/datacenters.js';
import { mountUser } from './session.js';

const views = { '': overview, nodes, node, map, datacenters };
const navIds = { '': 'nav-overview', nodes: 'nav-nodes', map: 'nav-map', datacenters: 'nav-dcs', node: null };

/** '#/node/abc?range=7d' -> { view: 'node', rest: 'abc', params: URLSearchParams('range=7d') } */
export function parseHash(hash) {
  const h = (hash || '').replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const path = q < 0 ? h : h.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : h.slice(q + 1));
  const slash = path.indexOf('/');
  const view = slash < 0 ? path : path.slice(0, slash);
  const rest = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1));
  return { view, rest, params };
}

let cleanup = null;
let generation = 0;

async function route() {
  const r = parseHash(location.hash);
  const view = views[r.view] ? r.view : '';
  for (const a of document.querySelectorAll('nav a')) {
    const active = a.id === navIds[view];
    a.classList.toggle('active', active);
    if (active) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  if (cleanup) { try { cleanup(); } catch (e) { console.warn('view cleanup failed', e); } cleanup = null; }
  const root = document.getElementById('view');
  const mine = ++generation;
  root.replaceChildren();
  try {
    const c = await views[view].render(root, r);
    if (mine === generation) cleanup = typeof c === 'function' ? c : null; else if (typeof c === 'function') c();
  } catch (e) {
    const div = document.createElement('div');
    div.className = 'card error';
    div.setAttribute('role', 'alert');
    div.textContent = e.message;
    root.replaceChildren(div);
  }
  // Focus moves to the new view's heading so screen readers announce the route change.
  if (mine === generation) (root.querySelector('h2') || root).focus({ preventScroll: true });
}

window.addEventListener('hashchange', route);
route();
mountUser(document.getElementById('user-slot'));
