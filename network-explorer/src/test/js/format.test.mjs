// Unit tests of the UI's formatting (Node's own test runner: node --test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { esc, relativeTime, localTime, pct, duration, num } from '../../main/resources/ui/js/lib/format.js';

const NOW = Date.parse('2026-11-26T10:00:00Z');
const ago = ms => new Date(NOW - ms).toISOString();

test('esc escapes every character that could open markup or leave an attribute', () => {
  assert.equal(esc(`<script>alert("x")</script>`), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  assert.equal(esc(`dc"'><b>x`), 'dc&quot;&#39;&gt;&lt;b&gt;x');
  assert.equal(esc('a & b'), 'a &amp; b');
  assert.equal(esc('&amp;'), '&amp;amp;', 'already-escaped text is escaped again, shown as typed');
  assert.equal(esc(null), '');
  assert.equal(esc(undefined), '');
  assert.equal(esc(0), '0');
});

test('relativeTime picks the largest whole unit and says just now under five seconds', () => {
  assert.equal(relativeTime(ago(0), NOW), 'just now');
  assert.equal(relativeTime(ago(4999), NOW), 'just now');
  assert.equal(relativeTime(ago(5000), NOW), '5 s ago');
  assert.equal(relativeTime(ago(59_999), NOW), '59 s ago');
  assert.equal(relativeTime(ago(60_000), NOW), '1 min ago');
  assert.equal(relativeTime(ago(3 * 60_000 + 10_000), NOW), '3 min ago');
  assert.equal(relativeTime(ago(3_599_999), NOW), '59 min ago');
  assert.equal(relativeTime(ago(3_600_000), NOW), '1 h ago');
  assert.equal(relativeTime(ago(86_399_999), NOW), '23 h ago');
  assert.equal(relativeTime(ago(86_400_000), NOW), '1 d ago');
  assert.equal(relativeTime(ago(400 * 86_400_000), NOW), '400 d ago');
});

test('relativeTime reads a future instant (clock skew) as "in", and nothing as a dash', () => {
  assert.equal(relativeTime(new Date(NOW + 3 * 60_000).toISOString(), NOW), 'in 3 min');
  assert.equal(relativeTime(new Date(NOW + 2000).toISOString(), NOW), 'just now');
  assert.equal(relativeTime(null, NOW), '—');
  assert.equal(relativeTime('', NOW), '—');
  assert.equal(relativeTime('not a time', NOW), '—');
});

test('relativeTime accepts the API\'s nanosecond instants', () => {
  assert.equal(relativeTime('2026-11-26T09:56:59.123456789Z', NOW), '3 min ago');
});

test('localTime is the exact local date-time with its offset, in the process time zone', () => {
  // TZ is read per call by V8 once set: the same instant in two zones.
  const saved = process.env.TZ;
  try {
    process.env.TZ = 'UTC';
    assert.equal(localTime('2026-11-26T10:00:07Z'), '2026-11-26 10:00:07 UTC+00:00');
    process.env.TZ = 'Asia/Kolkata';
    assert.equal(localTime('2026-11-26T22:00:07Z'), '2026-11-27 03:30:07 UTC+05:30');
    process.env.TZ = 'America/Los_Angeles';
    assert.equal(localTime('2026-07-01T12:00:00Z'), '2026-07-01 05:00:00 UTC-07:00');
  } finally {
    if (saved === undefined) delete process.env.TZ; else process.env.TZ = saved;
  }
  assert.equal(localTime(null), '');
  assert.equal(localTime('garbage'), '');
});

test('pct says "no data" for null and never rounds a missed moment up to 100 %', () => {
  assert.equal(pct(null), 'no data');
  assert.equal(pct(undefined), 'no data');
  assert.equal(pct(NaN), 'no data');
  assert.equal(pct(0), '0%');
  assert.equal(pct(1), '100%');
  assert.equal(pct(0.5), '50.0%');
  assert.equal(pct(0.98765), '98.7%');
  assert.equal(pct(0.999), '99.90%');
  assert.equal(pct(0.99951), '99.95%');
  assert.equal(pct(0.999999), '99.99%');
  assert.equal(pct(0.0001), '0.0%');
});

test('duration uses the two largest units and drops a zero second unit', () => {
  assert.equal(duration(0), '0 s');
  assert.equal(duration(999), '0 s');
  assert.equal(duration(45_000), '45 s');
  assert.equal(duration(125_000), '2 min 5 s');
  assert.equal(duration(7_500_000), '2 h 5 min');
  assert.equal(duration(7_200_000), '2 h');
  assert.equal(duration(3_600_000 + 5000), '1 h', 'seconds are below the two largest units');
  assert.equal(duration(3 * 86_400_000 + 4 * 3_600_000 + 59_000), '3 d 4 h');
  assert.equal(duration(86_400_000 + 30 * 60_000), '1 d', 'a zero hour unit ends it');
  assert.equal(duration(null), '—');
  assert.equal(duration(-1), '—');
});

test('num groups thousands', () => {
  assert.equal(num(0), '0');
  assert.equal(num(999), '999');
  assert.equal(num(1000), '1,000');
  assert.equal(num(100000), '100,000');
  assert.equal(num(1234567), '1,234,567');
  assert.equal(num(null), '—');
});
