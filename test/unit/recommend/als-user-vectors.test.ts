import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_ALS_OPTIONS,
  FoldInScratch,
  explain,
  fitAls,
  foldIn,
  matrixFromIndex,
  snapshotOf,
  toServedBasis,
  type AlsOptions,
  type AlsSnapshot,
} from '../../../src/recommend/als';
import { UserVectorCache } from '../../../src/recommend/als-user-vectors';
import { OnlineAls } from '../../../src/recommend/als-online';
import { keepPrimed, readPrimeRows, solveRows, type PrimingReport } from '../../../src/recommend/als-prime';
import { InteractionIndex } from '../../../src/recommend/interactions';
import { EVENT_SCHEMA_VERSION, type FlywheelEvent } from '../../../src/events/event';
import { rng, syntheticEvents } from '../../../src/recommend/synthetic';
import { Recommender } from '../../../src/recommend/recommender';
import { buy, twoBasketShop } from './helpers';

// The kept fold-ins (UserVectorCache) against the fold-in they stand for: what a request gets must not depend
// on whether the cache held the user, beyond the CG's own tolerance when it starts warm.

const O: AlsOptions = { ...DEFAULT_ALS_OPTIONS, factors: 32, refitMinutes: 0, threads: 1 };

function shop(): { index: InteractionIndex; snap: (version: number) => AlsSnapshot } {
  const index = new InteractionIndex();
  for (const batch of syntheticEvents({ users: 400, items: 300, interactions: 12_000, seed: 5, batchSize: 4_000 })) index.apply(batch);
  const m = matrixFromIndex(index, O);
  const fit = fitAls(m, O);
  const eig = toServedBasis(fit.Y, m.items, O.factors);
  return { index, snap: (version) => snapshotOf(fit.Y, eig, m.items, O, 0, fit.fitMs, version) };
}

function view(user: string, item: string, at: number): FlywheelEvent[] {
  return [{ kind: 'interaction', v: EVENT_SCHEMA_VERSION, id: `e-${user}-${item}-${at}`, type: 'VIEW', userId: user, itemId: item, timestamp: at }];
}

/** The cache's answer and a fresh fold-in's, for user u now. */
function both(cache: UserVectorCache, snap: AlsSnapshot, index: InteractionIndex, u: number): { kept: Float64Array; fresh: Float64Array; steps: number } {
  const s = new FoldInScratch();
  assert.ok(cache.foldIn(snap, u, index.users[u]!, O, s));
  const kept = s.x.slice(0, snap.k);
  const steps = s.steps;
  const t = new FoldInScratch();
  assert.ok(foldIn(snap, index.users[u]!, O, t));
  return { kept, fresh: t.x.slice(0, snap.k), steps };
}

function relativeError(x: Float64Array, ref: Float64Array): number {
  let e = 0;
  let n = 0;
  for (let a = 0; a < ref.length; a++) {
    e += (x[a]! - ref[a]!) ** 2;
    n += ref[a]! ** 2;
  }
  return Math.sqrt(e / n);
}

test('a user asked for again with the same history and snapshot gets the kept vector, bit for bit what a fold-in gives', () => {
  const { index, snap } = shop();
  const model = snap(1);
  const cache = new UserVectorCache(1024);
  for (let u = 0; u < 50; u++) {
    const first = both(cache, model, index, u);
    assert.deepEqual(first.kept, first.fresh, `user ${u}: the first answer is the fold-in`);
    const again = both(cache, model, index, u);
    assert.deepEqual(again.kept, again.fresh, `user ${u}: the kept answer is the fold-in`);
    assert.equal(again.steps, 0);
  }
  assert.deepEqual(cache.counts, { cached: 50, warm: 0, cold: 50 });
  assert.equal(cache.size, 50);
});

