// The world map's geometry, DOM-free so Node's test runner checks it with the real d3-geo: where the
// view looks (zoom + centre), which bbox to ask /api/map for, where a cell lands on screen, how big
// its circle is, its status pie, and the lines to draw for a selected device.

export const MAX_ZOOM = 12;
export const STATUSES = ['online', 'offline', 'unknown'];

/** Clamps and defaults the map's address state ({zoom, lat, lon} as strings or numbers). */
export function viewState(params) {
  const num = (v, d) => {
    const n = v == null || v === '' ? NaN : Number(v);
    return Number.isFinite(n) ? n : d;
  };
  return {
    zoom: Math.round(Math.min(MAX_ZOOM, Math.max(0, num(params.zoom, 0)))),
    lat: Math.min(85, Math.max(-85, num(params.lat, 0))),
    lon: wrapLon(num(params.lon, 0)),
  };
}

export function wrapLon(lon) {
  const w = ((lon + 180) % 360 + 360) % 360 - 180;
  return w === -180 && lon > 0 ? 180 : w;
}

/**
 * Configures a d3 projection (e.g. geoNaturalEarth1()) for a width × height viewport: at zoom 0 the
 * whole world fits; each zoom step doubles the scale; (lon, lat) lands in the middle.
 */
export function fitProjection(projection, width, height, { zoom, lat, lon }) {
  projection.rotate([0, 0]).center([0, 0]).translate([0, 0]).scale(1);
  // Natural Earth's world is about 5.44 × 2.83 at scale 1: fit it with a small margin.
  const [[x0, y0], [x1, y1]] = worldBounds(projection);
  const base = Math.min(width / (x1 - x0), height / (y1 - y0)) * 0.98;
  projection.scale(base * 2 ** zoom);
  // Rotating by -lon keeps the centre meridian straight, so panning east/west never runs off the world.
  projection.rotate([-lon, 0]);
  const p = projection([lon, lat]);
  projection.translate([width / 2 - p[0], height / 2 - p[1]]);
  return projection;
}

