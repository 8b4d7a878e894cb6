import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_ALS_OPTIONS,
  FoldInScratch,
  fitAls,
  foldIn,
  matrixFromIndex,
  snapshotOf,
  toServedBasis,
  userRow,
  type AlsOptions,
} from '../../../src/recommend/als';
import { InteractionIndex } from '../../../src/recommend/interactions';
import { Recommender } from '../../../src/recommend/recommender';
import { OnlineAls } from '../../../src/recommend/als-online';
import { blendGrid } from '../../../src/recommend/tune';
import { Accumulator, type ScoreContext, type Strategy } from '../../../src/recommend/strategy';
import { buy, twoBasketShop } from './helpers';

const SMALL: AlsOptions = { ...DEFAULT_ALS_OPTIONS, factors: 8, regularization: 2, alpha: 3, iterations: 6, cgSteps: 0, foldInCgSteps: 0, refitMinutes: 0 };

/** 60 users over 30 items in 3 taste groups, some repeat purchases (counts > 1). */
function groupsIndex(): InteractionIndex {
  const index = new InteractionIndex();
  const events = [];
  let seed = 7;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let u = 0; u < 60; u++) {
    const g = u % 3;
    for (let t = 0; t < 8; t++) {
      const it = rnd() < 0.85 ? g * 10 + Math.floor(rnd() * 10) : Math.floor(rnd() * 30);
      events.push(buy(`u${u}`, `i${it}`, t));
    }
  }
  index.apply(events);
  return index;
}

/** Solves the full normal equations of one user over every item (negatives included), by Gaussian elimination. */
function denseSolve(Y: Float64Array, items: number, k: number, lambda: number, conf: Map<number, number>): Float64Array {
  const A = Array.from({ length: k }, () => new Float64Array(k + 1));
  for (let i = 0; i < items; i++) {
    const c = conf.get(i) ?? 1; // every item counts, with confidence 1 where p = 0
    const p = conf.has(i) ? 1 : 0;
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) A[a]![b]! += c * Y[i * k + a]! * Y[i * k + b]!;
      A[a]![k]! += c * p * Y[i * k + a]!;
    }
  }
  for (let a = 0; a < k; a++) A[a]![a]! += lambda;
  for (let col = 0; col < k; col++) {
    let piv = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(A[r]![col]!) > Math.abs(A[piv]![col]!)) piv = r;
    [A[col], A[piv]] = [A[piv]!, A[col]!];
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = A[r]![col]! / A[col]![col]!;
      for (let c = col; c <= k; c++) A[r]![c]! -= f * A[col]![c]!;
    }
  }
  return Float64Array.from({ length: k }, (_, a) => A[a]![k]! / A[a]![a]!);
}

/** x . y_j for every item (scores do not depend on the basis the factors are kept in). */
function scoresOf(x: Float64Array, Y: Float64Array, items: number, k: number): Float64Array {
  return Float64Array.from({ length: items }, (_, j) => {
    let d = 0;
    for (let a = 0; a < k; a++) d += x[a]! * Y[j * k + a]!;
    return d;
  });
}

test("ALS exact fold-in equals the full least-squares solve for that user (negatives included), and the fit's own user step", () => {
  const index = groupsIndex();
  const m = matrixFromIndex(index, SMALL);
  const fit = fitAls(m, SMALL);
  const served = fit.Y.slice();
  const snap = snapshotOf(served, toServedBasis(served, m.items, SMALL.factors), m.items, SMALL, 0, fit.fitMs, 1);
  const s = new FoldInScratch();
  const k = SMALL.factors;
  for (const u of [0, 1, 17, 59]) {
    const h = index.users[u]!;
    assert.ok(foldIn(snap, h, SMALL, s));
    const conf = new Map<number, number>();
    const idx = new Int32Array(h.n);
    const c = new Float32Array(h.n);
    const n = userRow(h, SMALL, m.items, idx, c);
    for (let t = 0; t < n; t++) conf.set(idx[t]!, c[t]!);
    assert.ok(
      [...conf.values()].some((v) => v > 1 + SMALL.alpha),
      'some entry has a count above 1',
    );
    const dense = denseSolve(fit.Y, m.items, k, SMALL.regularization, conf);
    // the snapshot keeps Y in another (orthogonal) basis, so compare what is served: every item's score
    const served = scoresOf(s.x, snap.Y, m.items, k);
    const full = scoresOf(dense, fit.Y, m.items, k);
    // the fit ends with a user step against the final Y (exact solves): the same vector
    const fitted = scoresOf(fit.X.subarray(u * k, u * k + k), fit.Y, m.items, k);
    for (let j = 0; j < m.items; j++) {
      assert.ok(Math.abs(served[j]! - full[j]!) < 1e-9, `user ${u}, item ${j}: fold-in ${served[j]} vs full solve ${full[j]}`);
      assert.ok(Math.abs(served[j]! - fitted[j]!) < 1e-9, `user ${u}, item ${j}: fold-in vs fit`);
    }
  }
});

