// Unit tests of the address as state (Node's own test runner: node --test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseHash, parseNodes, nodesHash, nodesParams, withChange, apiParams, listUrl, countsUrl, csvUrl,
  nextSort, ariaSort, DEFAULT_NODES,
} from '../../main/resources/ui/js/lib/urlstate.js';

const roundTrip = state => parseNodes(parseHash(nodesHash(state)).params);

test('parseHash splits view, rest and params', () => {
  const r = parseHash('#/node/host-1?range=7d');
  assert.equal(r.view, 'node');
  assert.equal(r.rest, 'host-1');
  assert.equal(r.params.get('range'), '7d');
  assert.equal(parseHash('').view, '');
  assert.equal(parseHash('#/').view, '');
  assert.equal(parseHash('#/nodes').view, 'nodes');
  assert.equal(parseHash('#/node/a%2Fb%20c').rest, 'a/b c');
  assert.equal(parseHash('#/node/100%').rest, '100%', 'a malformed escape is kept, not thrown');
});

test('an address that says nothing shows online devices sorted by id, first page', () => {
  assert.deepEqual(parseNodes(new URLSearchParams('')), { ...DEFAULT_NODES });
  assert.equal(nodesHash({}), '#/nodes');
  assert.equal(nodesHash(DEFAULT_NODES), '#/nodes', 'defaults are left out of the address');
});

test('every filter, the sort and the page survive the address', () => {
  const state = {
    status: 'offline', kind: 'host', datacenter: 'sg-gaborone', gateway: 'gw-1', q: 'las vegas',
    below: true, bbox: '-10,35,5,50', located: 'true', sort: '-lastSeen', cursor: 'eyJrIjoiaG9zdCJ9',
  };
  const hash = nodesHash(state);
  assert.equal(hash,
    '#/nodes?status=offline&kind=host&datacenter=sg-gaborone&gateway=gw-1&q=las+vegas&below=1&bbox=-10%2C35%2C5%2C50'
    + '&located=true&sort=-lastSeen&cursor=eyJrIjoiaG9zdCJ9');
  assert.deepEqual(roundTrip(state), state);
});

