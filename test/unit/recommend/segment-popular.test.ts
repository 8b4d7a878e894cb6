import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recommender } from '../../../src/recommend/recommender';
import type { SegmentTopItems } from '../../../src/recommend/strategy';
import { buy, item, twoBasketShop } from './helpers';

const ids = (list: { itemId: string }[]) => list.map((r) => r.itemId);

function shop(): Recommender {
  const rec = new Recommender(null, { backgroundRefresh: false });
  rec.applyEvents(twoBasketShop());
  // c-items: bought by few shoppers, never together with anything else (no CF neighbours), no shared words
  rec.applyEvents([
    item('c1', 'lantern', 'garden', 8),
    item('c2', 'teapot', 'kitchen', 9),
    item('z1', 'zebra'),
    buy('x1', 'c1', 3),
    buy('x2', 'c2', 3),
    buy('loner', 'z1', 2),
  ]);
  rec.refreshNow();
  return rec;
}

const champions: SegmentTopItems = {
  id: 'seg-3',
  name: 'Champions',
  size: 40,
  version: 1,
  items: [
    { itemId: 'c2', customers: 30 },
    { itemId: 'a3', customers: 20 },
    { itemId: 'c1', customers: 10 },
    { itemId: 'gone', customers: 5 }, // not in the catalogue any more: skipped
  ],
};

test("segment-popular: the segment's top items, best first, bought ones removed, with a segment reason", () => {
  const rec = shop();
  assert.ok(rec.strategies().some((s) => s.name === 'segment-popular'));
  // u0 bought a2, a3, a4: a3 is dropped by the remove-bought rule
  const list = rec.recommendSync({ userId: 'u0', first: 2, strategy: 'segment-popular', segment: champions });
  assert.deepEqual(ids(list), ['c2', 'c1']);
  assert.ok(list[0]!.score > list[1]!.score);
  assert.equal(list[0]!.reason, 'popular with "Champions" customers (your segment): bought by 30 of its 40 customers');
  // no segment (no purchase yet): falls through to the usual fallbacks
  const none = rec.recommendSync({ userId: 'nobody', first: 2, strategy: 'segment-popular', segment: null });
  assert.match(none[0]!.reason, /^popular right now \(trending\)/);
});

test("segment fallback: a user with too few CF candidates gets the segment's items before trending", () => {
  const rec = shop();
  // 'loner' bought only z1: no co-occurrence, no text neighbour, so CF and content give nothing
  const without = rec.recommendSync({ userId: 'loner', first: 3 });
  assert.ok(
    without.every((r) => /trending/.test(r.reason)),
    JSON.stringify(without),
  );
  const withSeg = rec.recommendSync({ userId: 'loner', first: 3, segment: champions });
  assert.deepEqual(ids(withSeg), ['c2', 'a3', 'c1']);
  assert.ok(
    withSeg.every((r) => r.reason.startsWith('popular with "Champions" customers')),
    JSON.stringify(withSeg),
  );
  // a user with enough CF candidates keeps them first
  const u0 = rec.recommendSync({ userId: 'u0', first: 1, segment: champions });
  assert.equal(u0[0]!.itemId, 'a1');
});

test('recommend() looks the segment up through the segment source; a refit (new version) is not served from cache', async () => {
  const rec = shop();
  let current: SegmentTopItems = champions;
  const asked: string[] = [];
  rec.setSegmentSource((userId) => async () => {
    asked.push(userId);
    return userId === 'loner' ? current : null;
  });
  assert.deepEqual(ids(await rec.recommend({ userId: 'loner', first: 1, strategy: 'segment-popular' })), ['c2']);
  current = { ...champions, version: 2, items: [{ itemId: 'c1', customers: 12 }] };
  assert.deepEqual(ids(await rec.recommend({ userId: 'loner', first: 1, strategy: 'segment-popular' })), ['c1']);
  assert.deepEqual(asked, ['loner', 'loner']);
});

test('the segment is read only when it can change the answer: segment-popular, or a list that came out short', async () => {
  const rec = shop();
  const asked: string[] = [];
  // A store read (Neo4j): the source hands back a loader, called only when the segment can change the list.
  rec.setSegmentSource((userId) => async () => {
    asked.push(userId);
    return champions;
  });
  // u0's blend list is full without the segment: the same list as with it, and no read.
  const full = await rec.recommend({ userId: 'u0', first: 1 });
  assert.deepEqual(full, rec.recommendSync({ userId: 'u0', first: 1, segment: champions }));
  assert.deepEqual(asked, []);
  // 'loner' has no CF candidates: the list is short without the segment, so it is read and fills it.
  assert.deepEqual(ids(await rec.recommend({ userId: 'loner', first: 3 })), ['c2', 'a3', 'c1']);
  // segment-popular scores from the segment: always read.
  await rec.recommend({ userId: 'u0', first: 1, strategy: 'segment-popular' });
  assert.deepEqual(asked, ['loner', 'u0']);
});