for (const [solver, foldInCgSteps] of [
  ['exact', 0],
  ['CG', DEFAULT_ALS_OPTIONS.foldInCgSteps],
] as const) {
  test(`a new event changes the user's als vector and list at once, with no refit (${solver} fold-in)`, () => {
    const rec = new Recommender(null, {
      backgroundRefresh: false,
      cacheEntries: 0,
      defaultStrategy: 'als',
      als: { factors: 8, regularization: 1, iterations: 8, foldInCgSteps },
    });
    rec.applyEvents(twoBasketShop());
    rec.refreshNow();
    const snap = rec.als.model;
    assert.ok(snap);
    const s = new FoldInScratch();
    assert.ok(foldIn(snap, rec.index.user('u0')!, rec.als.options, s));
    assert.equal(s.exact, foldInCgSteps === 0);
    const xBefore = s.x.slice(0, snap.k);
    const before = rec.recommendSync({ userId: 'u0', first: 3, strategy: 'als' });
    assert.equal(before[0]?.itemId, 'a1'); // u0's basket is {a1..a4}, a1 missing
    // u0 now buys two of the other basket: their taste vector moves towards b at the next request
    rec.applyEvents([buy('u0', 'b1', 10), buy('u0', 'b2', 10), buy('u0', 'b3', 10)]);
    assert.ok(foldIn(snap, rec.index.user('u0')!, rec.als.options, s));
    assert.ok(
      xBefore.some((v, a) => Math.abs(v - s.x[a]!) > 1e-6),
      'the vector moved',
    );
    const after = rec.recommendSync({ userId: 'u0', first: 3, strategy: 'als' });
    assert.equal(rec.als.model, snap, 'no refit happened');
    assert.notDeepEqual(
      after.map((r) => r.itemId),
      before.map((r) => r.itemId),
    );
    const b4 = after.find((r) => r.itemId === 'b4');
    assert.ok(b4, JSON.stringify(after));
    // explained by one of the b items just bought, not by the a basket
    assert.match(b4.reason, /\(b[123]\)/, b4.reason);
  });
}

function checksum(a: Float64Array): number {
  let s = 0;
  for (let t = 0; t < a.length; t++) s += a[t]! * (1 + (t % 7));
  return s;
}

test('a background refit (worker thread) swaps the whole snapshot at once; readers never see a partial or changed model', async () => {
  const rec = new Recommender(null, {
    backgroundRefresh: false,
    cacheEntries: 0,
    defaultStrategy: 'als',
    als: { factors: 16, iterations: 6, refitMinutes: 0 },
  });
  rec.applyEvents(twoBasketShop());
  for (let u = 0; u < 300; u++) rec.applyEvents([buy(`w${u}`, `a${1 + (u % 4)}`, 1), buy(`w${u}`, `b${1 + ((u * 7) % 4)}`, 2), buy(`w${u}`, `c${u % 40}`, 3)]);
  rec.refreshNow();
  const old = rec.als.model!;
  const oldSum = checksum(old.Y);
  const oldLen = old.Y.length;
  assert.ok(Object.isFrozen(old));
  rec.applyEvents([buy('u0', 'c1', 20), buy('late', 'c2', 20), buy('late', 'a1', 20)]);
  const expectedOld = JSON.stringify(rec.recommendSync({ userId: 'u0', first: 5, strategy: 'als' }));
  const refit = rec.als.refit();
  let done = false;
  void refit.then(() => (done = true));
  let reads = 0;
  while (!done) {
    // while the worker fits, every read is served whole from the old snapshot
    const model = rec.als.model!;
    const list = JSON.stringify(rec.recommendSync({ userId: 'u0', first: 5, strategy: 'als' }));
    if (model === old) assert.equal(list, expectedOld);
    reads++;
    await new Promise((r) => setImmediate(r));
  }
  const next = await refit;
  assert.ok(next && next !== old && rec.als.model === next);
  assert.equal(rec.als.fits.worker, 1);
  assert.ok(reads > 0);
  assert.ok(Object.isFrozen(next));
  assert.equal(next.items, rec.index.itemCount, 'the new snapshot covers the items added since');
  assert.equal(next.Y.length, next.items * next.k);
  assert.equal(next.version, old.version + 1);
  // the old snapshot was neither detached (transferred) nor written to
  assert.equal(old.Y.length, oldLen);
  assert.equal(checksum(old.Y), oldSum);
  assert.ok(!rec.als.stale());
  const fresh = rec.recommendSync({ userId: 'late', first: 5, strategy: 'als' });
  assert.ok(fresh.length > 0, 'a user whose items only the new snapshot has is served');
  rec.close();
});

