import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outages, mergeEventPages, downtimeWithin } from '../../main/resources/ui/js/lib/outages.js';

const T = Date.parse('2026-11-20T10:00:00Z');
const at = min => new Date(T + min * 60e3).toISOString();
const ev = (seq, type, min) => ({ seq, type, at: at(min) });

test('an OFFLINE closed by the next ONLINE is one outage with its duration', () => {
  const list = outages([ev(1, 'ONLINE', 0), ev(2, 'OFFLINE', 10), ev(3, 'ONLINE', 25)], T + 60 * 60e3);
  assert.equal(list.length, 1);
  assert.deepEqual([list[0].start, list[0].end, list[0].durationMs, list[0].ongoing, list[0].worst],
    [T + 10 * 60e3, T + 25 * 60e3, 15 * 60e3, false, 'OFFLINE']);
});

test('an outage without a later ONLINE is ongoing and lasts until now', () => {
  const list = outages([ev(1, 'ONLINE', 0), ev(2, 'OFFLINE', 50)], T + 80 * 60e3);
  assert.equal(list.length, 1);
  assert.equal(list[0].ongoing, true);
  assert.equal(list[0].end, null);
  assert.equal(list[0].durationMs, 30 * 60e3);
});

test('an UNKNOWN inside an OFFLINE (and the reverse) does not start a second outage; the worst state wins', () => {
  const list = outages([ev(1, 'UNKNOWN', 0), ev(2, 'OFFLINE', 5), ev(3, 'UNKNOWN', 7), ev(4, 'ONLINE', 20)], T + 60e6);
  assert.equal(list.length, 1);
  assert.equal(list[0].start, T);
  assert.equal(list[0].end, T + 20 * 60e3);
  assert.equal(list[0].worst, 'OFFLINE');
  const unknownOnly = outages([ev(1, 'UNKNOWN', 0), ev(2, 'ONLINE', 3)], T + 60e6);
  assert.equal(unknownOnly[0].worst, 'UNKNOWN');
});

test('out-of-order and duplicated events (overlapping newest-first pages) give the same outages', () => {
  const ordered = [ev(1, 'ONLINE', 0), ev(2, 'OFFLINE', 10), ev(3, 'UPDATED', 12), ev(4, 'ONLINE', 15),
    ev(5, 'MIGRATED', 30), ev(6, 'UNKNOWN', 40), ev(7, 'ONLINE', 41)];
  const shuffled = [ordered[4], ordered[1], ordered[6], ordered[0], ordered[3], ordered[5], ordered[2], ordered[1], ordered[6]];
  const now = T + 120 * 60e3;
  assert.deepEqual(outages(shuffled, now), outages(ordered, now));
  const list = outages(shuffled, now);
  assert.deepEqual(list.map(o => o.start), [T + 40 * 60e3, T + 10 * 60e3], 'newest first');
});

test('events at the same instant are ordered by seq, so OFFLINE then ONLINE at one instant is a zero-length outage, not an ongoing one', () => {
  const list = outages([ev(9, 'ONLINE', 5), ev(8, 'OFFLINE', 5)], T + 60e6);
  assert.equal(list.length, 1);
  assert.equal(list[0].ongoing, false);
  assert.equal(list[0].durationMs, 0);
});

test('an ONLINE with no outage before it (its start is on an older page) is no outage; MIGRATED/UPDATED alone are none', () => {
  assert.deepEqual(outages([ev(5, 'ONLINE', 0), ev(6, 'MIGRATED', 1), ev(7, 'UPDATED', 2)], T + 60e6), []);
  assert.deepEqual(outages([], T), []);
  assert.deepEqual(outages(null, T), []);
});

test('pages merge newest first without duplicates; downtime is clipped to the window', () => {
  const merged = mergeEventPages([ev(5, 'ONLINE', 5), ev(4, 'OFFLINE', 4)], [ev(4, 'OFFLINE', 4), ev(3, 'ONLINE', 3)]);
  assert.deepEqual(merged.map(e => e.seq), [5, 4, 3]);
  const list = outages([ev(1, 'OFFLINE', 0), ev(2, 'ONLINE', 30), ev(3, 'OFFLINE', 50)], T + 70 * 60e3);
  assert.equal(downtimeWithin(list, T + 20 * 60e3, T + 60 * 60e3), 20 * 60e3);
});
