import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlywheelEvent, ImpressionEvent, InteractionEvent } from '../../../src/events/event';
import { Attribution } from '../../../src/outcomes/attribution';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
const options = { clickWindowMs: 24 * H, conversionWindowMs: 7 * 24 * H };

function shown(id: string, userId: string | undefined, items: string[], at: number, extra: Partial<ImpressionEvent> = {}): ImpressionEvent {
  return {
    kind: 'impression',
    v: 1,
    id,
    ...(userId ? { userId } : {}),
    surface: 'recommendations',
    strategy: 'blend',
    items: items.map((itemId, i) => ({ itemId, position: i + 1, propensity: 1 })),
    timestamp: at,
    ...extra,
  };
}

let seq = 0;
function did(type: InteractionEvent['type'], userId: string, itemId: string, at: number, extra: Partial<InteractionEvent> = {}): InteractionEvent {
  return { kind: 'interaction', v: 1, id: `e${++seq}`, type, userId, itemId, timestamp: at, ...(type === 'PURCHASE' ? { quantity: 1 } : {}), ...extra };
}

test('an outcome carrying servedId is credited to that list, with its position, strategy and variant', () => {
  const a = new Attribution(options);
  const click = did('CLICK', 'u1', 'i2', T0 + H, { servedId: 's2' });
  a.observe([
    shown('s1', 'u1', ['i1', 'i2'], T0),
    shown('s2', 'u1', ['i3', 'i2'], T0 + 1000, { strategy: 'popular', experimentId: 'x', variant: 'treatment' }),
    click,
  ]);
  const r = a.attributionOf(click);
  assert.ok(r);
  assert.deepEqual([r.servedId, r.position, r.strategy, r.experimentId, r.variant], ['s2', 2, 'popular', 'x', 'treatment']);
});

test("without servedId: the user's latest list showing the item, within the window of the outcome's type", () => {
  const a = new Attribution(options);
  const click = did('CLICK', 'u1', 'i1', T0 + 2 * H);
  const lateClick = did('CLICK', 'u1', 'i1', T0 + 2 * H + 25 * H);
  const purchase = did('PURCHASE', 'u1', 'i1', T0 + 6 * 24 * H, { price: 10, quantity: 3 });
  const tooLate = did('PURCHASE', 'u1', 'i1', T0 + 8 * 24 * H + 2 * H);
  const otherUser = did('CLICK', 'u2', 'i1', T0 + 2 * H);
  const notShown = did('CLICK', 'u1', 'i9', T0 + 2 * H);
  a.observe([shown('s1', 'u1', ['i1'], T0), shown('s2', 'u1', ['i1'], T0 + H), click, lateClick, otherUser, notShown, purchase, tooLate]);
  assert.equal(a.attributionOf(click)?.servedId, 's2', 'the latest of the two lists');
  assert.equal(a.attributionOf(lateClick), null, 'a click 25 h after the list is outside the 24 h window');
  assert.equal(a.attributionOf(otherUser), null, "another user's list is not theirs");
  assert.equal(a.attributionOf(notShown), null);
  assert.equal(a.attributionOf(purchase)?.revenue, 30, 'a purchase within 7 days, revenue = units x price');
  assert.equal(a.attributionOf(tooLate), null, 'past 7 days');
  assert.deepEqual(a.unattributedCounts(), { CLICK: 3, ADD_TO_CART: 0, PURCHASE: 1 });
});

test('a servedId naming no list, a list without the item, or a list of someone else credits nothing (no guess)', () => {
  const a = new Attribution(options);
  const unknown = did('CLICK', 'u1', 'i1', T0 + 1, { servedId: 'nope' });
  const wrongItem = did('CLICK', 'u1', 'i5', T0 + 1, { servedId: 's1' });
  const stolen = did('CLICK', 'u2', 'i1', T0 + 1, { servedId: 's1' });
  const anonymousList = did('CLICK', 'u3', 'a1', T0 + 1, { servedId: 's-anon' });
  a.observe([
    shown('s1', 'u1', ['i1'], T0),
    shown('s-anon', undefined, ['a1'], T0, { surface: 'similarItems', anchorItemId: 'a0' }),
    unknown,
    wrongItem,
    stolen,
    anonymousList,
  ]);
  assert.equal(a.attributionOf(unknown), null);
  assert.equal(a.attributionOf(wrongItem), null);
  assert.equal(a.attributionOf(stolen), null);
  assert.equal(a.attributionOf(anonymousList)?.servedId, 's-anon', 'an anonymous list can be credited by its servedId');
});

