// The UI's router: the address is the state. '#/<view>/<rest>?<params>' picks a view module and
// hands it the parsed route; a view renders into <main> and may return a cleanup function (its
// live subscriptions, timers) that runs before the next route renders.
import * as overview from './views/overview.js';
import * as nodes from './views/nodes.js';
import * as node from './views/node.js';
import * as map from './views/map.js';
import * as datacenters from './views/datacenters.js';
import { mountUser } from './session.js';
import { parseHash } from './lib/urlstate.js';
import { num } from './lib/format.js';
import { api } from './api.js';
import * as live from './live.js';
import { initTheme, mountThemeToggle } from './theme.js';

export { parseHash };

const views = { '': overview, nodes, node, map, datacenters };
const navIds = { '': 'nav-overview', nodes: 'nav-nodes', map: 'nav-map', datacenters: 'nav-dcs', node: null };

let cleanup = null;
let generation = 0;

/**
 * Renders the view the address names. `focus` false keeps the focus where it is (a reload of the
 * same view after a live `reset`).
 */
async function route(focus = true) {
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
  root.setAttribute('aria-busy', 'true');
  try {
    const c = await views[view].render(root, r);
    if (mine === generation) cleanup = typeof c === 'function' ? c : null; else if (typeof c === 'function') c();
  } catch (e) {
    if (mine === generation) {
      const div = document.createElement('div');
      div.className = 'card error';
      div.setAttribute('role', 'alert');
      div.textContent = e.message;
      root.replaceChildren(div);
    }
  }
  if (mine !== generation) return;
  root.removeAttribute('aria-busy');
  // Focus moves to the new view's heading so screen readers announce the route change.
  if (focus) (root.querySelector('h2') || root).focus({ preventScroll: true });
}

function showSummary(s) {
  const el = document.getElementById('summary');
  if (!s || s.devices == null) { el.textContent = ''; return; }
  const offline = Object.values(s.byKind || {}).reduce((n, k) => n + (k.offline || 0), 0);
  el.textContent = `${num(s.devices)} devices · ${num(offline)} offline · ${num(s.datacenters)} datacenters`;
}

// The skip link's '#view' would be read as a route: move focus to the content instead.
document.querySelector('a.skip').addEventListener('click', e => {
  e.preventDefault();
  document.getElementById('view').focus();
});

initTheme();
mountThemeToggle(document.getElementById('theme-slot'));
live.mountIndicator(document.getElementById('live-slot'));
// The header summary is fed by the stream's `counts` events; one request fills it until the first
// one arrives (and keeps it filled where the stream is unavailable). No polling timer.
live.onCounts(showSummary);
api('/api/summary').then(s => { if (!document.getElementById('summary').textContent) showSummary(s); }).catch(() => {});
live.onReset(() => route(false));
live.start();

window.addEventListener('hashchange', () => route());
route();
mountUser(document.getElementById('user-slot'));
