import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rangeSpec, linear, timeTicks, tickLabel, availabilityPaths, noDataSpans, timelineRects, timelineTotals, observedShare }
  from '../../main/resources/ui/js/lib/chart.js';

const H = 3600e3, D = 24 * H;
const T0 = Date.parse('2026-11-20T00:00:00Z');
const bucket = (i, online, size = H) => ({ from: new Date(T0 + i * size).toISOString(), to: new Date(T0 + (i + 1) * size).toISOString(), online, observedMillis: online == null ? 0 : size });

test('each range asks for buckets that cover it; an unknown range falls back to 24 h', () => {
  assert.deepEqual([rangeSpec('24h').bucket, rangeSpec('24h').count], ['hourly', 24]);
  assert.deepEqual([rangeSpec('7d').bucket, rangeSpec('7d').count], ['hourly', 168]);
  assert.deepEqual([rangeSpec('30d').bucket, rangeSpec('30d').count], ['daily', 30]);
  assert.deepEqual([rangeSpec('90d').bucket, rangeSpec('90d').count], ['daily', 90]);
  assert.equal(rangeSpec('1y').range, '24h');
});

test('a linear scale maps and clamps (0-100 % axis upside down on screen)', () => {
  const y = linear([0, 1], [200, 0]);
  assert.equal(y(0), 200);
  assert.equal(y(1), 0);
  assert.equal(y(0.5), 100);
  assert.equal(y(2), 0);
});

test('time ticks fall on local hour / local midnight boundaries, inside the range, at most max', () => {
  const now = Date.parse('2026-11-20T13:37:00Z');
  const day = timeTicks(now - D, now, 8);
  assert.ok(day.length >= 4 && day.length <= 8, String(day.length));
  for (const t of day) {
    assert.ok(t >= now - D && t <= now);
    const d = new Date(t);
    assert.equal(d.getMinutes(), 0);
    assert.equal(d.getHours() % 3, 0);
  }
  const month = timeTicks(now - 30 * D, now, 8);
  assert.ok(month.length >= 2 && month.length <= 8);
  for (const t of month) {
    const d = new Date(t);
    assert.equal(d.getHours(), 0);
    assert.equal(d.getDay(), 1, 'weekly ticks on Mondays');
  }
  assert.match(tickLabel(day[0], D, 'en-GB'), /\d\d:00/);
  assert.match(tickLabel(month[0], 30 * D, 'en-GB'), /Nov|Oct/);
});

test('a no-data bucket breaks the availability line into two runs (a gap, never a drop to 0 %)', () => {
  const x = linear([T0, T0 + 4 * H], [0, 400]);
  const y = linear([0, 1], [100, 0]);
  const { line, area } = availabilityPaths([bucket(0, 1), bucket(1, 0.5), bucket(2, null), bucket(3, 1)], x, y);
  assert.equal((line.match(/M/g) || []).length, 2);
  assert.ok(line.startsWith('M 0 0 L 100 0 L 100 50 L 200 50'), line);
  assert.ok(line.includes('M 300 0 L 400 0'), line);
  assert.ok(!/ 100( |$)/.test(line.split('M')[2]), 'the run after the gap never touches 0 %');
  assert.equal((area.match(/Z/g) || []).length, 2);
  assert.deepEqual(noDataSpans([bucket(0, 1), bucket(1, null), bucket(2, null), bucket(3, 1)]), [{ from: T0 + H, to: T0 + 3 * H }]);
  assert.deepEqual(availabilityPaths([bucket(0, null)], x, y), { line: '', area: '' });
});

test('timeline segments become rectangles clipped to the range, and totals per status', () => {
  const x = linear([T0, T0 + 10 * H], [0, 1000]);
  const segs = [
    { status: 'nodata', from: new Date(T0 - 5 * H).toISOString(), to: new Date(T0 + 2 * H).toISOString() },
    { status: 'online', from: new Date(T0 + 2 * H).toISOString(), to: new Date(T0 + 7 * H).toISOString() },
    { status: 'offline', from: new Date(T0 + 7 * H).toISOString(), to: new Date(T0 + 12 * H).toISOString() },
  ];
  const rects = timelineRects(segs, T0, T0 + 10 * H, x);
  assert.deepEqual(rects.map(r => [r.status, Math.round(r.x), Math.round(r.w)]), [['nodata', 0, 200], ['online', 200, 500], ['offline', 700, 300]]);
  assert.deepEqual(timelineTotals(segs, T0, T0 + 10 * H), { nodata: 2 * H, online: 5 * H, offline: 3 * H });
});

test('observed share weights buckets by observed time and says null when nothing was observed', () => {
  const s = observedShare([{ online: 1, observedMillis: 3 * H }, { online: 0, observedMillis: H }, { online: null, observedMillis: 0 }]);
  assert.equal(s.share, 0.75);
  assert.equal(s.observedMillis, 4 * H);
  assert.deepEqual(observedShare([bucket(0, null)]), { share: null, observedMillis: 0 });
});
