import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recommender } from '../../../src/recommend/recommender';
import { ItemModel } from '../../../src/recommend/item-model';
import { InteractionIndex } from '../../../src/recommend/interactions';
import { choleskySolve } from '../../../src/recommend/linalg';
import { buy, item, twoBasketShop, view } from './helpers';
import { MemoryGraph } from '../../../src/graph/embedded/memory-graph';
import { prng } from '../../../src/demo/demo-data';

function shop(options: ConstructorParameters<typeof Recommender>[1] = {}): Recommender {
  const rec = new Recommender(null, { backgroundRefresh: false, ...options });
  rec.applyEvents(twoBasketShop());
  rec.refreshNow();
  return rec;
}

const ids = (list: { itemId: string }[]) => list.map((r) => r.itemId);

test("every strategy recommends the missing item of the shopper's basket first", () => {
  const rec = shop();
  for (const { name } of rec.strategies()) {
    if (name === 'popular' || name === 'segment-popular') continue; // not personal: no history signal
    // u0 bought a2, a3, a4 (missed a1)
    const list = rec.recommendSync({ userId: 'u0', first: 3, strategy: name });
    assert.equal(list[0]?.itemId, 'a1', `${name}: ${JSON.stringify(list)}`);
    assert.ok(!ids(list).some((i) => ['a2', 'a3', 'a4'].includes(i)), `${name} recommended a bought item`);
  }
});

test('strategy selection: per request, by configuration, and unknown names are rejected', () => {
  const rec = shop({ defaultStrategy: 'popular' });
  assert.equal(rec.strategies().find((s) => s.isDefault)?.name, 'popular');
  assert.match(rec.recommendSync({ userId: 'u0', first: 1 })[0]!.reason, /^popular/);
  assert.match(rec.recommendSync({ userId: 'u0', first: 1, strategy: 'item-knn' })[0]!.reason, /\(item-knn\)$/);
  assert.throws(() => rec.recommendSync({ userId: 'u0', first: 1, strategy: 'nope' }), /unknown strategy/);
  assert.throws(() => new Recommender(null, { defaultStrategy: 'nope' }), /unknown recommender/);
});

test('a purchase changes the next list at once, before any background refresh', () => {
  const rec = shop();
  const before = ids(rec.recommendSync({ userId: 'u0', first: 5 }));
  assert.equal(before[0], 'a1');
  rec.applyEvents([buy('u0', 'a1', 10), buy('u0', 'b1', 10)]);
  assert.ok(rec.model.pending() > 0, 'the model has not been refreshed');
  const after = ids(rec.recommendSync({ userId: 'u0', first: 5 }));
  assert.notDeepEqual(after, before);
  assert.ok(!after.includes('a1') && !after.includes('b1'));
  assert.ok(
    after.slice(0, 3).every((i) => i.startsWith('b')),
    `b1's basket now leads: ${after}`,
  );
});

test('business rules: exclude list, categories, price range, diversity cap, repeat-purchase mode', () => {
  const rec = shop();
  const base = { userId: 'u0', first: 8 };
  assert.ok(!ids(rec.recommendSync({ ...base, excludeItemIds: ['a1'] })).includes('a1'));
  const garden = rec.recommendSync({ ...base, categories: ['garden'] });
  assert.ok(garden.length > 0 && garden.every((r) => ['b1', 'b2', 'b3'].includes(r.itemId)), JSON.stringify(garden));
  const cheap = rec.recommendSync({ ...base, minPrice: 4, maxPrice: 6 });
  assert.deepEqual(new Set(ids(cheap)), new Set(['a1', 'b2', 'b3']));
  const diverse = rec.recommendSync({ ...base, maxPerCategory: 1 });
  const cats = diverse.map((r) => rec.index.items[rec.index.itemIndex.get(r.itemId)!]!.category);
  assert.equal(new Set(cats).size, cats.length, `one per category: ${cats}`);
  const repeat = ids(rec.recommendSync({ ...base, includePurchased: true }));
  assert.ok(
    repeat.some((i) => ['a2', 'a3', 'a4'].includes(i)),
    `repeat mode may show bought items: ${repeat}`,
  );
});

test('every recommendation carries a reason naming the item or signal behind it', () => {
  const rec = shop();
  for (const r of rec.recommendSync({ userId: 'u0', first: 8 })) assert.ok(r.reason.length > 0);
  assert.match(
    rec.recommendSync({ userId: 'u0', first: 1 })[0]!.reason,
    /^because you bought "a\d \w+ thing" \(a\d\): often bought together with it \(blend\)$/,
  );
});

