// The world map: #/map?kind=&status=&zoom=&lat=&lon=. An offline SVG world (Natural Earth
// projection, vendored countries), devices clustered by the server (/api/map: its answer is bounded
// by cells, not devices) drawn as circles sized by count with a status ring (offline red) and the
// count; zoom with the buttons, the wheel or a drag re-queries the visible bbox; hovering or
// focusing a small cluster draws host → gateway → stargate lines (/api/map/links); a click opens the
// device list filtered to that cell. Devices without a location are counted and linked.
import { api } from '../api.js';
import { h, s, heading } from './el.js';
import { num, subscribe } from './deps.js';
import { geoNaturalEarth1, geoPath, geoGraticule10 } from '../../vendor/d3-geo/d3-geo.js';
import { feature } from '../../vendor/topojson-client/index.js';
import { viewState, fitProjection, bboxFromView, toScreen, clusterRadius, statusSlices, ringPath, describeCell,
  clusterListHash, unlocatedListHash, linkLines, zoomAround } from '../lib/geo.js';

const W = 1200, H = 620;
const LINKS_UP_TO = 5; // clusters this small draw their devices' chains on hover
const KINDS = ['', 'host', 'gateway', 'stargate'];
const STATUSES = ['', 'online', 'offline', 'unknown'];

let worldPromise = null;
function world() {
  worldPromise ??= fetch('/vendor/world-atlas/countries-110m.json')
    .then(r => { if (!r.ok) throw new Error('world map data: ' + r.status); return r.json(); })
    .then(topo => feature(topo, topo.objects.countries))
    .catch(e => { worldPromise = null; throw e; });
  return worldPromise;
}