test('the blend grid covers single strategies and every weighting once', () => {
  const grid = blendGrid(['a', 'b', 'c']);
  const names = grid.map((c) => c.name);
  assert.equal(new Set(names).size, names.length);
  for (const single of ['a', 'b', 'c']) assert.ok(names.includes(single));
  assert.ok(names.includes('blend(a=1,b=0.5)'));
  assert.ok(!names.includes('blend(a=0.5,b=0.5)'), 'scaled duplicates are left out');
  // 26 non-zero weightings, of which the 7 with no weight above 0.5 are scaled copies of a 0/1 weighting
  assert.equal(grid.length, 3 ** 3 - 1 - 7);
});

test('a refit on 2 threads (shared factors, a barrier per half-step) gives exactly the factors of one thread', async () => {
  const index = groupsIndex();
  const o = { ...SMALL, cgSteps: 3, threads: 2 };
  const two = new OnlineAls(index, o);
  const snap = await two.refit();
  const one = fitAls(matrixFromIndex(index, o), o);
  const eigenvalues = toServedBasis(one.Y, index.itemCount, o.factors);
  assert.ok(snap);
  assert.deepEqual(
    snap.shared,
    eigenvalues.map((v) => v + o.regularization),
  );
  assert.equal(snap.Y.length, one.Y.length);
  for (let t = 0; t < one.Y.length; t++) assert.equal(snap.Y[t], one.Y[t], `factor ${t}`);
  await two.close();
});

test('the factors are refit only while something serves als: ingestion alone never starts a fit, the first ask does', async () => {
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const als = { factors: 8, iterations: 2, refitMinutes: 0.001 };
  const idle = new Recommender(null, { backgroundRefresh: true, cacheEntries: 0, defaultStrategy: 'local-ease', als });
  idle.applyEvents(twoBasketShop());
  await wait(1300);
  assert.equal(idle.als.fits.worker + idle.als.fits.sync, 0, 'nobody asked for als: no refit competes with ingestion');
  assert.equal(idle.als.demanded, false);
  idle.recommendSync({ userId: 'u0', first: 5, strategy: 'als' }); // no factors yet: the fallback answers
  assert.equal(idle.als.demanded, true);
  for (let t = 0; t < 50 && idle.als.model === null; t++) await wait(100);
  assert.ok(idle.als.model, 'the first ask planned a refit');
  assert.ok(idle.recommendSync({ userId: 'u0', first: 5, strategy: 'als' }).length > 0);
  idle.close();

  const served = new Recommender(null, { backgroundRefresh: true, cacheEntries: 0, defaultStrategy: 'blend', blend: { 'local-ease': 1, als: 1 }, als });
  assert.equal(served.als.demanded, true, 'a served blend with als wants the factors from the start');
  served.applyEvents(twoBasketShop());
  for (let t = 0; t < 50 && served.als.model === null; t++) await wait(100);
  assert.ok(served.als.model, 'fitted in the background without any request');
  served.close();
});

/**
 * A shop where als and item-knn disagree for user u0, fitted, and `run`: one strategy's scores for u0's
 * history (item index -> score), for the tests of als as a blend's candidate ranker.
 */
