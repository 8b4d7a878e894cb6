import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recommender, UnknownStrategyError } from '../../../src/recommend/recommender';
import { syntheticEvents } from '../../../src/recommend/synthetic';

/**
 * Experiment variants with their own blend weights: the recommender builds each variant's blend once
 * (`setVariantBlends`, at the experiment's start) and ranks a request that carries its key with it, exactly as
 * a blend of those weights ranks; the blends are not strategies clients can name.
 */
function shop(): Recommender {
  const rec = new Recommender(null, { backgroundRefresh: false });
  for (const batch of syntheticEvents({ users: 300, items: 300, interactions: 6000, seed: 7, batchSize: 10_000 })) rec.applyEvents(batch);
  rec.refreshNow();
  return rec;
}

const KNN_HEAVY = { 'local-ease': 0.05, 'item-knn': 1 };
const EASE_HEAVY = { 'local-ease': 1, 'item-knn': 0.05 };
const users = Array.from({ length: 60 }, (_, u) => `u${u}`);

test('a variant blend ranks exactly as a blend of its weights; two weightings rank differently; neither is a strategy by name', () => {
  const rec = shop();
  const failed = rec.setVariantBlends([
    { key: 'x/knn-heavy', weights: KNN_HEAVY },
    { key: 'x/ease-heavy', weights: EASE_HEAVY },
  ]);
  assert.deepEqual(failed, []);
  rec.defineBlend('reference-knn-heavy', KNN_HEAVY);
  rec.defineBlend('reference-ease-heavy', EASE_HEAVY);
  let differ = 0;
  for (const userId of users) {
    const knn = rec.recommendSync({ userId, first: 10, strategy: 'blend', variantBlend: 'x/knn-heavy' });
    const ease = rec.recommendSync({ userId, first: 10, strategy: 'blend', variantBlend: 'x/ease-heavy' });
    assert.deepEqual(
      knn.map((r) => [r.itemId, r.score]),
      rec.recommendSync({ userId, first: 10, strategy: 'reference-knn-heavy' }).map((r) => [r.itemId, r.score]),
    );
    assert.deepEqual(
      ease.map((r) => [r.itemId, r.score]),
      rec.recommendSync({ userId, first: 10, strategy: 'reference-ease-heavy' }).map((r) => [r.itemId, r.score]),
    );
    // Reasons name the strategy the list reports: blend.
    assert.ok(knn.every((r) => !r.reason.includes('x/knn-heavy')));
    if (knn.map((r) => r.itemId).join() !== ease.map((r) => r.itemId).join()) differ++;
  }
  assert.ok(differ >= users.length / 4, `the two weightings rank differently for many users: ${differ} of ${users.length}`);
  assert.ok(!rec.strategies().some((s) => s.name.startsWith('x/')), 'not listed among the strategies');
  assert.throws(() => rec.recommendSync({ userId: 'u1', first: 5, strategy: 'x/knn-heavy' }), UnknownStrategyError);
});

test('setVariantBlends replaces the set; a blend naming a part this gateway lacks is reported and left out, the others built', () => {
  const rec = shop();
  rec.setVariantBlends([{ key: 'old', weights: KNN_HEAVY }]);
  assert.equal(rec.hasVariantBlend('old'), true);
  const failed = rec.setVariantBlends([
    { key: 'new', weights: EASE_HEAVY },
    { key: 'future', weights: { 'item-knn': 1, 'graph-neural-net': 2 } },
  ]);
  assert.deepEqual(
    failed.map((f) => f.key),
    ['future'],
  );
  assert.match(failed[0]!.error, /unknown part "graph-neural-net"/);
  assert.deepEqual(
    ['old', 'new', 'future'].map((k) => rec.hasVariantBlend(k)),
    [false, true, false],
  );
  assert.throws(() => rec.recommendSync({ userId: 'u1', first: 5, variantBlend: 'old' }), /no variant blend old/);
  rec.setVariantBlends([]);
  assert.equal(rec.hasVariantBlend('new'), false, 'dropped when the experiment ends');
});

test('the result cache keeps the variant blends apart from the default blend', () => {
  const rec = new Recommender(null, { backgroundRefresh: false, cacheEntries: 100 });
  for (const batch of syntheticEvents({ users: 300, items: 300, interactions: 6000, seed: 7, batchSize: 10_000 })) rec.applyEvents(batch);
  rec.refreshNow();
  rec.setVariantBlends([{ key: 'k', weights: { 'item-knn': 1 } }]);
  let differ = 0;
  for (const userId of users) {
    const plain = rec.recommendSync({ userId, first: 10, strategy: 'blend' }).map((r) => r.itemId);
    const weighted = rec.recommendSync({ userId, first: 10, strategy: 'blend', variantBlend: 'k' }).map((r) => r.itemId);
    assert.deepEqual(
      rec.recommendSync({ userId, first: 10, strategy: 'blend' }).map((r) => r.itemId),
      plain,
      'the cached default blend',
    );
    if (plain.join() !== weighted.join()) differ++;
  }
  assert.ok(differ > 0, 'one key each: the cached default blend is not served for a variant');
});

test('configure({ blend }) makes the weights the default blend (what shipping a weighted variant does)', () => {
  const rec = shop();
  rec.defineBlend('reference', EASE_HEAVY);
  rec.configure({ blend: EASE_HEAVY, defaultStrategy: 'blend' });
  assert.deepEqual(rec.options.blend, EASE_HEAVY);
  for (const userId of users.slice(0, 20))
    assert.deepEqual(
      rec.recommendSync({ userId, first: 10 }).map((r) => r.itemId),
      rec.recommendSync({ userId, first: 10, strategy: 'reference' }).map((r) => r.itemId),
    );
});