test('cold start: unknown users get trending items; anonymous sessions get text-similar new items', () => {
  const rec = shop();
  const cold = rec.recommendSync({ userId: 'nobody', first: 3 });
  assert.equal(cold.length, 3);
  assert.match(cold[0]!.reason, /^popular right now \(trending\)/);
  // a brand-new item nobody has bought, similar in text to one the session views
  rec.applyEvents([item('new1', 'b4 toys thing deluxe', 'toys', 12), view('s1', 'b4', 1)]);
  const session = rec.recommendSync({ userId: 'session:s1', first: 8 });
  const fresh = session.find((r) => r.itemId === 'new1');
  assert.ok(fresh, JSON.stringify(session));
  assert.match(fresh.reason, /similar title\/category/);
});

test('each Local EASE column solves (G_NN + lambda I) b = G_Nj on its co-occurring items, and is listed as edges', () => {
  const index = new InteractionIndex();
  const model = new ItemModel(index, { easeK: 100, coocCap: 100, lambda: 2 });
  index.apply(twoBasketShop().concat([buy('x', 'a1'), buy('x', 'b1'), buy('y', 'a2'), buy('y', 'b4')]));
  model.refreshSome();
  // the reference system, assembled from a dense Gram matrix G = X^T X
  const n = index.itemCount;
  const G = new Float64Array(n * n);
  for (const u of index.users) for (let s = 0; s < u.n; s++) for (let t = 0; t < u.n; t++) G[u.items[s]! * n + u.items[t]!]! += 1;
  for (let j = 0; j < n; j++) {
    const col = model.easeIn[j]!;
    // column j from the full system restricted to items co-occurring with j (the rest have zero weight)
    const N = Array.from(col.j);
    const A = new Float64Array(N.length * N.length);
    N.forEach((a, x) => N.forEach((b, y) => (A[x * N.length + y] = G[a * n + b]! + (x === y ? 2 : 0))));
    const b = choleskySolve(A, Float64Array.from(N.map((a) => G[a * n + j]!)), N.length);
    N.forEach((_, x) => assert.ok(Math.abs(col.w[x]! - b[x]!) < 1e-4, `item ${j}`));
  }
});

test("forgetUser removes what a (bot) user did from everyone else's recommendations, earlier events included", () => {
  const rec = shop();
  // A "bot" hammers one item of basket b together with a1 over several batches, so a1 -> b4 looks related.
  for (let k = 0; k < 4; k++) rec.applyEvents([buy('bot', 'a1', 20 + k), buy('bot', 'b4', 20 + k)]);
  for (let k = 0; k < 6; k++) rec.applyEvents([buy(`bot${k}`, 'a1', 30), buy(`bot${k}`, 'b4', 30)]);
  rec.refreshNow();
  const poisoned = ids(rec.recommendSync({ userId: 'u2', first: 8, strategy: 'item-knn' }));
  for (let k = 0; k < 6; k++) rec.forgetUser(`bot${k}`);
  rec.forgetUser('bot');
  rec.refreshNow();
  const clean = ids(rec.recommendSync({ userId: 'u2', first: 8, strategy: 'item-knn' }));
  assert.ok(poisoned.indexOf('b4') < clean.indexOf('b4') || !clean.includes('b4'), `b4 sank once the bots were forgotten: ${poisoned} -> ${clean}`);
  assert.equal(rec.index.user('bot')!.n, 0);
  assert.equal(rec.index.degree(rec.index.itemIndex.get('b4')!), 5, 'only the five real shoppers of b4 remain');
});

test('under a sustained stream the background refresh is paced, catches up when it stops, and close() leaves timers intact', async () => {
  const rec = new Recommender(null, { refreshSliceMs: 0, refreshShare: 0.25 });
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  // 40 users over 400 items: far more dirty items than one slice (a batch of 64) re-solves
  const wave = (w: number) => Array.from({ length: 400 }, (_, k) => buy(`s${(k * 7 + w) % 40}`, `p${(k * 13 + w) % 400}`, w));
  const slicesDuringStream: number[] = [];
  for (let w = 0; w < 20; w++) {
    rec.applyEvents(wave(w));
    const before = rec.pendingItems();
    await tick();
    slicesDuringStream.push(before - rec.pendingItems());
  }
  // paced: between waves the refresh waits (a timeout) instead of re-solving on every turn
  assert.ok(slicesDuringStream.filter((d) => d === 0).length >= 5, `re-solved on every turn: ${slicesDuringStream.join(',')}`);
  assert.ok(rec.pendingItems() > 0);
  await rec.whenFresh(); // the stream stopped: it runs flat out until nothing is dirty
  assert.equal(rec.pendingItems(), 0);

  // close() while a paced timeout is pending must cancel it with the right call: clearing a Timeout as
  // an Immediate corrupts Node's queues and setImmediate callbacks stop running (seen as a hung LMDB write).
  const paced = new Recommender(null, { refreshSliceMs: 0, refreshShare: 0.01 }); // pauses of ~99x a slice: a Timeout
  paced.applyEvents(wave(100));
  await tick();
  paced.applyEvents(wave(101));
  await tick();
  const pending = paced.pendingItems();
  paced.close();
  rec.close();
  await tick();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(paced.pendingItems(), pending, 'a closed recommender re-solved something');
  await tick(); // would hang with corrupted immediates
});

