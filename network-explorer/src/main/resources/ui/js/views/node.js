// One device: #/node/<id>?range=24h|7d|30d|90d. Its state and chain, availability over the range
// with how much time was observed, an SVG chart (axes in local time, the target line, gaps where
// nothing was observed), the state band from /timeline, outages computed from its events (paging
// to older ones), its relations (a gateway's hosts, a stargate's gateways) and its record as text.
import { api } from '../api.js';
import { h, s, statusTag, timeTag, heading } from './el.js';
import { relativeTime, localTime, pct, duration, num, subscribe } from './deps.js';
import { RANGES, rangeSpec, linear, timeTicks, tickLabel, availabilityPaths, noDataSpans, timelineRects, timelineTotals } from '../lib/chart.js';
import { outages, mergeEventPages } from '../lib/outages.js';

const EVENTS_PAGE = 200;
const CW = 1200, CH = 210, M = { l: 48, r: 12, t: 12, b: 28 };
const BAND_H = 26;
const STATE_LABEL = { online: 'online', offline: 'offline', unknown: 'unknown', nodata: 'no data' };

export async function render(root, route) {
  const id = route.rest;
  const range = RANGES.includes(route.params.get('range')) ? route.params.get('range') : '24h';
  const spec = rangeSpec(range);
  const enc = encodeURIComponent(id);
  const [n, buckets, timeline, firstEvents] = await Promise.all([
    api(`/api/nodes/${enc}`),
    api(`/api/nodes/${enc}/availability?range=${spec.bucket}&count=${spec.count}`),
    api(`/api/nodes/${enc}/timeline?range=${range}`).catch(e => ({ error: e.message })),
    api(`/api/nodes/${enc}/events?limit=${EVENTS_PAGE}`),
  ]);
  const to = timeline.to ? Date.parse(timeline.to) : Date.now();
  const from = timeline.from ? Date.parse(timeline.from) : to - spec.ms;

  const badge = h('span', { id: 'node-status' }, statusTag(n.status));
  const outs = outagesCard(id, firstEvents.items || []);
  root.append(...[
    h('div', { class: 'card node-head' },
      h('h2', { id: 'node-title', tabindex: '-1' }, h('span', { class: 'node-id' }, n.id), ' ', badge),
      h('p', { class: 'muted' }, `${n.kind} in ${n.datacenter ?? 'no datacenter'}`,
        n.city || n.country ? ` · ${[n.city, n.country].filter(Boolean).join(', ')}` : '',
        ' · status since ', timeTag(n.statusSince, relativeTime, localTime),
        ' · first seen ', timeTag(n.firstSeen, relativeTime, localTime),
        ' · last seen ', n.status === 'online' ? 'now' : timeTag(n.lastSeen, relativeTime, localTime)),
      chainNav(n.chain || [])),
    n.parseError ? h('p', { class: 'banner banner-unreachable', role: 'alert' }, 'The latest record could not be read: ', n.parseError) : null,
    rangeToggle(id, range),
    availabilityCard(n, range, buckets, timeline, from, to),
    outs.section,
    relations(n),
    recordCard(n, id, from, to)].filter(Boolean));

  // Live: this device's changes update its status and its outages/events in place.
  const unsubscribe = subscribe(({ event, node }) => {
    if (!event || event.deviceId !== id) return;
    if (node?.status) badge.replaceChildren(statusTag(node.status));
    outs.add(event);
  });
  return unsubscribe;
}

function chainNav(chain) {
  if (chain.length < 2) return null;
  const parts = [];
  chain.forEach((c, i) => {
    if (i) parts.push(h('span', { 'aria-hidden': 'true' }, ' → '));
    parts.push(h('a', { href: '#/node/' + encodeURIComponent(c.id) }, `${c.kind} ${c.id}`));
  });
  return h('nav', { class: 'chain', 'aria-label': 'Chain host to gateway to stargate' }, parts);
}