function worldBounds(projection) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let lon = -180; lon <= 180; lon += 5) {
    for (const lat of [-90, -60, 0, 60, 90]) {
      const [x, y] = projection([lon * 0.9999, lat]);
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  return [[x0, y0], [x1, y1]];
}

/**
 * The part of the world visible in the viewport as [west, south, east, north], or null when the
 * whole world is in view (no bbox: the server then answers every cell). Edge and inside points are
 * inverted and kept only if they project back to where they came from (outside the globe, an
 * inverse projection answers garbage). Longitudes are taken relative to the view's centre meridian,
 * so a view across the antimeridian gives west > east (the API's wrapped bbox), not a band around
 * the whole world.
 */
export function bboxFromView(projection, width, height, zoom) {
  if (zoom <= 1) return null;
  const centre = -projection.rotate()[0];
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const steps = 8;
  for (let i = 0; i <= steps; i++) {
    for (let j = 0; j <= steps; j++) {
      const x = (i / steps) * width, y = (j / steps) * height;
      const ll = projection.invert([x, y]);
      if (!ll || !Number.isFinite(ll[0]) || !Number.isFinite(ll[1])) continue;
      const back = projection(ll);
      if (!back || Math.hypot(back[0] - x, back[1] - y) > 1) continue;
      const d = wrapLon(ll[0] - centre);
      w = Math.min(w, d); e = Math.max(e, d); s = Math.min(s, ll[1]); n = Math.max(n, ll[1]);
    }
  }
  if (!Number.isFinite(w)) return null;
  const r = x => Math.round(x * 1000) / 1000;
  const south = r(Math.max(-90, s)), north = r(Math.min(90, n));
  if (e - w >= 359) return [-180, south, 180, north];
  return [r(wrapLon(centre + w)), south, r(wrapLon(centre + e)), north];
}

/** Screen position of a point, or null when it is off the projection or outside the viewport (+margin). */
export function toScreen(projection, lon, lat, width, height, margin = 40) {
  if (lon == null || lat == null) return null;
  const p = projection([lon, lat]);
  if (!p || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) return null;
  if (p[0] < -margin || p[1] < -margin || p[0] > width + margin || p[1] > height + margin) return null;
  return [p[0], p[1]];
}

/** A cluster's circle radius in px: area grows with its count, 7 px for one device, 30 at the busiest. */
export function clusterRadius(count, maxCount) {
  if (!(count > 0)) return 0;
  const max = Math.max(count, maxCount || 1);
  if (max <= 1) return 7;
  return 7 + 23 * Math.sqrt((count - 1) / (max - 1));
}

/** The status pie of a cell: [{status, count, a0, a1}] (radians, clockwise from 12 o'clock), empty statuses left out. */
export function statusSlices(cell) {
  const total = STATUSES.reduce((n, s) => n + (cell[s] || 0), 0);
  const out = [];
  let a = 0;
  for (const s of STATUSES) {
    const c = cell[s] || 0;
    if (!c) continue;
    const a1 = a + (c / total) * 2 * Math.PI;
    out.push({ status: s, count: c, a0: a, a1 });
    a = a1;
  }
  return out;
}

/** SVG path of a ring slice (inner radius r0, outer r1) from a0 to a1; a full circle is drawn as two halves. */
export function ringPath(cx, cy, r0, r1, a0, a1) {
  if (a1 - a0 >= 2 * Math.PI - 1e-9) {
    const mid = a0 + Math.PI;
    return ringPath(cx, cy, r0, r1, a0, mid) + ' ' + ringPath(cx, cy, r0, r1, mid, a0 + 2 * Math.PI);
  }
  const pt = (r, a) => [cx + r * Math.sin(a), cy - r * Math.cos(a)].map(v => Math.round(v * 100) / 100).join(' ');
  const large = a1 - a0 > Math.PI ? 1 : 0;
  return `M ${pt(r1, a0)} A ${r1} ${r1} 0 ${large} 1 ${pt(r1, a1)} L ${pt(r0, a1)} A ${r0} ${r0} 0 ${large} 0 ${pt(r0, a0)} Z`;
}

/** A cell's one-line description (its circle's accessible name and the text alternative's row). */
export function describeCell(cell) {
  const parts = STATUSES.filter(s => cell[s]).map(s => `${cell[s]} ${s}`);
  const kinds = Object.entries(cell.byKind || {}).filter(([, n]) => n).map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`);
  return `${cell.count} device${cell.count === 1 ? '' : 's'} near ${fmtLat(cell.lat)}, ${fmtLon(cell.lon)}: `
    + parts.join(', ') + (kinds.length ? ` (${kinds.join(', ')})` : '');
}

const fmtLat = v => `${Math.abs(v).toFixed(1)}° ${v < 0 ? 'S' : 'N'}`;
const fmtLon = v => `${Math.abs(v).toFixed(1)}° ${v < 0 ? 'W' : 'E'}`;

/**
 * The device list's address for a cluster: the map's kind/status filters plus the cell's bbox (its
 * grid cell, so exactly the devices the circle counts).
 */
export function clusterListHash(cell, filters) {
  const p = listParams(filters);
  if (cell.bbox) p.set('bbox', cell.bbox.join(','));
  return '#/nodes?' + p.toString();
}

// The list shows online devices when its address names no status, the map every status: say 'all'.
function listParams(filters) {
  const p = new URLSearchParams();
  if (filters.kind) p.set('kind', filters.kind);
  p.set('status', filters.status || 'all');
  if (filters.datacenter) p.set('datacenter', filters.datacenter);
  return p;
}

/** The device list's address for devices without a location, under the map's filters. */
export function unlocatedListHash(filters) {
  const p = listParams(filters);
  p.set('located', 'false');
  return '#/nodes?' + p.toString();
}

/**
 * Screen lines for /api/map/links' answer: one per distinct (from, to) pair with both ends
 * projectable, tagged with the pair's kinds ('host-gateway', 'gateway-stargate') for styling.
 */
export function linkLines(links, projection) {
  const seen = new Set();
  const out = [];
  for (const l of links || []) {
    if (!l || !l.from || !l.to) continue;
    const key = l.from.id + '\u0000' + l.to.id;
    if (seen.has(key)) continue;
    seen.add(key);
    const a = l.from.lat == null || l.from.lon == null ? null : projection([l.from.lon, l.from.lat]);
    const b = l.to.lat == null || l.to.lon == null ? null : projection([l.to.lon, l.to.lat]);
    if (!a || !b || ![...a, ...b].every(Number.isFinite)) continue;
    out.push({ x1: a[0], y1: a[1], x2: b[0], y2: b[1], kind: `${l.from.kind}-${l.to.kind}`, from: l.from.id, to: l.to.id });
  }
  return out;
}

/** The new centre after zooming by `delta` steps around screen point (x, y), keeping that point fixed. */
export function zoomAround(projection, width, height, view, delta, x = width / 2, y = height / 2) {
  const zoom = Math.min(MAX_ZOOM, Math.max(0, view.zoom + delta));
  if (zoom === view.zoom) return view;
  const k = 2 ** (zoom - view.zoom);
  // The centre moves toward the cursor by (1 - 1/k) of their distance, in screen space.
  const cx = width / 2 + (x - width / 2) * (1 - 1 / k);
  const cy = height / 2 + (y - height / 2) * (1 - 1 / k);
  const ll = projection.invert([cx, cy]);
  if (!ll || !Number.isFinite(ll[0]) || !Number.isFinite(ll[1])) return { ...view, zoom };
  return viewState({ zoom, lat: ll[1], lon: ll[0] });
}
