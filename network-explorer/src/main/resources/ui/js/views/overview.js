// The landing page: what is wrong right now. Banners for datacenters replicate cannot read or has
// gone silent on, devices by kind × status per datacenter, the devices furthest below their
// target, and the latest changes network-wide (live), from GET /api/overview.
import { api } from '../api.js';
import { h, statusTag, timeTag, heading } from './el.js';
import { relativeTime, localTime, pct, num, subscribe } from './deps.js';

const KINDS = ['host', 'gateway', 'stargate'];
const STATUSES = ['online', 'offline', 'unknown'];
const LATEST = 20;
const BELOW_SHOWN = 10; // the worst ten; the link lists them all

const PROBLEMS = {
  unreachable: 'replicate cannot read this datacenter: its devices show unknown until it answers again.',
  silent: 'no replicate beat from this datacenter: its replica is frozen and its devices show unknown.',
};

const nodesHash = params => '#/nodes?' + new URLSearchParams(params).toString();

export async function render(root) {
  const o = await api('/api/overview');
  const title = heading('Overview', 'overview-title');

  const banners = h('div', { id: 'problems' },
    (o.datacenters || []).filter(d => d.problem).map(d =>
      h('div', { class: `banner banner-${d.problem}`, role: 'alert', 'data-dc': d.datacenter },
        h('strong', {}, `Datacenter ${d.datacenter} is ${d.problem}: `), PROBLEMS[d.problem] || '',
        ' ', h('a', { href: nodesHash({ datacenter: d.datacenter, status: 'all' }) }, 'Its devices'))));

  root.append(title, banners,
    h('div', { class: 'ov-grid' },
      countsCard(o.datacenters || []),
      belowCard(o.belowTarget || { total: 0, items: [] }, o.targets || {})),
    latestCard(o.latest || []),
    reportCard());

  // Live: a change goes on top of the latest list; the counts are re-read at most every 5 s.
  const list = root.querySelector('#latest');
  let pending = null;
  let lastAt = 0;
  const unsubscribe = subscribe(({ event, node }) => {
    if (!event) return;
    list.querySelector('.empty')?.remove();
    list.prepend(eventItem({ ...event, kind: event.kind ?? node?.kind }));
    while (list.children.length > LATEST) list.lastElementChild.remove();
    if (!pending) {
      // The first change after a quiet spell at once (batched 1 s), then one /api/overview per 10 s
      // at most: a busy network costs each open overview little.
      pending = setTimeout(async () => {
        pending = null;
        lastAt = Date.now();
        try {
          const fresh = await api('/api/overview');
          root.querySelector('#dc-counts')?.replaceWith(countsCard(fresh.datacenters || []));
        } catch { /* the next change retries */ }
      }, Math.max(1000, lastAt + 10000 - Date.now()));
    }
  });
  return () => { unsubscribe(); clearTimeout(pending); };
}

function countsCard(dcs) {
  const head = h('tr', {}, h('th', { scope: 'col' }, 'Datacenter'),
    KINDS.map(k => h('th', { scope: 'col', class: 'num' }, `${k[0].toUpperCase()}${k.slice(1)}s`)));
  const totals = Object.fromEntries(KINDS.map(k => [k, { online: 0, offline: 0, unknown: 0 }]));
  const rows = dcs.map(d => {
    return h('tr', { 'data-dc': d.datacenter, class: d.problem ? 'has-problem' : null },
      h('th', { scope: 'row' }, h('a', { href: nodesHash({ datacenter: d.datacenter, status: 'all' }) }, d.datacenter),
        d.problem ? h('span', { class: 'st st-unknown dc-problem' }, d.problem) : null),
      KINDS.map(k => {
        const c = (d.devices || {})[k] || {};
        STATUSES.forEach(st => { totals[k][st] += c[st] || 0; });
        return countsCell(c, { kind: k, datacenter: d.datacenter });
      }));
  });
  const foot = h('tr', { class: 'totals' }, h('th', { scope: 'row' }, 'All datacenters'),
    KINDS.map(k => countsCell(totals[k], { kind: k })));
  return h('section', { class: 'card', id: 'dc-counts', 'aria-labelledby': 'dc-counts-title' },
    h('h3', { id: 'dc-counts-title' }, 'Devices by datacenter'),
    h('p', { class: 'muted' }, 'Each cell: online / offline / unknown; a number opens those devices.'),
    h('table', { class: 'counts' }, h('thead', {}, head), h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No datacenter seen yet.'))),
      h('tfoot', {}, foot)));
}