test('after a new event the kept vector only starts the solve: the answer moves to the new history, within the tolerance, in no more steps', () => {
  const { index, snap } = shop();
  const model = snap(1);
  const cache = new UserVectorCache(1024);
  const r = rng(9);
  let warmSteps = 0;
  let coldSteps = 0;
  for (let u = 0; u < 60; u++) {
    const before = both(cache, model, index, u).kept;
    const h = index.users[u]!;
    index.apply(view(h.id, index.items[Math.floor(r() * model.items)]!.id, h.latest + 1));
    const after = both(cache, model, index, u);
    // the new event counts: the answer is the new history's fold-in (to the CG tolerance), not the kept one
    assert.ok(relativeError(after.kept, after.fresh) < 5e-3, `user ${u}: ${relativeError(after.kept, after.fresh)}`);
    assert.ok(relativeError(before, after.fresh) > relativeError(after.kept, after.fresh), `user ${u}: the answer moved toward the new history`);
    const cold = new FoldInScratch();
    foldIn(model, h, O, cold);
    warmSteps += after.steps;
    coldSteps += cold.steps;
  }
  assert.equal(cache.counts.warm, 60);
  assert.ok(warmSteps <= coldSteps, `warm starts took ${warmSteps} CG steps, cold ones ${coldSteps}`);
});

test('a vector kept for another snapshot is not used: a refit starts every user cold', () => {
  const { index, snap } = shop();
  const cache = new UserVectorCache(1024);
  both(cache, snap(1), index, 3);
  const next = both(cache, snap(2), index, 3);
  assert.deepEqual(next.kept, next.fresh);
  assert.deepEqual(cache.counts, { cached: 0, warm: 0, cold: 2 });
});

test('users sharing a slot evict each other and still get their own fold-in; capacity 0 keeps nothing', () => {
  const { index, snap } = shop();
  const model = snap(1);
  const cache = new UserVectorCache(16);
  for (let round = 0; round < 2; round++)
    for (const u of [5, 21, 37]) {
      const x = both(cache, model, index, u);
      assert.deepEqual(x.kept, x.fresh, `user ${u}`);
    }
  assert.deepEqual(cache.counts, { cached: 0, warm: 0, cold: 6 });
  const none = new UserVectorCache(0);
  both(none, model, index, 5);
  both(none, model, index, 5);
  assert.deepEqual(none.counts, { cached: 0, warm: 0, cold: 2 });
  assert.equal(none.size, 0);
});

test('a forgotten user leaves nothing behind, and a kept vector still explains like the solve it stands for', () => {
  const { index, snap } = shop();
  const model = snap(1);
  const cache = new UserVectorCache(1024);
  const s = new FoldInScratch();
  assert.ok(cache.foldIn(model, 7, index.users[7]!, O, s));
  const z = new Float64Array(model.k);
  const explainedFresh = [0, 1, 2, 3].map((j) => explain(model, s, j, z));
  assert.ok(cache.foldIn(model, 7, index.users[7]!, O, s));
  assert.equal(cache.counts.cached, 1);
  assert.deepEqual(
    [0, 1, 2, 3].map((j) => explain(model, s, j, z)),
    explainedFresh,
  );
  cache.forget(7);
  assert.equal(cache.size, 0);
  assert.ok(cache.foldIn(model, 7, index.users[7]!, O, s));
  assert.equal(cache.counts.cold, 2);
});

/**
 * A recommender serving `als` alone over a small shop, background work paused; `userVectors` kept (default:
 * the option's); factors fitted unless `fit` is false.
 */
function servedAlsShop(userVectors?: number, fit = true): Recommender {
  const rec = new Recommender(null, {
    backgroundRefresh: false,
    cacheEntries: 0,
    defaultStrategy: 'als',
    als: { factors: 8, regularization: 1, iterations: 8, ...(userVectors === undefined ? {} : { userVectors }) },
  });
  rec.applyEvents(twoBasketShop());
  for (let u = 0; u < 60; u++) rec.applyEvents([buy(`w${u}`, `a${1 + (u % 4)}`, 1), buy(`w${u}`, `c${u % 20}`, 2)]);
  if (fit) rec.refreshNow();
  return rec;
}

test('through the recommender: a second list for the same user reuses the vector, a new event re-solves it, forgetting the user drops it', () => {
  const rec = servedAlsShop();
  const first = rec.recommendSync({ userId: 'w3', first: 5 });
  const second = rec.recommendSync({ userId: 'w3', first: 5 });
  assert.deepEqual(second, first, 'the kept vector gives the same list');
  assert.deepEqual(rec.alsFoldIns(), { cached: 1, warm: 0, cold: 1 });
  rec.applyEvents([buy('w3', 'c11', 10)]);
  rec.recommendSync({ userId: 'w3', first: 5 });
  assert.equal(rec.alsFoldIns().warm, 1, 'a new event is solved again, from the kept vector');
  const held = rec.als.userVectors.size;
  rec.forgetUser('w3');
  assert.equal(rec.als.userVectors.size, held - 1, "an erased user's vector goes with their history");
  rec.close();
});