test('idempotent: a redelivered batch counts nothing twice; replaying the same log into a fresh state gives the same totals', () => {
  const log: FlywheelEvent[] = [
    shown('s1', 'u1', ['i1', 'i2'], T0),
    shown('s2', 'u2', ['i1'], T0, { strategy: 'popular' }),
    did('CLICK', 'u1', 'i1', T0 + 10),
    did('ADD_TO_CART', 'u1', 'i1', T0 + 20, { quantity: 1 }),
    did('PURCHASE', 'u1', 'i1', T0 + 30, { price: 5, quantity: 2 }),
    did('CLICK', 'u2', 'i1', T0 + 40),
    did('VIEW', 'u2', 'i1', T0 + 50),
  ];
  const a = new Attribution(options);
  a.observe(log.slice(0, 4));
  a.observe(log.slice(2)); // at-least-once: part of the first batch again
  a.observe(log);
  const b = new Attribution(options);
  b.observe(log);
  assert.deepEqual(a.totals(), b.totals());
  const blend = a.totals().find((t) => t.strategy === 'blend')!;
  assert.deepEqual(
    { ...blend },
    { strategy: 'blend', experimentId: null, variant: null, impressions: 1, itemsShown: 2, clicks: 1, addToCarts: 1, purchases: 1, revenue: 10, users: 1 },
  );
  assert.equal(a.totals().find((t) => t.strategy === 'popular')!.clicks, 1);
  assert.deepEqual(
    a.buckets({ strategy: 'blend', experimentId: null, variant: null }).map((b) => [b.start, b.impressions, b.clicks]),
    [[T0, 1, 1]],
  );
});

test('memory stays bounded: lists older than the longest window are pruned and can no longer be credited', () => {
  const a = new Attribution({ clickWindowMs: H, conversionWindowMs: 2 * H });
  a.observe([shown('old', 'u1', ['i1'], T0)]);
  // 10,000 records later (the pruning cadence), three hours on.
  const later: FlywheelEvent[] = Array.from({ length: 10_000 }, (_, i) => did('VIEW', `v${i}`, 'i1', T0 + 3 * H));
  a.observe(later);
  const click = did('CLICK', 'u1', 'i1', T0 + 3 * H, { servedId: 'old' });
  a.observe([click]);
  assert.equal(a.attributionOf(click), null);
  // A redelivered old impression is not counted again once its id is pruned.
  a.observe([shown('old', 'u1', ['i1'], T0)]);
  assert.equal(a.totals()[0]!.impressions, 1);
});

test('erasure: the actor is forgotten (no later credit to their lists, not counted among users)', () => {
  const a = new Attribution(options);
  a.observe([shown('s1', 'u1', ['i1'], T0), shown('s2', 'u2', ['i1'], T0)]);
  a.forgetActors(['u1']);
  const click = did('CLICK', 'u1', 'i1', T0 + 1);
  a.observe([click]);
  assert.equal(a.attributionOf(click), null);
  assert.equal(a.totals()[0]!.users, 1);
});

test('maxLists: the oldest lists go first, by servedId and as a latest list, and outcomes on them are unattributed', () => {
  const a = new Attribution({ ...options, maxLists: 3 });
  a.observe([shown('s1', 'u1', ['i1'], T0), shown('s2', 'u2', ['i2'], T0 + 1), shown('s3', 'u1', ['i3'], T0 + 2)]);
  assert.equal(a.evictedLists, 0, 'three lists fit');
  a.observe([shown('s4', 'u3', ['i4'], T0 + 3), shown('s5', 'u3', ['i5'], T0 + 4)]);
  assert.equal(a.evictedLists, 2);
  const named = did('CLICK', 'u1', 'i1', T0 + H, { servedId: 's1' });
  const latest = did('CLICK', 'u2', 'i2', T0 + H);
  const kept = did('CLICK', 'u1', 'i3', T0 + H);
  const keptNamed = did('PURCHASE', 'u3', 'i4', T0 + H, { servedId: 's4', price: 2 });
  a.observe([named, latest, kept, keptNamed]);
  assert.equal(a.attributionOf(named), null, 's1 was evicted: its servedId names nothing any more');
  assert.equal(a.attributionOf(latest), null, "s2 was evicted: it is no longer u2's latest list with i2");
  assert.equal(a.attributionOf(kept)?.servedId, 's3');
  assert.equal(a.attributionOf(keptNamed)?.servedId, 's4');
  assert.deepEqual(a.unattributedCounts(), { CLICK: 2, ADD_TO_CART: 0, PURCHASE: 0 });
  assert.equal(a.totals()[0]!.impressions, 5, 'evicted lists still count as shown');
});

test('maxLists bounds the memory of a long run: 200,000 lists held under a cap of 1,000 take no more heap than 1,000', () => {
  const run = (n: number) => {
    const a = new Attribution({ ...options, maxLists: 1_000 });
    for (let b = 0; b < n; b += 1_000)
      a.observe(Array.from({ length: 1_000 }, (_, t) => shown(`s${b + t}`, `u${(b + t) % 5_000}`, ['i1', 'i2', 'i3', 'i4', 'i5'], T0 + b + t)));
    return a;
  };
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heap = () => {
    gc();
    return process.memoryUsage().heapUsed;
  };
  const h0 = heap();
  const small = run(1_000);
  const h1 = heap();
  const large = run(200_000);
  const h2 = heap();
  assert.equal(large.evictedLists, 199_000);
  assert.equal(small.evictedLists, 0);
  // without the cap 200,000 five-item lists hold about 150 MB
  assert.ok(h2 - h1 < 4 * Math.max(h1 - h0, 1_000_000), `1,000 lists: ${h1 - h0} B; 200,000 under the cap: ${h2 - h1} B`);
});