function rankerShop() {
  const rec = new Recommender(null, {
    backgroundRefresh: false,
    cacheEntries: 0,
    defaultStrategy: 'als',
    als: { factors: 8, regularization: 1, iterations: 8 },
  });
  rec.applyEvents(twoBasketShop());
  for (let u = 0; u < 60; u++) rec.applyEvents([buy(`w${u}`, `a${1 + (u % 4)}`, 1), buy(`w${u}`, `c${u % 20}`, 2), buy(`w${u}`, `c${(u * 7) % 20}`, 3)]);
  rec.refreshNow();
  const h = rec.index.user('u0')!;
  const seeds = Array.from(h.items.subarray(0, h.n), (item) => ({ item, a: 1 }));
  const items = rec.index.itemCount;
  const run = (s: Strategy, ctx: ScoreContext) => {
    const acc = new Accumulator();
    acc.reset(items);
    s.score(seeds, acc, ctx);
    return new Map(Array.from(acc.touched.subarray(0, acc.n), (j) => [j, acc.score[j]!]));
  };
  return { rec, h, items, run };
}

test('above exactMaxItems, als inside a blend ranks only the other parts’ candidates, each with the score a full scan gives it', () => {
  const { rec, run } = rankerShop();
  const knn = rec.strategyByName('item-knn')!;
  const als = rec.strategyByName('als')!;
  const knnItems = run(knn, { userId: 'u0' });
  const full = run(als, { userId: 'u0' });
  assert.ok(
    [...full.keys()].some((j) => !knnItems.has(j)),
    'a full scan proposes items item-knn does not',
  );
  const pool = Int32Array.from(knnItems.keys());
  rec.als.options.exactMaxItems = 0;
  const ranked = run(als, { userId: 'u0', candidates: { items: pool, n: pool.length } });
  assert.ok(ranked.size > 0);
  for (const [j, v] of ranked) {
    assert.ok(knnItems.has(j), `item ${j} was not a candidate`);
    assert.equal(v, full.get(j), 'same dot product as the full scan');
  }
  // and the blend hands its other parts' candidates over: nothing outside item-knn's list reaches it from als
  rec.defineBlend('knn+als', { als: 1, 'item-knn': 1 });
  const blended = run(rec.strategyByName('knn+als')!, { userId: 'u0' });
  for (const j of blended.keys()) assert.ok(knnItems.has(j));
  rec.als.options.exactMaxItems = 1e9;
  const wide = run(rec.strategyByName('knn+als')!, { userId: 'u0' });
  assert.ok(
    [...wide.keys()].some((j) => !knnItems.has(j)),
    'below the threshold als scans every item',
  );
  rec.close();
});

test('inside a blend on a large catalogue, als re-ranks only the other parts’ best `rerank` candidates, by the blend’s score so far', () => {
  const { rec, h, items, run } = rankerShop();
  const knnItems = run(rec.strategyByName('item-knn')!, { userId: 'u0' });
  const als = rec.strategyByName('als')!;
  const full = run(als, { userId: 'u0' });
  rec.als.options.exactMaxItems = 0;
  const want = 3;
  rec.als.options.rerank = want;
  assert.ok(h.n > 0 && rec.als.options.candidates + h.n > want, 'alone it would keep more: its candidates + |history|');
  const pool = Int32Array.from(knnItems.keys());
  const score = new Float64Array(items);
  for (const [j, v] of knnItems) score[j] = v;
  const best = new Set(
    [...knnItems.entries()]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, want)
      .map(([j]) => j),
  );
  assert.ok(pool.length > want, `a pool (${pool.length}) larger than the ${want} kept`);
  const everyCandidate = run(als, { userId: 'u0', candidates: { items: pool, n: pool.length } });
  assert.ok(
    [...everyCandidate.keys()].some((j) => !best.has(j)),
    'ranking every candidate, als would bring in items outside the blend’s best',
  );
  const ranked = run(als, { userId: 'u0', candidates: { items: pool, n: pool.length, score } });
  assert.ok(ranked.size > 0 && ranked.size <= want, `${ranked.size} items re-ranked, at most ${want}`);
  for (const [j, v] of ranked) {
    assert.ok(best.has(j), `item ${j} is not among the blend's best ${want}`);
    assert.equal(v, full.get(j), 'same dot product as the full scan');
  }
  rec.close();
});