function countsCell(c, filter) {
  const parts = [];
  STATUSES.forEach((st, i) => {
    if (i) parts.push(' / ');
    const n = c[st] || 0;
    parts.push(n ? h('a', { href: nodesHash({ ...filter, status: st }), class: `n n-${st}`, 'aria-label': `${num(n)} ${st}` }, num(n))
      : h('span', { class: 'n n-zero', 'aria-label': `0 ${st}` }, '0'));
  });
  return h('td', { class: 'num' }, parts);
}

function belowCard(below, targets) {
  const items = (below.items || []).slice(0, BELOW_SHOWN);
  const targetText = Object.entries(targets).map(([k, t]) => `${k} ${pct(t)}`).join(', ');
  return h('section', { class: 'card', id: 'below', 'aria-labelledby': 'below-title' },
    h('h3', { id: 'below-title' }, `Below target: ${below.totalIsLowerBound ? 'more than ' : ''}${num(below.total || 0)} device${below.total === 1 ? '' : 's'}`),
    targetText ? h('p', { class: 'muted' }, `24 h availability against the target per kind (${targetText}).`) : null,
    items.length
      ? h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Device'), h('th', { scope: 'col' }, 'Kind'),
          h('th', { scope: 'col' }, 'Datacenter'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col', class: 'num' }, '24 h'))),
        h('tbody', {}, items.map(n => h('tr', { 'data-id': n.id },
          h('td', {}, h('a', { href: '#/node/' + encodeURIComponent(n.id) }, n.id)), h('td', {}, n.kind), h('td', {}, n.datacenter ?? '—'),
          h('td', {}, statusTag(n.status)), h('td', { class: 'num' }, pct(n.availability24h))))))
      : h('p', { class: 'muted' }, 'Every device with observed time meets its target.'),
    h('p', {}, h('a', { href: nodesHash({ below: '1', status: 'all', sort: 'availability' }), id: 'below-link' },
      `All ${num(below.total || 0)} devices below target`)));
}

function eventItem(e) {
  return h('li', { 'data-seq': e.seq },
    h('span', { class: `ev ev-${e.type}` }, e.type), ' ',
    h('a', { href: '#/node/' + encodeURIComponent(e.deviceId) }, e.deviceId), ' ',
    e.kind ? h('span', { class: 'muted' }, e.kind, ' · ') : null,
    h('span', { class: 'muted' }, e.datacenter ?? ''), ' ',
    timeTag(e.at, relativeTime, localTime),
    e.detail ? h('span', { class: 'detail' }, ' — ', e.detail) : null);
}

function latestCard(latest) {
  return h('section', { class: 'card', 'aria-labelledby': 'latest-title' },
    h('h3', { id: 'latest-title' }, 'Latest changes'),
    h('ol', { id: 'latest', class: 'events', 'aria-live': 'polite' },
      latest.length ? latest.map(eventItem) : h('li', { class: 'muted empty' }, 'No events yet.')));
}

function reportCard() {
  return h('section', { class: 'card', 'aria-labelledby': 'report-title' },
    h('h3', { id: 'report-title' }, 'Availability report'),
    h('p', {}, 'Per kind and datacenter: devices observed, mean availability, how many are below target (CSV): ',
      ['24h', '7d', '30d', '90d'].map((r, i) => [i ? ' · ' : '',
        h('a', { href: '/api/report/availability.csv?range=' + r, download: `availability-${r}.csv`, class: 'report-link' }, r)])));
}
