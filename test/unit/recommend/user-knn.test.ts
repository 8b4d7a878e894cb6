import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recommender } from '../../../src/recommend/recommender';
import { loadConfig } from '../../../src/config/config';
import { buy, item, twoBasketShop } from './helpers';

function shop(options: ConstructorParameters<typeof Recommender>[1] = {}): Recommender {
  const rec = new Recommender(null, { backgroundRefresh: false, ...options });
  rec.applyEvents(twoBasketShop());
  rec.refreshNow();
  return rec;
}

test('user-knn: neighbours with the same basket vote for the missing item, with a reason naming the signal', () => {
  for (const similarity of ['cosine', 'bm25', 'jaccard'] as const) {
    const rec = shop({ userKnn: { similarity } });
    const list = rec.recommendSync({ userId: 'u0', first: 3, strategy: 'user-knn' });
    assert.equal(list[0]?.itemId, 'a1', `${similarity}: ${JSON.stringify(list)}`);
    // u0's basket-mates are u2, u4, ..., u10 (6 users incl. u0); 4 of the 5 others bought a1
    assert.match(list[0]!.reason, /^shoppers with baskets like yours bought it: \d+ of your \d+ nearest shoppers \(user-knn\)$/);
    assert.ok(!list.some((r) => ['a2', 'a3', 'a4'].includes(r.itemId)), 'never a bought item');
  }
});

test('user-knn leaves the user out of their own neighbours and uses the live index', () => {
  const rec = shop();
  // a brand-new shopper: after one purchase, neighbours are the buyers of that item
  rec.applyEvents([buy('new', 'b2', 30)]);
  const list = rec.recommendSync({ userId: 'new', first: 3, strategy: 'user-knn' });
  assert.ok(list.length === 3 && list.slice(0, 3).every((r) => r.itemId.startsWith('b')), JSON.stringify(list));
  assert.ok(list.every((r) => r.itemId !== 'b2'));
});

test('user-knn bounds its fan-out through popular items', () => {
  const rec = new Recommender(null, { backgroundRefresh: false, userKnn: { fanOut: 3, neighbours: 2 } });
  const events = [];
  for (let u = 0; u < 50; u++) events.push(buy(`u${u}`, 'hit', 0), buy(`u${u}`, `x${u}`, 1));
  events.push(buy('me', 'hit', 2));
  rec.applyEvents(events);
  const list = rec.recommendSync({ userId: 'me', first: 10, strategy: 'user-knn' });
  // only the latest 3 buyers of "hit" are read, of which the best 2 vote
  const voted = list.filter((r) => r.reason.includes('(user-knn)'));
  assert.equal(voted.length, 2, JSON.stringify(list));
  assert.ok(
    voted.every((r) => ['x47', 'x48', 'x49'].includes(r.itemId)),
    JSON.stringify(voted),
  );
});

test('blend parts and weights, similarities and event-type weights come from configuration', () => {
  const cfg = loadConfig(
    {},
    {
      FLYWHEEL_BLEND: 'local-ease=1, user-knn=0.5',
      FLYWHEEL_EVENT_WEIGHTS: 'VIEW=0.1,CLICK=0.2',
      FLYWHEEL_SIMILARITY: 'jaccard',
      FLYWHEEL_USER_SIMILARITY: 'bm25',
      FLYWHEEL_RECOMMENDER: 'user-knn',
    },
  );
  assert.equal(cfg.FLYWHEEL_SIMILARITY, 'jaccard');
  assert.equal(cfg.FLYWHEEL_RECOMMENDER, 'user-knn');
  assert.throws(() => loadConfig({}, { FLYWHEEL_BLEND: 'nope=1' }), /FLYWHEEL_BLEND/);
  assert.throws(() => loadConfig({}, { FLYWHEEL_EVENT_WEIGHTS: 'PURCHASE=x' }), /FLYWHEEL_EVENT_WEIGHTS/);
  const rec = shop({ blend: { 'local-ease': 1, 'user-knn': 0.5 }, defaultStrategy: 'blend' });
  assert.match(rec.strategies().find((s) => s.name === 'blend')!.description, /^local-ease x 1 \+ user-knn x 0.5/);
  assert.equal(rec.recommendSync({ userId: 'u0', first: 1 })[0]?.itemId, 'a1');
  assert.throws(() => new Recommender(null, { blend: { nope: 1 } }), /unknown part/);
});

test('ranking: when the rules reject every candidate of the bounded heap, the rest come in full rank order', () => {
  const rec = new Recommender(null, { backgroundRefresh: false, defaultStrategy: 'popular' });
  const events = [];
  // 150 items, item p<k> bought by k + 1 shoppers; only the least popular is in category "rare"
  for (let k = 0; k < 150; k++) {
    events.push(item(`p${k}`, `thing ${k}`, k === 0 ? 'rare' : 'common'));
    for (let u = 0; u <= k; u++) events.push(buy(`s${u}`, `p${k}`, 1));
  }
  rec.applyEvents(events);
  const all = rec.recommendSync({ userId: 'nobody', first: 100 });
  assert.deepEqual(
    all.slice(0, 3).map((r) => r.itemId),
    ['p149', 'p148', 'p147'],
  );
  const rare = rec.recommendSync({ userId: 'nobody', first: 1, categories: ['rare'] });
  assert.equal(rare[0]?.itemId, 'p0');
  assert.match(rare[0]!.reason, /^popular: 1 shoppers/, 'scored by the strategy, not a trending fill');
});