test("after a served user's events, their kept vector is solved again off the request path, once per turn, and matches a fresh fold-in", async () => {
  const rec = servedAlsShop();
  rec.recommendSync({ userId: 'w3', first: 5 }); // w3 is served: its vector is kept
  rec.applyEvents([buy('w3', 'c11', 10)]);
  rec.applyEvents([buy('w3', 'c12', 11)]);
  rec.applyEvents([buy('w4', 'c13', 12)]); // w4 was never served: nothing kept, nothing to solve
  assert.equal(rec.alsVectorRefreshes(), 0, 'not on the event path');
  await new Promise((r) => setImmediate(r));
  assert.equal(rec.alsVectorRefreshes(), 1, 'one solve for w3 however many events it had');
  const counts = { ...rec.alsFoldIns() };
  const list = rec.recommendSync({ userId: 'w3', first: 5 });
  assert.deepEqual(rec.alsFoldIns(), { ...counts, cached: counts.cached + 1 }, 'the next request finds it current');

  // the same events on a recommender that keeps no vectors: the same list (within the CG's tolerance, which
  // these scores are far apart from)
  const plain = servedAlsShop(0);
  plain.applyEvents([buy('w3', 'c11', 10), buy('w3', 'c12', 11), buy('w4', 'c13', 12)]);
  assert.deepEqual(
    list.map((r) => r.itemId),
    plain.recommendSync({ userId: 'w3', first: 5 }).map((r) => r.itemId),
  );
  rec.close();
  plain.close();
});

test('priming: the rows read here and solved elsewhere give each user, bit for bit, the vector their request would solve', async () => {
  const { index, snap } = shop();
  const model = snap(1);
  const cache = new UserVectorCache(1024);
  const users = cache.primeCandidates(index.users);
  assert.equal(users.length, index.users.length, 'room for every user: all of them');
  const rows = (await readPrimeRows(model, index, users, O, () => true))?.rows;
  assert.ok(rows);
  const X = solveRows(model, structuredClone(rows), O); // what the worker does, on a copy as it gets one
  assert.equal(keepPrimed(cache, model, index, rows, X), rows.users.length);
  assert.equal(cache.primed, rows.users.length);
  const s = new FoldInScratch();
  for (let u = 0; u < 60; u++) {
    const { kept, fresh } = both(cache, model, index, u);
    assert.deepEqual(kept, fresh, `user ${u}: the primed vector is the fold-in`);
  }
  assert.deepEqual(cache.counts, { cached: 60, warm: 0, cold: 0 }, 'no request solved');
  // a snapshot of another fit: the primed vectors are not used
  assert.ok(cache.foldIn(snap(2), 0, index.users[0]!, O, s));
  assert.equal(cache.counts.cold, 1);
});

test('priming keeps nothing stale: a history changed after its row was read, or a slot a request solved since, stays as it is', async () => {
  const { index, snap } = shop();
  const model = snap(1);
  const cache = new UserVectorCache(1024);
  const rows = (await readPrimeRows(model, index, cache.primeCandidates(index.users), O, () => true))?.rows;
  assert.ok(rows);
  const X = solveRows(model, rows, O);
  index.apply(view(index.users[3]!.id, index.items[0]!.id, index.now + 1)); // user 3 acts while the worker solves
  const s = new FoldInScratch();
  assert.ok(cache.foldIn(model, 5, index.users[5]!, O, s)); // user 5 asks first: solved by the request
  const requestVector = s.x.slice(0, model.k);
  assert.equal(keepPrimed(cache, model, index, rows, X), rows.users.length - 2);
  assert.ok(!cache.holds(3, model), "user 3's vector is of an older history: not kept");
  assert.ok(cache.foldIn(model, 5, index.users[5]!, O, s));
  assert.deepEqual(s.x.slice(0, model.k), requestVector, "the request's vector was not replaced");
  assert.deepEqual(cache.counts, { cached: 1, warm: 0, cold: 1 });
  // readPrimeRows stops when its snapshot is no longer served
  let live = true;
  const many = new Int32Array(50_000); // user 0, many times: more than one slice
  const stopped = readPrimeRows(model, index, many, O, () => live);
  live = false;
  assert.equal(await stopped, null);
});

