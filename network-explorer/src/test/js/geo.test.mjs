import { test } from 'node:test';
import assert from 'node:assert/strict';
import { geoNaturalEarth1 } from '../../main/resources/ui/vendor/d3-geo/d3-geo.js';
import { viewState, wrapLon, fitProjection, bboxFromView, toScreen, clusterRadius, statusSlices, ringPath, describeCell,
  clusterListHash, unlocatedListHash, linkLines, zoomAround } from '../../main/resources/ui/js/lib/geo.js';

const W = 1000, H = 500;
const view = v => fitProjection(geoNaturalEarth1(), W, H, viewState(v));

test('the address state is clamped and defaulted, longitudes wrap', () => {
  assert.deepEqual(viewState({}), { zoom: 0, lat: 0, lon: 0 });
  assert.deepEqual(viewState({ zoom: '99', lat: '-100', lon: '190' }), { zoom: 12, lat: -85, lon: -170 });
  assert.deepEqual(viewState({ zoom: 'x', lat: 'NaN', lon: '' }), { zoom: 0, lat: 0, lon: 0 });
  assert.equal(wrapLon(180), 180);
  assert.equal(wrapLon(-181), 179);
});

test('at zoom 0 the whole world fits in the viewport and the centre lands in the middle', () => {
  const p = view({ zoom: 0, lat: 0, lon: 0 });
  for (const [lon, lat] of [[-179.9, 0], [179.9, 0], [0, 89.9], [0, -89.9], [-179.9, 70]]) {
    const [x, y] = p([lon, lat]);
    assert.ok(x >= 0 && x <= W && y >= 0 && y <= H, `${lon},${lat} -> ${x},${y}`);
  }
  const [cx, cy] = p([0, 0]);
  assert.ok(Math.abs(cx - W / 2) < 1e-6 && Math.abs(cy - H / 2) < 1e-6);
  assert.equal(bboxFromView(p, W, H, 0), null, 'whole world: no bbox');
});

test('zoomed in, the bbox is the visible area around the centre, and zooming doubles the scale', () => {
  const p4 = view({ zoom: 4, lat: 40, lon: -100 });
  const b = bboxFromView(p4, W, H, 4);
  assert.ok(b[0] < -100 && b[2] > -100 && b[1] < 40 && b[3] > 40, JSON.stringify(b));
  assert.ok(b[2] - b[0] < 40 && b[3] - b[1] < 30, 'a zoom-4 view is a region: ' + JSON.stringify(b));
  const [cx, cy] = p4([-100, 40]);
  assert.ok(Math.abs(cx - W / 2) < 1e-6 && Math.abs(cy - H / 2) < 1e-6);
  assert.ok(Math.abs(view({ zoom: 5, lat: 40, lon: -100 }).scale() / p4.scale() - 2) < 1e-9);
  assert.ok(toScreen(p4, -100, 40, W, H));
  assert.equal(toScreen(p4, 25, -24, W, H), null, 'Gaborone is off a zoom-4 view of the US');
  assert.equal(toScreen(p4, null, 40, W, H), null);
});

test('zooming around the cursor keeps the point under it in place (within 3 px: the view re-centres by rotating)', () => {
  const v0 = viewState({ zoom: 2, lat: 10, lon: 10 });
  const p = fitProjection(geoNaturalEarth1(), W, H, v0);
  const under = p.invert([700, 150]);
  const v1 = zoomAround(p, W, H, v0, 1, 700, 150);
  assert.equal(v1.zoom, 3);
  const [x, y] = fitProjection(geoNaturalEarth1(), W, H, v1)(under);
  assert.ok(Math.abs(x - 700) < 3 && Math.abs(y - 150) < 3, `${x},${y}`);
  assert.equal(zoomAround(p, W, H, { ...v0, zoom: 12 }, 1).zoom, 12);
});