function rangeToggle(id, range) {
  return h('div', { class: 'range-toggle', role: 'group', 'aria-label': 'Time range' },
    RANGES.map(r => h('button', {
      type: 'button', 'data-range': r, 'aria-pressed': String(r === range),
      onclick: () => { location.hash = `#/node/${encodeURIComponent(id)}?range=${r}`; },
    }, r)));
}

function availabilityCard(n, range, body, timeline, from, to) {
  const a = n.availability || {};
  const share = a[range];
  const observed = a.observedMillis ? a.observedMillis[range] : null;
  const target = body.target ?? a.target;
  const summary = share == null
    ? `No data over the last ${range}: nothing was observed.`
    : `${pct(share)} over ${duration(observed)} observed in the last ${range}` + (target != null ? `; target ${pct(target)}.` : '.');
  const below = share != null && target != null && share < target;
  return h('section', { class: 'card', 'aria-labelledby': 'avail-title' },
    h('h3', { id: 'avail-title' }, `Availability, last ${range}`),
    h('p', { id: 'availability', class: below ? 'avail below' : 'avail' }, summary,
      below ? h('span', { class: 'st st-offline below-tag' }, 'below target') : null),
    chart(body.buckets || [], target, from, to),
    band(timeline, from, to));
}

function chart(buckets, target, from, to) {
  const x = linear([from, to], [M.l, CW - M.r]);
  const y = linear([0, 1], [CH - M.b, M.t]);
  const svg = s('svg', { id: 'chart', class: 'avail-chart', viewBox: `0 0 ${CW} ${CH}`, role: 'img', 'aria-labelledby': 'chart-desc' });
  for (const g of noDataSpans(buckets)) {
    svg.append(s('rect', { class: 'nodata', x: x(g.from), y: M.t, width: Math.max(1, x(g.to) - x(g.from)), height: CH - M.b - M.t }));
  }
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(s('line', { class: 'grid', x1: M.l, x2: CW - M.r, y1: y(v), y2: y(v) }),
      s('text', { class: 'tick y', x: M.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, `${v * 100} %`));
  }
  const span = to - from;
  for (const t of timeTicks(from, to, 8)) {
    svg.append(s('line', { class: 'tick-mark', x1: x(t), x2: x(t), y1: CH - M.b, y2: CH - M.b + 4 }),
      s('text', { class: 'tick x', x: x(t), y: CH - 8, 'text-anchor': 'middle' }, tickLabel(t, span)));
  }
  svg.append(s('line', { class: 'axis', x1: M.l, x2: CW - M.r, y1: CH - M.b, y2: CH - M.b }),
    s('line', { class: 'axis', x1: M.l, x2: M.l, y1: M.t, y2: CH - M.b }));
  const { line, area } = availabilityPaths(buckets, x, y);
  if (area) svg.append(s('path', { class: 'area', d: area }));
  if (line) svg.append(s('path', { class: 'line', d: line }));
  if (target != null) {
    svg.append(s('line', { class: 'target', id: 'target-line', x1: M.l, x2: CW - M.r, y1: y(target), y2: y(target) }),
      s('text', { class: 'target-label', x: CW - M.r - 4, y: y(target) - 4, 'text-anchor': 'end' }, `target ${pct(target)}`));
  }
  const withData = buckets.filter(b => b.online != null);
  const under = target == null ? 0 : withData.filter(b => b.online < target).length;
  const worst = withData.reduce((m, b) => (m == null || b.online < m.online ? b : m), null);
  const desc = h('p', { id: 'chart-desc', class: 'v-sr-only' },
    `Availability chart: ${buckets.length} buckets, ${withData.length} with data, ${buckets.length - withData.length} without;`
    + ` ${under} below target.` + (worst ? ` Lowest ${pct(worst.online)} from ${localTime(worst.from)}.` : ''));
  const table = h('details', { class: 'chart-data' }, h('summary', {}, 'Chart data as a table'),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'From'), h('th', { scope: 'col' }, 'To'),
      h('th', { scope: 'col', class: 'num' }, 'Online'), h('th', { scope: 'col', class: 'num' }, 'Observed'))),
    h('tbody', {}, buckets.map(b => h('tr', {}, h('td', {}, localTime(b.from)), h('td', {}, localTime(b.to)),
      h('td', { class: 'num' }, pct(b.online)), h('td', { class: 'num' }, duration(b.observedMillis)))))));
  return h('figure', { class: 'chart-fig' }, svg, desc, table);
}