test('priming picks, per slot, the user the slot holds, else the most recently active one', () => {
  const { index, snap } = shop();
  const model = snap(1);
  const cache = new UserVectorCache(100); // 400 users: four per slot
  const latestOf = (u: number) => index.users[u]!.latest;
  const s = new FoldInScratch();
  assert.ok(cache.foldIn(model, 217, index.users[217]!, O, s)); // slot 17 holds user 217
  const picked = [...cache.primeCandidates(index.users)];
  assert.equal(picked.length, 100);
  for (const u of picked) {
    const slot = u % 100;
    if (slot === 17) assert.equal(u, 217, 'the held user stays');
    else for (let v = slot; v < index.users.length; v += 100) assert.ok(latestOf(v) <= latestOf(u), `slot ${slot}: user ${u} is the latest active`);
  }
  assert.deepEqual([...new UserVectorCache(0).primeCandidates(index.users)], []);
});

test('through the recommender: after priming (a worker thread), a first list finds its vector kept and equals an unprimed one', async () => {
  const rec = servedAlsShop();
  const plain = servedAlsShop(0);
  const reports: PrimingReport[] = [];
  rec.als.onPrimed((r) => reports.push(r));
  const kept = await rec.als.prime();
  assert.ok(kept >= 60, `primed ${kept}`);
  assert.equal(rec.als.primeError, null);
  assert.equal(reports.length, 1);
  assert.equal(reports[0]!.kept, kept);
  assert.equal(reports[0]!.rows, reports[0]!.users, 'every chosen user had a row');
  for (const userId of ['w3', 'w17', 'w42']) {
    assert.deepEqual(rec.recommendSync({ userId, first: 5 }), plain.recommendSync({ userId, first: 5 }));
  }
  assert.deepEqual(rec.alsFoldIns(), { cached: 3, warm: 0, cold: 0 });
  assert.equal(rec.alsVectorsPrimed(), kept);
  rec.close();
  plain.close();
});

test('a model loaded while background work is paused (a gateway start) is primed once background work resumes, and only once', async () => {
  const fitted = servedAlsShop();
  const model = fitted.als.exportModel()!;
  const rec = servedAlsShop(undefined, false);
  rec.als.loadModel(model, 'test model');
  await rec.als.primed();
  assert.equal(rec.alsVectorsPrimed(), 0, 'paused: nothing primed');
  rec.als.setBackground(true);
  const kept = await rec.als.primed();
  assert.ok(kept >= 60, `primed ${kept} on resuming`);
  rec.als.setBackground(false);
  rec.als.setBackground(true);
  assert.equal(await rec.als.primed(), kept, 'the same snapshot is not primed again');
  assert.equal(rec.alsVectorsPrimed(), kept);
  rec.recommendSync({ userId: 'w8', first: 5 });
  assert.deepEqual(rec.alsFoldIns(), { cached: 1, warm: 0, cold: 0 });
  rec.close();
  fitted.close();
});

test('a priming that fails is reported to its listeners and leaves the served model as it was', async () => {
  const index = new InteractionIndex();
  for (const batch of syntheticEvents({ users: 100, items: 80, interactions: 2_000, seed: 3, batchSize: 2_000 })) index.apply(batch);
  const als = new OnlineAls(index, { factors: 8, refitMinutes: 0, threads: 1 }, () => undefined, '/nonexistent/als-worker.js');
  als.setBackground(false); // only the priming asked for below
  const model = als.fitNow();
  const failures: string[] = [];
  als.onPrimeFailed((message) => failures.push(message));
  await assert.rejects(als.prime());
  assert.equal(failures.length, 1);
  assert.equal(als.primeError, failures[0]);
  assert.equal(als.model, model, 'still served');
  assert.equal(als.userVectors.primed, 0);
  await als.close();
});
