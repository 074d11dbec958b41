// Datacenters: devices by kind and status, replicate's state and any problem, and per datacenter
// its gateways with their hosts by status (loaded when asked: one request per datacenter opened).
// Every name is text and every link is an encoded address: a datacenter name is data, never code.
import { api } from '../api.js';
import { h, heading, badge, notice } from '../dom.js';
import { duration, num } from '../lib/format.js';
import { nodesHash } from '../lib/urlstate.js';

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
  for (const d of items) {
    const counts = (kind, status) => (d.devices?.[kind]?.[status]) || 0;
    const trio = kind => h('span', { class: 'trio' },
      h('span', { class: 'online-text' }, num(counts(kind, 'online'))), ' / ',
      h('span', { class: 'offline-text' }, num(counts(kind, 'offline'))), ' / ',
      h('span', { class: 'unknown-text' }, num(counts(kind, 'unknown'))));
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
      h('th', { scope: 'row' }, h('a', { href: '#/nodes?datacenter=' + encodeURIComponent(d.datacenter), class: 'dc-link' }, d.datacenter)),
      h('td', null, replicateState),
      h('td', null, r && r.lagMillis != null ? duration(r.lagMillis) : h('span', { class: 'muted' }, '—')),
      h('td', null, problem ? h('span', { class: 'tag bad', title: PROBLEMS[problem] || problem }, problem) : h('span', { class: 'muted' }, 'none')),
      h('td', null, trio('stargate')),
      h('td', null, trio('gateway')),
      h('td', null, trio('host')),
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