test('odd characters in text filters round-trip exactly', () => {
  for (const odd of [`dc"'><b>x`, 'a&b=c', '100%', '#hash?x', 'a+b c', 'ünïcødé ✓', '  spaced  ', '/slash/', 'x%20y', '=&?#']) {
    const state = { ...DEFAULT_NODES, status: 'all', datacenter: odd, gateway: odd, q: odd };
    const hash = nodesHash(state);
    assert.ok(!/[\s"'<>#&]/.test(hash.slice('#/nodes?'.length).replace(/&(?=[a-z]+=)/g, '')), `${odd} is escaped in ${hash}`);
    assert.deepEqual(roundTrip(state), state, odd);
  }
});

test('every status value round-trips; all is written, online (the default) is not', () => {
  for (const status of ['all', 'online', 'offline', 'unknown']) {
    assert.equal(roundTrip({ ...DEFAULT_NODES, status }).status, status);
  }
  assert.equal(nodesHash({ status: 'all' }), '#/nodes?status=all');
  assert.equal(nodesHash({ status: 'online' }), '#/nodes');
});

test('an edited address with invalid values falls back to the defaults', () => {
  const s = parseNodes(new URLSearchParams('status=sleeping&kind=toaster&sort=password&below=yes'));
  assert.equal(s.status, 'online');
  assert.equal(s.kind, '');
  assert.equal(s.sort, 'id');
  assert.equal(s.below, false);
  assert.equal(parseNodes(new URLSearchParams('sort=-availability')).sort, '-availability');
  assert.equal(parseNodes(new URLSearchParams('sort=--id')).sort, 'id');
});

test('a filter or sort change starts at the first page; a page change keeps the filters', () => {
  const onPage3 = { ...DEFAULT_NODES, kind: 'host', cursor: 'c3' };
  assert.equal(withChange(onPage3, { q: 'x' }).cursor, '');
  assert.equal(withChange(onPage3, { sort: '-id' }).cursor, '');
  assert.equal(withChange(onPage3, { status: 'all' }).cursor, '');
  const next = withChange(onPage3, { cursor: 'c4' });
  assert.equal(next.cursor, 'c4');
  assert.equal(next.kind, 'host');
  assert.equal(onPage3.cursor, 'c3', 'the old state is not changed');
});

test('the API queries carry the same filters under the API\'s names', () => {
  const state = { ...DEFAULT_NODES, status: 'offline', kind: 'gateway', datacenter: 'a b', gateway: 'g&1', q: 'x', below: true,
    sort: '-availability', cursor: 'c2' };
  const list = new URLSearchParams(listUrl(state, 50).split('?')[1]);
  assert.deepEqual(Object.fromEntries(list), { kind: 'gateway', status: 'offline', datacenter: 'a b', gateway: 'g&1', q: 'x',
    belowTarget: 'true', sort: '-availability', limit: '50', cursor: 'c2' });
  assert.ok(listUrl(state).startsWith('/api/nodes?'));

  const counts = new URLSearchParams(countsUrl(state).split('?')[1]);
  assert.equal(counts.get('status'), null, 'counts are per status, so the status filter is left out');
  assert.equal(counts.get('sort'), null);
  assert.equal(counts.get('cursor'), null);
  assert.equal(counts.get('gateway'), 'g&1');

  const csv = csvUrl(state);
  assert.ok(csv.startsWith('/api/nodes.csv?'));
  const c = new URLSearchParams(csv.split('?')[1]);
  assert.equal(c.get('status'), 'offline');
  assert.equal(c.get('sort'), '-availability');
  assert.equal(c.get('cursor'), null, 'the export is every matching device, not one page');
  assert.equal(c.get('limit'), null);
});

test('status all sends no status filter; no filters means bare counts and csv urls', () => {
  assert.equal(apiParams({ ...DEFAULT_NODES, status: 'all' }).get('status'), null);
  assert.equal(countsUrl(DEFAULT_NODES), '/api/nodes/counts');
  assert.equal(csvUrl({ ...DEFAULT_NODES, status: 'all', sort: '' }), '/api/nodes.csv');
});

test('clicking a header flips its direction; a new column starts in its natural direction', () => {
  assert.equal(nextSort('id', 'id'), '-id');
  assert.equal(nextSort('-id', 'id'), 'id');
  assert.equal(nextSort('id', 'kind'), 'kind');
  assert.equal(nextSort('id', 'lastSeen'), '-lastSeen', 'newest first');
  assert.equal(nextSort('-lastSeen', 'lastSeen'), 'lastSeen');
  assert.equal(nextSort('id', 'availability'), 'availability', 'worst first');
  assert.equal(ariaSort('id', 'id'), 'ascending');
  assert.equal(ariaSort('-id', 'id'), 'descending');
  assert.equal(ariaSort('-id', 'kind'), 'none');
});

test('nodesParams orders fields canonically whatever order the state was built in', () => {
  const a = nodesParams({ ...DEFAULT_NODES, q: 'x', kind: 'host' }).toString();
  const b = nodesParams({ kind: 'host', q: 'x', ...DEFAULT_NODES, ...{ kind: 'host', q: 'x' } }).toString();
  assert.equal(a, b);
  assert.equal(a, 'kind=host&q=x');
});

test('the map filters (a cluster area, devices without a location) round-trip and reach the API', () => {
  const state = parseNodes(new URLSearchParams('status=all&bbox=-10,35.5,5,50&located=false'));
  assert.equal(state.bbox, '-10,35.5,5,50');
  assert.equal(state.located, 'false');
  assert.deepEqual(parseNodes(new URLSearchParams(nodesParams(state).toString())), state);
  const api = listUrl(state);
  assert.match(api, /bbox=-10%2C35.5%2C5%2C50/);
  assert.match(api, /located=false/);
  assert.match(csvUrl(state), /bbox=/);
  assert.match(countsUrl(state), /located=false/);
  // Malformed values are dropped, never sent: an edited address never breaks the view.
  const bad = parseNodes(new URLSearchParams('bbox=1,2,three,4&located=maybe'));
  assert.equal(bad.bbox, '');
  assert.equal(bad.located, '');
});
