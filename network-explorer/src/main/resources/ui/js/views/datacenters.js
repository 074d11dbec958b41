// Datacenters: devices by kind and status, replicate's state and any problem, and per datacenter
// its gateways with their hosts by status (loaded when asked: one request per datacenter opened).
// Every name is text and every link is an encoded address: a datacenter name is data, never code.
import { api } from '../api.js';
import { h, heading, badge, notice } from '../dom.js';
import { duration, num } from '../lib/format.js';
import { nodesHash } from '../lib/urlstate.js';
import * as live from '../live.js';

// The datacenters' counts follow the stream: the first change after a quiet spell at once (after a
// short batch), then at most one re-read per COUNTS_GAP_MS (a GROUP BY over every device each time).
const COUNTS_MS = 1000;
const COUNTS_GAP_MS = 10000;

const PROBLEMS = {
  unreachable: 'Unreachable: replicate cannot read this datacenter',
  silent: 'Silent: no replicate beat within --replicate-silence',
};

export async function render(root) {
  root.append(heading('Datacenters'));
  let body;
  try {
    body = await api('/api/datacenters');
  } catch (e) {
    root.append(notice('Could not load datacenters: ' + e.message, true));
    return;
  }
  const items = body.items || [];
  if (!items.length) {
    root.append(h('div', { class: 'card' }, notice('No datacenter has been seen yet.')));
    return;
  }
  const tbody = h('tbody');
  const cols = 8;
  const trios = new Map(); // datacenter -> kind -> its count cell, which live counts repaint
  for (const d of items) {
    const cells = {};
    trios.set(d.datacenter, cells);
    const trio = kind => (cells[kind] = paintTrio(h('td'), d, kind));
    const r = d.replicate || null;
    const replicateState = r ? (r.state || (r.reachable === false ? 'unreachable' : r.reachable ? 'reachable' : '—')) : '—';
    const problem = d.problem || (r && r.reachable === false ? 'unreachable' : null);
    const detailId = 'gw-' + Math.random().toString(36).slice(2);
    const toggle = h('button', { type: 'button', class: 'link-button', 'aria-expanded': 'false', 'aria-controls': detailId },
      'Hosts per gateway');
    const detailRow = h('tr', { class: 'detail', id: detailId, hidden: true }, h('td', { colspan: String(cols) }));
    toggle.addEventListener('click', async () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      detailRow.hidden = !open;
      if (open && !detailRow.dataset.loaded) {
        detailRow.dataset.loaded = 'true';
        await gateways(d.datacenter, detailRow.firstChild);
      }
    });
    tbody.append(h('tr', { dataset: { dc: d.datacenter } },
      h('th', { scope: 'row' }, h('a', { href: '#/nodes?status=all&datacenter=' + encodeURIComponent(d.datacenter), class: 'dc-link' }, d.datacenter)),
      h('td', null, replicateState),
      h('td', null, r && r.lagMillis != null ? duration(r.lagMillis) : h('span', { class: 'muted' }, '—')),
      h('td', null, problem ? h('span', { class: 'tag bad', title: PROBLEMS[problem] || problem }, problem) : h('span', { class: 'muted' }, 'none')),
      trio('stargate'),
      trio('gateway'),
      trio('host'),
      h('td', null, toggle)),
      detailRow);
  }
  const problems = items.filter(d => d.problem);
  root.append(
    problems.length
      ? h('div', { class: 'banner', role: 'alert' }, problems.map(d =>
          h('p', null, h('strong', null, d.datacenter), ': ', PROBLEMS[d.problem] || d.problem)))
      : null,
    h('div', { class: 'card' }, h('div', { class: 'table-wrap' }, h('table', { id: 'dcs' },
      h('caption', { class: 'visually-hidden' }, 'Datacenters, their replicate state and devices (online / offline / unknown)'),
      h('thead', null, h('tr', null,
        ['Datacenter', 'Replicate', 'Lag', 'Problem', 'Stargates', 'Gateways', 'Hosts'].map(t => h('th', { scope: 'col' }, t)),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Details')))),
      tbody)),
    h('p', { class: 'muted small' }, 'Counts read online / offline / unknown.')));

  // Counts move with the stream's `counts` events (see COUNTS_GAP_MS; no timer otherwise).
  let pending = null;
  let lastAt = 0;
  let initial = true;
  const unCounts = live.onCounts(() => {
    if (initial || pending) return;
    pending = setTimeout(async () => {
      pending = null;
      lastAt = Date.now();
      try {
        for (const d of (await api('/api/datacenters')).items || []) {
          const cells = trios.get(d.datacenter);
          if (cells) for (const kind of Object.keys(cells)) paintTrio(cells[kind], d, kind);
        }
      } catch { /* the next counts event tries again */ }
    }, Math.max(COUNTS_MS, lastAt + COUNTS_GAP_MS - Date.now()));
  });
  initial = false;
  return () => { unCounts(); clearTimeout(pending); };
}

/** Fills a cell with a kind's online / offline / unknown counts in a datacenter. */
function paintTrio(td, d, kind) {
  const n = status => num(d.devices?.[kind]?.[status] || 0);
  td.replaceChildren(h('span', { class: 'trio' },
    h('span', { class: 'online-text' }, n('online')), ' / ',
    h('span', { class: 'offline-text' }, n('offline')), ' / ',
    h('span', { class: 'unknown-text' }, n('unknown'))));
  return td;
}

/** The gateways of one datacenter with their hosts by status, each count a link to those hosts. */
async function gateways(dc, cell) {
  cell.replaceChildren(notice('Loading gateways…'));
  let body;
  try {
    body = await api('/api/datacenters/' + encodeURIComponent(dc) + '/gateways');
  } catch (e) {
    cell.replaceChildren(notice('Could not load the gateways of ' + dc + ': ' + e.message, true));
    return;
  }
  const items = body.items || [];
  if (!items.length) {
    cell.replaceChildren(notice('No gateway in ' + dc + '.'));
    return;
  }
  const link = (gateway, status, n) => h('a', { href: nodesHash({ gateway, status }), class: status + '-text' },
    num(n ?? 0), h('span', { class: 'visually-hidden' }, ' ' + status));
  cell.replaceChildren(h('table', { class: 'gateways' },
    h('caption', null, 'Gateways of ' + dc + ' and their hosts'),
    h('thead', null, h('tr', null, ['Gateway', 'Status', 'Hosts online', 'Offline', 'Unknown', 'All hosts'].map(t => h('th', { scope: 'col' }, t)))),
    h('tbody', null, items.map(g => h('tr', { dataset: { gateway: g.id } },
      h('td', null, h('a', { href: '#/node/' + encodeURIComponent(g.id), class: 'id' }, g.id)),
      h('td', null, badge(g.status)),
      h('td', null, link(g.id, 'online', g.hosts?.online)),
      h('td', null, link(g.id, 'offline', g.hosts?.offline)),
      h('td', null, link(g.id, 'unknown', g.hosts?.unknown)),
      h('td', null, h('a', { href: nodesHash({ gateway: g.id, status: 'all' }), class: 'hosts-link' }, 'list')))))));
}
