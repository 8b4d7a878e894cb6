import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveRecommendations } from '../../../src/app/serving';
import type { Flywheel } from '../../../src/app/flywheel';
import type { ExperimentSpec } from '../../../src/events/event';
import type { ServedList, ServeInput } from '../../../src/outcomes/impressions';
import { Recommender } from '../../../src/recommend/recommender';
import { syntheticEvents } from '../../../src/recommend/synthetic';
import { experimentRecord, wiredBook } from '../outcomes/wired-book';

/**
 * serveRecommendations with a weighted variant: the user gets the list of the blend built for their variant at
 * the start (a blend of exactly those weights), the impression says strategy `blend` and the variant; the book
 * and the recommender are wired as src/app/flywheel.ts wires them (onVariantBlends -> setVariantBlends).
 */
const KNN_HEAVY = { 'local-ease': 0.05, 'item-knn': 1 };
const EASE_HEAVY = { 'local-ease': 1, 'item-knn': 0.05 };
const parts = (w: Record<string, number>) => Object.entries(w).map(([strategy, weight]) => ({ strategy, weight }));
const spec: ExperimentSpec = {
  name: 'weightings',
  salt: 'serving-salt',
  traffic: 1,
  variants: [
    { name: 'knn-heavy', share: 0.5, strategy: 'blend', blend: parts(KNN_HEAVY) },
    { name: 'ease-heavy', share: 0.5, strategy: 'blend', blend: parts(EASE_HEAVY) },
  ],
  control: 'knn-heavy',
  primaryMetric: 'CTR',
  guardrailMetrics: [],
  minimumDetectableEffect: 0.05,
};
const rec = experimentRecord;

function setUp() {
  const recommender = new Recommender(null, { backgroundRefresh: false });
  for (const batch of syntheticEvents({ users: 300, items: 300, interactions: 6000, seed: 11, batchSize: 10_000 })) recommender.applyEvents(batch);
  recommender.refreshNow();
  recommender.defineBlend('reference:knn-heavy', KNN_HEAVY);
  recommender.defineBlend('reference:ease-heavy', EASE_HEAVY);
  const { book, feed } = wiredBook({ onVariantBlends: (blends) => recommender.setVariantBlends(blends) });
  const recorded: ServeInput[] = [];
  const impressions = {
    record: (input: ServeInput): Promise<ServedList> => {
      recorded.push(input);
      return Promise.resolve({
        servedId: `s${recorded.length}`,
        surface: input.surface,
        strategy: input.strategy,
        ...(input.experiment ? { experimentId: input.experiment.id, variant: input.experiment.variant } : {}),
        entries: input.itemIds.map((itemId, i) => ({ itemId, position: i + 1, propensity: 1, ...(input.teams ? { team: input.teams.perEntry[i]! } : {}) })),
        recorded: Promise.resolve(true),
      });
    },
  };
  const app = { recommender, outcomes: { experiments: book }, impressions } as unknown as Pick<Flywheel, 'recommender' | 'outcomes' | 'impressions'>;
  return { app, recommender, book, feed, recorded };
}

test("an assigned user gets their variant's weighted blend; the impression says blend and the variant; the two weightings differ", async () => {
  const { app, recommender, book, feed, recorded } = setUp();
  feed([rec('x', 'create', { spec }), rec('x', 'start')]);
  const lists = new Map<string, string[]>();
  for (let u = 0; u < 40; u++) {
    const userId = `u${u}`;
    const { scored, served } = await serveRecommendations(app, { userId, first: 8 });
    const expected = book.assign(userId)!;
    assert.equal(served.strategy, 'blend');
    assert.equal(served.variant, expected.variant);
    assert.deepEqual(recorded.at(-1)!.experiment, { id: 'x', variant: expected.variant });
    const ids = scored.map((r) => r.itemId);
    assert.deepEqual(
      ids,
      recommender.recommendSync({ userId, first: 8, strategy: `reference:${expected.variant}` }).map((r) => r.itemId),
    );
    lists.set(userId, ids);
  }
  // Had they been in the other variant, most users would have seen another list.
  let differ = 0;
  for (const [userId, ids] of lists) {
    const other = book.assign(userId)!.variant === 'knn-heavy' ? 'ease-heavy' : 'knn-heavy';
    if (
      recommender
        .recommendSync({ userId, first: 8, strategy: `reference:${other}` })
        .map((r) => r.itemId)
        .join() !== ids.join()
    )
      differ++;
  }
  assert.ok(differ >= 20, `the weightings rank differently: ${differ} of 40 users`);
  // A strategy asked for by name is served as asked, outside the experiment.
  const asked = await serveRecommendations(app, { userId: 'u1', first: 8, strategy: 'blend' });
  assert.equal(asked.served.variant, undefined);
});

test('an interleaving of two weightings merges both blends, each entry credited to the variant whose blend contributed it', async () => {
  const { app, recommender, feed } = setUp();
  feed([rec('i', 'create', { spec: { ...spec, type: 'INTERLEAVE' } }), rec('i', 'start')]);
  const { scored, served } = await serveRecommendations(app, { userId: 'u3', first: 8 }, 'recommendations', () => 0.3);
  assert.equal(served.variant, 'interleaved');
  const own = {
    'knn-heavy': recommender.recommendSync({ userId: 'u3', first: 8, strategy: 'reference:knn-heavy' }).map((r) => r.itemId),
    'ease-heavy': recommender.recommendSync({ userId: 'u3', first: 8, strategy: 'reference:ease-heavy' }).map((r) => r.itemId),
  };
  assert.notDeepEqual(own['knn-heavy'], own['ease-heavy']);
  served.entries.forEach((e, i) => {
    assert.ok(own[e.team as keyof typeof own].includes(e.itemId), `${e.itemId} comes from ${e.team}'s list`);
    assert.equal(scored[i]!.itemId, e.itemId);
  });
  assert.deepEqual(new Set(served.entries.map((e) => e.team)), new Set(['knn-heavy', 'ease-heavy']));
});

test('a gateway that cannot build a variant blend (a part it does not serve) serves the default, unexposed', async () => {
  const { app, feed, recorded } = setUp();
  const future = { ...spec, variants: spec.variants.map((v) => ({ ...v, blend: [{ strategy: 'graph-neural-net', weight: 1 }] })) };
  feed([rec('f', 'create', { spec: future }), rec('f', 'start')]);
  const { served } = await serveRecommendations(app, { userId: 'u5', first: 5 });
  assert.equal(served.variant, undefined);
  assert.equal(served.strategy, 'blend');
  assert.equal(recorded.at(-1)!.experiment, undefined, 'not counted in a variant whose ranking this gateway cannot serve');
});