export async function render(root, route) {
  const p = route.params;
  const filters = {
    kind: KINDS.includes(p.get('kind')) ? p.get('kind') : '',
    status: STATUSES.includes(p.get('status')) ? p.get('status') : '',
  };
  let view = viewState({ zoom: p.get('zoom'), lat: p.get('lat'), lon: p.get('lon') });
  const countries = await world();

  const svg = s('svg', { id: 'map', class: 'map', viewBox: `0 0 ${W} ${H}`, 'aria-labelledby': 'map-title map-desc', role: 'group' });
  const gWorld = s('g', { class: 'world', 'aria-hidden': 'true' });
  const gLinks = s('g', { class: 'links', 'aria-hidden': 'true' });
  const gCells = s('g', { class: 'cells' });
  svg.append(gWorld, gLinks, gCells);
  const status = h('p', { id: 'map-status', class: 'muted', role: 'status' }, 'Loading…');
  const unlocated = h('p', { id: 'unlocated' });
  const textAlt = h('table', { id: 'map-cells', class: 'v-sr-only' });
  const desc = h('p', { id: 'map-desc', class: 'v-sr-only' }, 'World map of devices clustered by area; each cluster is a link to the device list for that area. The same clusters are listed in a table after the map.');

  const select = (id, label, options, value, key) => {
    const sel = h('select', { id },
      options.map(o => h('option', { value: o, selected: o === value || null }, o === '' ? 'all' : o)));
    sel.addEventListener('change', () => { filters[key] = sel.value; replaceAddress(); load(); });
    return h('label', { for: id }, label, ' ', sel);
  };
  const zoomBtn = (id, label, text, delta) => h('button', { type: 'button', id, 'aria-label': label, onclick: () => zoomBy(delta) }, text);

  root.append(
    heading('Map', 'map-title'),
    h('div', { class: 'filters map-filters' },
      select('m-kind', 'Kind', KINDS, filters.kind, 'kind'),
      select('m-status', 'Status', STATUSES, filters.status, 'status'),
      h('span', { class: 'zoom-btns', role: 'group', 'aria-label': 'Zoom' },
        zoomBtn('zoom-in', 'Zoom in', '+', 1), zoomBtn('zoom-out', 'Zoom out', '−', -1),
        h('button', { type: 'button', id: 'zoom-reset', onclick: () => { view = viewState({}); replaceAddress(); draw(); load(); } }, 'Whole world')),
      legend()),
    h('div', { class: 'card map-card' }, svg, desc, status, unlocated),
    textAlt);

  let projection = fitProjection(geoNaturalEarth1(), W, H, view);
  let cells = [];
  let generation = 0;

  function replaceAddress() {
    const q = new URLSearchParams();
    if (filters.kind) q.set('kind', filters.kind);
    if (filters.status) q.set('status', filters.status);
    if (view.zoom) q.set('zoom', String(view.zoom));
    // One screen pixel is about 0.36° / 2^zoom: keep enough digits that a reload lands on the same view.
    const digits = Math.min(6, 2 + Math.ceil(view.zoom / 3));
    q.set('lat', view.lat.toFixed(digits));
    q.set('lon', view.lon.toFixed(digits));
    // replaceState: the address follows the view without a hashchange re-rendering it.
    history.replaceState(null, '', '#/map?' + q.toString());
  }

  function draw() {
    projection = fitProjection(geoNaturalEarth1(), W, H, view);
    const path = geoPath(projection);
    gWorld.replaceChildren(
      s('path', { class: 'sphere', d: path({ type: 'Sphere' }) }),
      s('path', { class: 'graticule', d: path(geoGraticule10()) }),
      ...countries.features.map(f => s('path', { class: 'country', d: path(f) }, s('title', {}, f.properties?.name ?? ''))));
    drawCells();
  }

  function drawCells() {
    gLinks.replaceChildren();
    const max = cells.reduce((m, c) => Math.max(m, c.count), 1);
    const shown = [];
    for (const c of cells) {
      const at = toScreen(projection, c.lon, c.lat, W, H);
      if (at) shown.push({ c, at });
    }
    // Big clusters first, so small ones stay on top and clickable.
    shown.sort((a, b) => b.c.count - a.c.count);
    gCells.replaceChildren(...shown.map(({ c, at }) => cluster(c, at, max)));
  }

  function cluster(c, [x, y], max) {
    const r = clusterRadius(c.count, max);
    const ring = Math.max(3, r * 0.28);
    const label = describeCell(c) + '. Open the list.';
    const a = s('a', { href: clusterListHash(c, filters), class: 'cluster' + (c.offline ? ' has-offline' : ''), 'aria-label': label,
      'data-count': c.count, 'data-lat': c.lat, 'data-lon': c.lon },
      s('title', {}, describeCell(c)),
      s('circle', { class: 'core', cx: x, cy: y, r }),
      ...statusSlices(c).map(sl => s('path', { class: `slice slice-${sl.status}`, d: ringPath(x, y, r - ring, r, sl.a0, sl.a1) })),
      s('text', { class: 'count', x, y: y + 4, 'text-anchor': 'middle' }, c.count > 9999 ? `${Math.round(c.count / 1000)}k` : String(c.count)));
    if (c.count <= LINKS_UP_TO) {
      const show = () => showLinks(c);
      a.addEventListener('mouseenter', show);
      a.addEventListener('focus', show);
      a.addEventListener('mouseleave', () => gLinks.replaceChildren());
      a.addEventListener('blur', () => gLinks.replaceChildren());
    }
    return a;
  }

  // A cell carries no device ids: list the cell's devices (bbox), keep those really inside it,
  // then ask each one's links.
  let linkGen = 0;
  async function showLinks(c) {
    const mine = ++linkGen;
    try {
      const q = new URLSearchParams({ bbox: c.bbox.join(','), limit: String(LINKS_UP_TO) });
      if (filters.kind) q.set('kind', filters.kind);
      if (filters.status) q.set('status', filters.status);
      const page = await api('/api/nodes?' + q);
      const [w, so, e, n] = c.bbox;
      const ids = page.items.filter(d => d.lat != null && d.lon != null && d.lon >= w && d.lon < e && d.lat >= so && d.lat < n).map(d => d.id);
      const answers = await Promise.all(ids.map(id => api('/api/map/links?id=' + encodeURIComponent(id))));
      if (mine !== linkGen) return;
      const lines = linkLines(answers.flatMap(a => a.links || []), projection);
      gLinks.replaceChildren(...lines.map(l => s('line', { class: `link link-${l.kind}`, x1: l.x1, y1: l.y1, x2: l.x2, y2: l.y2 })));
    } catch (err) {
      console.warn('map links', err);
    }
  }

  async function load() {
    const mine = ++generation;
    const q = new URLSearchParams({ zoom: String(view.zoom) });
    const bbox = bboxFromView(projection, W, H, view.zoom);
    if (bbox) q.set('bbox', bbox.join(','));
    if (filters.kind) q.set('kind', filters.kind);
    if (filters.status) q.set('status', filters.status);
    let m;
    try {
      m = await api('/api/map?' + q);
    } catch (e) {
      if (mine === generation) { status.textContent = 'The map could not be loaded: ' + e.message; status.classList.add('error'); }
      return;
    }
    if (mine !== generation) return;
    status.classList.remove('error');
    cells = m.cells || [];
    drawCells();
    const located = cells.reduce((n, c) => n + c.count, 0);
    status.textContent = `${num(located)} located device${located === 1 ? '' : 's'} in ${num(cells.length)} cluster${cells.length === 1 ? '' : 's'}`
      + (bbox ? ' in view' : '') + ` (zoom ${view.zoom}).`;
    const u = m.unlocated || { count: 0 };
    unlocated.replaceChildren(u.count
      ? h('a', { href: unlocatedListHash(filters), id: 'unlocated-link' },
        `${num(u.count)} device${u.count === 1 ? '' : 's'} without a location`)
      : h('span', { class: 'muted' }, 'Every device has a location.'),
      u.count ? h('span', { class: 'muted' }, ` (${num(u.online || 0)} online, ${num(u.offline || 0)} offline, ${num(u.unknown || 0)} unknown): not on the map.`) : '');
    textAlt.replaceChildren(
      h('caption', {}, 'Device clusters on the map'),
      h('thead', {}, h('tr', {}, ['Area', 'Devices', 'Online', 'Offline', 'Unknown'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, cells.map(c => h('tr', {},
        h('td', {}, h('a', { href: clusterListHash(c, filters), tabindex: '-1' }, describeCell(c).replace(/:.*/, ''))),
        h('td', {}, String(c.count)), h('td', {}, String(c.online || 0)), h('td', {}, String(c.offline || 0)), h('td', {}, String(c.unknown || 0))))));
  }

  function zoomBy(delta, x, y) {
    const next = zoomAround(projection, W, H, view, delta, x, y);
    if (next === view) return;
    view = next;
    replaceAddress();
    draw();
    scheduleLoad();
  }

  let loadTimer = null;
  const scheduleLoad = () => { clearTimeout(loadTimer); loadTimer = setTimeout(load, 150); };
  const toViewBox = ev => {
    const r = svg.getBoundingClientRect();
    return [(ev.clientX - r.left) * (W / r.width), (ev.clientY - r.top) * (H / r.height)];
  };

  svg.addEventListener('wheel', ev => {
    ev.preventDefault();
    const [x, y] = toViewBox(ev);
    zoomBy(ev.deltaY < 0 ? 1 : -1, x, y);
  }, { passive: false });

  // Drag to pan: the point under the pointer follows it.
  let drag = null;
  svg.addEventListener('pointerdown', ev => {
    if (ev.button !== 0 || ev.target.closest('a.cluster')) return;
    drag = { start: toViewBox(ev), view, moved: false };
    svg.setPointerCapture(ev.pointerId);
  });
  svg.addEventListener('pointermove', ev => {
    if (!drag) return;
    const [x, y] = toViewBox(ev);
    const dx = x - drag.start[0], dy = y - drag.start[1];
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    drag.moved = true;
    const base = fitProjection(geoNaturalEarth1(), W, H, drag.view);
    const ll = base.invert([W / 2 - dx, H / 2 - dy]);
    if (!ll || !Number.isFinite(ll[0]) || !Number.isFinite(ll[1])) return;
    view = viewState({ zoom: drag.view.zoom, lat: ll[1], lon: ll[0] });
    draw();
  });
  const endDrag = () => { if (drag?.moved) { replaceAddress(); scheduleLoad(); } drag = null; };
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);

  draw();
  await load();

  // Live: counts on the map follow changes, re-read at most every 5 s.
  let liveTimer = null;
  const unsubscribe = subscribe(() => { if (!liveTimer) liveTimer = setTimeout(() => { liveTimer = null; load(); }, 5000); });
  return () => { unsubscribe(); clearTimeout(liveTimer); clearTimeout(loadTimer); generation++; linkGen++; };
}

function legend() {
  return h('ul', { class: 'legend map-legend', 'aria-label': 'Legend' },
    ['online', 'offline', 'unknown'].map(st => h('li', { class: `leg leg-${st}` }, st)),
    h('li', { class: 'leg-size' }, 'circle area: devices'));
}