test('cluster radius grows with the square root of the count within 7..30 px', () => {
  assert.equal(clusterRadius(0, 10), 0);
  assert.equal(clusterRadius(1, 1), 7);
  assert.equal(clusterRadius(1, 1000), 7);
  assert.equal(clusterRadius(1000, 1000), 30);
  const mid = clusterRadius(250, 1000);
  assert.ok(mid > 7 + 23 * 0.45 && mid < 7 + 23 * 0.55, String(mid));
});

test('status slices cover the circle in proportion; a single status is a full ring', () => {
  const s = statusSlices({ online: 3, offline: 1, unknown: 0 });
  assert.deepEqual(s.map(x => x.status), ['online', 'offline']);
  assert.ok(Math.abs(s[0].a1 - 1.5 * Math.PI) < 1e-9);
  assert.ok(Math.abs(s[1].a1 - 2 * Math.PI) < 1e-9);
  const full = ringPath(0, 0, 5, 10, 0, 2 * Math.PI);
  assert.equal((full.match(/M/g) || []).length, 2, 'a full ring is drawn as two halves (one arc cannot close)');
  assert.match(ringPath(0, 0, 5, 10, 0, Math.PI / 2), /^M 0 -10 A 10 10 0 0 1 10 0 L 5 0 A 5 5 0 0 0 0 -5 Z$/);
});

test('a cluster links to the device list with the map filters and its cell bbox; unlocated devices link too', () => {
  const cell = { lat: -24.6, lon: 25.9, count: 3, online: 2, offline: 1, unknown: 0, byKind: { host: 3 }, bbox: [22.5, -45, 45, -22.5] };
  assert.equal(clusterListHash(cell, { kind: 'host', status: '' }), '#/nodes?kind=host&status=all&bbox=22.5%2C-45%2C45%2C-22.5');
  assert.equal(unlocatedListHash({ status: 'offline' }), '#/nodes?status=offline&located=false');
  assert.equal(describeCell(cell), '3 devices near 24.6° S, 25.9° E: 2 online, 1 offline (3 hosts)');
});

test('links become screen lines, de-duplicated, ends without a location left out', () => {
  const p = view({ zoom: 0, lat: 0, lon: 0 });
  const h = { id: 'h1', kind: 'host', lat: -24.6, lon: 25.9 }, g = { id: 'g1', kind: 'gateway', lat: -26.2, lon: 28 };
  const s = { id: 's1', kind: 'stargate', lat: 51.5, lon: -0.1 }, nowhere = { id: 's2', kind: 'stargate', lat: null, lon: null };
  const lines = linkLines([{ from: h, to: g }, { from: g, to: s }, { from: h, to: g }, { from: g, to: nowhere }], p);
  assert.deepEqual(lines.map(l => l.kind), ['host-gateway', 'gateway-stargate']);
  const [x, y] = p([25.9, -24.6]);
  assert.deepEqual([lines[0].x1, lines[0].y1], [x, y]);
  assert.deepEqual(linkLines(null, p), []);
});

test('a view across the antimeridian asks for a wrapped bbox (west > east), not the whole band', () => {
  for (const zoom of [3, 6, 10, 12]) {
    const p = view({ zoom, lat: -17, lon: 179.99 });
    const [w, s, e, n] = bboxFromView(p, W, H, zoom);
    assert.ok(w > e, `zoom ${zoom}: west ${w} > east ${e}`);
    assert.ok(w > 90 && e < -90, `zoom ${zoom}: both edges near ±180 (${w}, ${e})`);
    assert.ok(s < -17 && n > -17, `zoom ${zoom}: the centre latitude inside (${s}, ${n})`);
    // The width asked for is the view's, not 360°: 360 - (w - e) degrees.
    assert.ok(360 - (w - e) < 360 / 2 ** (zoom - 2), `zoom ${zoom}: ${360 - (w - e)}° wide`);
  }
  // Away from the antimeridian nothing changes: west < east, around the centre.
  const [w, , e] = bboxFromView(view({ zoom: 5, lat: 48, lon: 10 }), W, H, 5);
  assert.ok(w < 10 && 10 < e && w < e);
});