test('the result cache survives impression records (served lists change no answer) and not behaviour', async () => {
  const rec = shop();
  const ask = () => rec.recommend({ userId: 'u0', first: 3 });
  const first = await ask();
  const impression = {
    kind: 'impression' as const,
    v: 1,
    id: 'served-1',
    userId: 'u0',
    surface: 'recommendations' as const,
    strategy: 'blend',
    items: first.map((r, i) => ({ itemId: r.itemId, position: i + 1, propensity: 1 })),
    timestamp: Date.now(),
  };
  rec.applyEvents([impression]);
  assert.deepEqual(await ask(), first);
  assert.deepEqual(rec.cacheStats(), { hits: 1, misses: 1, hitRate: 0.5 }, 'answered from the cache after the impression');
  rec.applyEvents([view('u9', 'a1')]);
  await ask();
  assert.equal(rec.cacheStats().misses, 2, 'behaviour invalidates it');
});

test('a recommender that starts on a graph answers the same whatever order the store scans the edges in (a joining gateway, either backend)', async () => {
  const rand = prng(11);
  const types = ['VIEW', 'CLICK', 'ADD_TO_CART', 'PURCHASE'] as const;
  const events = Array.from({ length: 4000 }, (_, k) =>
    buy(`u${Math.floor(Math.pow(rand(), 1.5) * 150)}`, `i${Math.floor(Math.pow(rand(), 2) * 60)}`, k / 50, types[Math.floor(rand() * types.length)]!),
  );
  const graph = new MemoryGraph();
  await graph.applyEvents(events);
  // The same graph, its edges handed out in another order (Neo4j scans by user id, the embedded graph by insertion).
  const reversed = Object.create(graph) as typeof graph;
  reversed.scanInteractions = async function* (batchSize: number) {
    const all = [];
    for await (const batch of graph.scanInteractions(batchSize)) all.push(...batch);
    all.reverse();
    for (let i = 0; i < all.length; i += batchSize) yield all.slice(i, i + batchSize);
  };
  const answers = async (store: typeof graph) => {
    const rec = new Recommender(store, { backgroundRefresh: false, cacheEntries: 0 });
    await rec.bootstrap();
    rec.refreshNow();
    const out: string[] = [];
    for (let u = 0; u < 150; u++) {
      for (const strategy of ['blend', 'user-knn', 'item-knn', 'rp3beta', 'local-ease', 'popular']) {
        out.push(
          `${strategy} u${u}: ${rec
            .recommendSync({ userId: `u${u}`, first: 10, strategy })
            .map((r) => `${r.itemId}@${r.score.toFixed(12)}`)
            .join(' ')}`,
        );
      }
    }
    return out;
  };
  const a = await answers(graph);
  const b = await answers(reversed);
  const differing = a.filter((line, k) => line !== b[k]);
  assert.equal(
    differing.length,
    0,
    `${differing.length} of ${a.length} lists differ, e.g.\n${differing.slice(0, 3).join('\n')}\n${b
      .filter((l, k) => l !== a[k])
      .slice(0, 3)
      .join('\n')}`,
  );
});

test('after a bootstrap the recommender is warm once every item it left unsolved is solved, whatever arrives meanwhile', async () => {
  const graph = new MemoryGraph();
  const rand = prng(5);
  // 200 items: more than one refresh batch (64), so the order of the work shows.
  await graph.applyEvents(Array.from({ length: 3000 }, (_, k) => buy(`u${Math.floor(rand() * 100)}`, `i${k % 200}`, k / 100)));
  const rec = new Recommender(graph, { backgroundRefresh: false, cacheEntries: 0 });
  assert.equal(rec.isWarm(), true, 'nothing bootstrapped, nothing owed');
  await rec.bootstrap();
  const owed = rec.model.pending();
  assert.equal(owed, 200);
  assert.equal(rec.isWarm(), false, 'a model not yet solved is not warm');
  // New behaviour dirties more items after the bootstrap's; solving the owed ones is enough.
  const late = Array.from({ length: 100 }, (_, k) => buy('late-user', `late-${k}`, 40));
  await graph.applyEvents(late);
  rec.applyEvents(late);
  assert.ok(rec.model.pending() > owed, 'the stream added work');
  while (!rec.isWarm()) rec.model.refreshSome(0);
  assert.ok(rec.model.pending() > 0, 'warm before the later items are solved');
  rec.close();
});