function band(timeline, from, to) {
  if (timeline.error) return h('p', { class: 'muted', id: 'timeline-error' }, 'State timeline unavailable: ', timeline.error);
  const x = linear([from, to], [M.l, CW - M.r]);
  const svg = s('svg', { id: 'timeline', class: 'band', viewBox: `0 0 ${CW} ${BAND_H}`, role: 'img', 'aria-labelledby': 'band-desc' });
  for (const r of timelineRects(timeline.segments, from, to, x)) {
    svg.append(s('rect', { class: `seg seg-${r.status}`, x: r.x, y: 2, width: r.w, height: BAND_H - 4 },
      s('title', {}, `${STATE_LABEL[r.status] ?? r.status}: ${localTime(r.from)} – ${localTime(r.to)} (${duration(r.to - r.from)})`)));
  }
  const totals = timelineTotals(timeline.segments, from, to);
  const legend = h('ul', { class: 'legend', id: 'band-desc' },
    ['online', 'offline', 'unknown', 'nodata'].map(st => h('li', { class: `leg leg-${st}` },
      `${STATE_LABEL[st]} ${duration(totals[st] || 0)}`)));
  return h('div', { class: 'band-wrap' }, h('h4', {}, 'State over the range'), svg, legend);
}

function outagesCard(id, firstPage) {
  let events = firstPage;
  let exhausted = firstPage.length < EVENTS_PAGE;
  const tbody = h('tbody', {});
  const evList = h('ol', { id: 'events', class: 'events' });
  const count = h('p', { class: 'muted', id: 'outage-count' });
  const older = h('button', { type: 'button', id: 'older' }, 'Older events');
  const paint = () => {
    const list = outages(events, Date.now());
    tbody.replaceChildren(...(list.length ? list.map(o => h('tr', { class: o.ongoing ? 'ongoing' : null },
      h('td', {}, timeTag(new Date(o.start).toISOString(), relativeTime, localTime)),
      h('td', {}, o.ongoing ? h('strong', { class: 'st st-offline' }, 'ongoing') : timeTag(new Date(o.end).toISOString(), relativeTime, localTime)),
      h('td', { class: 'num' }, duration(o.durationMs)),
      h('td', {}, statusTag(o.worst.toLowerCase())))) : [h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No outage in the events loaded.'))]));
    const oldest = events.length ? events[events.length - 1] : null;
    count.textContent = `${list.length} outage${list.length === 1 ? '' : 's'} in ${num(events.length)} events`
      + (oldest ? ` since ${localTime(oldest.at)}` : '') + (exhausted ? ' (all events).' : '.');
    evList.replaceChildren(...(events.length ? events.map(e => h('li', { 'data-seq': e.seq },
      h('span', { class: `ev ev-${e.type}` }, e.type), ' ', timeTag(e.at, relativeTime, localTime), ' ',
      h('span', { class: 'muted' }, e.datacenter ?? ''), e.detail ? [' — ', e.detail] : null))
      : [h('li', { class: 'muted' }, 'No events.')]));
    older.disabled = exhausted;
  };
  older.addEventListener('click', async () => {
    if (!events.length) return;
    older.disabled = true;
    try {
      const before = events[events.length - 1].seq;
      const page = await api(`/api/nodes/${encodeURIComponent(id)}/events?before=${before}&limit=${EVENTS_PAGE}`);
      exhausted = (page.items || []).length < EVENTS_PAGE;
      events = mergeEventPages(events, page.items || []);
    } catch (e) {
      count.textContent = 'Older events failed: ' + e.message;
    }
    paint();
  });
  paint();
  const section = h('section', { class: 'card', 'aria-labelledby': 'outages-title' },
    h('h3', { id: 'outages-title' }, 'Outages'), count,
    h('table', { id: 'outages' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Start'), h('th', { scope: 'col' }, 'End'),
      h('th', { scope: 'col', class: 'num' }, 'Duration'), h('th', { scope: 'col' }, 'State'))), tbody),
    h('details', { class: 'events-details' }, h('summary', {}, 'Events'), evList),
    h('p', {}, older));
  // A live event for this device (render's subscription) joins the loaded ones.
  const add = event => { events = mergeEventPages([event], events); paint(); };
  return { section, add };
}

function relations(n) {
  const box = h('section', { class: 'card', id: 'relations', 'aria-labelledby': 'rel-title' });
  const c = n.hosts;
  const countsLine = (label, counts) => counts
    ? h('p', {}, `${label}: `, h('span', { class: 'n n-online' }, `${num(counts.online)} online`), ' · ',
      h('span', { class: 'n n-offline' }, `${num(counts.offline)} offline`), ' · ', h('span', { class: 'n n-unknown' }, `${num(counts.unknown)} unknown`))
    : null;
  let query = null, all = null, title = null;
  if (n.kind === 'gateway') {
    title = 'Connected hosts';
    query = `/api/nodes?gateway=${encodeURIComponent(n.id)}&sort=status&limit=20`;
    all = `#/nodes?gateway=${encodeURIComponent(n.id)}&status=all`;
    box.append(h('h3', { id: 'rel-title' }, title), countsLine('Hosts', c));
  } else if (n.kind === 'stargate') {
    title = 'Gateways of this datacenter';
    query = `/api/nodes?kind=gateway&datacenter=${encodeURIComponent(n.datacenter ?? '')}&sort=status&limit=20`;
    all = `#/nodes?kind=gateway&datacenter=${encodeURIComponent(n.datacenter ?? '')}&status=all`;
    box.append(h('h3', { id: 'rel-title' }, title), countsLine('Gateways', n.gateways), countsLine('Hosts', c));
  } else {
    return null;
  }
  const table = h('table', { id: 'related' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Device'), h('th', { scope: 'col' }, 'Status'),
    h('th', { scope: 'col' }, 'Location'), h('th', { scope: 'col' }, 'Last seen'))), h('tbody', {}, h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'Loading…'))));
  const more = h('p', {});
  box.append(table, more);
  api(query).then(page => {
    table.tBodies[0].replaceChildren(...(page.items.length ? page.items.map(d => h('tr', { 'data-id': d.id },
      h('td', {}, h('a', { href: '#/node/' + encodeURIComponent(d.id) }, d.id)), h('td', {}, statusTag(d.status)),
      h('td', {}, [d.city, d.country].filter(Boolean).join(', ') || '—'),
      h('td', {}, d.status === 'online' ? 'now' : timeTag(d.lastSeen, relativeTime, localTime))))
      : [h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'None.'))]));
    more.replaceChildren(h('a', { href: all, id: 'related-all' }, `All ${page.totalIsLowerBound ? 'of more than ' : ''}${num(page.total)} in the device list`));
  }).catch(e => { table.tBodies[0].replaceChildren(h('tr', {}, h('td', { colspan: 4, class: 'error' }, e.message))); });
  return box;
}

function recordCard(n, id, from, to) {
  const csv = `/api/nodes/${encodeURIComponent(id)}/events.csv?from=${encodeURIComponent(new Date(from).toISOString())}`
    + `&to=${encodeURIComponent(new Date(to).toISOString())}`;
  const labels = Object.entries(n.labels || {});
  return h('section', { class: 'card', 'aria-labelledby': 'record-title' },
    h('h3', { id: 'record-title' }, 'Record'),
    h('p', {}, h('a', { href: csv, id: 'events-csv', download: 'events.csv' }, 'Events of this range as CSV')),
    labels.length ? h('dl', { class: 'labels' }, labels.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])) : null,
    h('pre', { id: 'record' }, n.record == null ? 'No readable record.' : JSON.stringify(n.record, null, 2)));
}
