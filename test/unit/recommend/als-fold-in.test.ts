import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_ALS_OPTIONS,
  FoldInScratch,
  explain,
  fitAls,
  foldIn,
  gram,
  matrixFromIndex,
  snapshotOf,
  toServedBasis,
  type AlsOptions,
  type AlsSnapshot,
} from '../../../src/recommend/als';
import { InteractionIndex, type UserHistory } from '../../../src/recommend/interactions';
import { symmetricEigen } from '../../../src/recommend/linalg';
import { rng, syntheticEvents } from '../../../src/recommend/synthetic';
import { heapCostOf } from './helpers';

// The conjugate-gradient fold-in (the default) against the exact Cholesky solve it replaces.

const CG: AlsOptions = { ...DEFAULT_ALS_OPTIONS, refitMinutes: 0 };
const EXACT: AlsOptions = { ...CG, foldInCgSteps: 0 };

function relativeError(x: Float64Array, ref: Float64Array, k: number): number {
  let e = 0;
  let n = 0;
  for (let a = 0; a < k; a++) {
    e += (x[a]! - ref[a]!) ** 2;
    n += ref[a]! ** 2;
  }
  return Math.sqrt(e / n);
}

/** Both solves for one history: [CG x, exact x, CG steps]. */
function bothSolves(snap: AlsSnapshot, h: UserHistory, cg: AlsOptions): [Float64Array, Float64Array, number] | null {
  const s = new FoldInScratch();
  if (!foldIn(snap, h, EXACT, s)) return null;
  const exact = s.x.slice(0, snap.k);
  assert.ok(foldIn(snap, h, cg, s));
  assert.equal(s.exact, false);
  return [s.x.slice(0, snap.k), exact, s.steps];
}

/** Factors fitted on a synthetic shop, served as a snapshot. */
function fittedShop(shop: { users: number; items: number; interactions: number; seed: number }, over: Partial<AlsOptions>) {
  const index = new InteractionIndex();
  for (const batch of syntheticEvents({ ...shop, batchSize: 10_000 })) index.apply(batch);
  const o: AlsOptions = { ...CG, threads: 1, ...over };
  const m = matrixFromIndex(index, o);
  const fit = fitAls(m, o);
  const snap = snapshotOf(fit.Y, toServedBasis(fit.Y, m.items, o.factors), m.items, o, 0, fit.fitMs, 1);
  return { index, o, snap, items: m.items };
}

/** A history of n distinct items out of `items`, with counts 1-5 (confidence 1 + alpha x count). */
function randomHistory(r: () => number, items: number, n: number): UserHistory {
  const picked = new Set<number>();
  while (picked.size < n) picked.add(Math.floor(r() * items));
  return {
    id: 'u',
    anonymous: false,
    n,
    items: Int32Array.from(picked),
    count: Float32Array.from({ length: n }, () => 1 + Math.floor(r() * 5)),
    last: new Float64Array(n),
    strength: new Float32Array(n).fill(1),
    bought: new Uint8Array(n).fill(1),
    latest: 0,
    version: 0,
  };
}

test('symmetricEigen: V is orthogonal and V diag(values) V^T gives the matrix back', () => {
  const r = rng(3);
  const m = 24;
  const F = Float64Array.from({ length: 40 * m }, () => r() - 0.5);
  const A = gram(F, 40, m);
  const { values, vectors: V } = symmetricEigen(A, m);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) {
      let vtv = 0;
      let back = 0;
      for (let c = 0; c < m; c++) {
        vtv += V[c * m + i]! * V[c * m + j]!;
        back += V[i * m + c]! * values[c]! * V[j * m + c]!;
      }
      assert.ok(Math.abs(vtv - (i === j ? 1 : 0)) < 1e-12, `V^T V [${i}][${j}] = ${vtv}`);
      assert.ok(Math.abs(back - A[i * m + j]!) < 1e-10 * values.reduce((a, b) => Math.max(a, b)), `A [${i}][${j}]`);
    }
});

test('toServedBasis keeps every dot product and makes the Gram matrix diagonal', () => {
  const r = rng(5);
  const k = 16;
  const items = 300;
  const Y = Float64Array.from({ length: items * k }, () => r() - 0.5);
  const R = Y.slice();
  const values = toServedBasis(R, items, k);
  const G = gram(R, items, k);
  let maxDiag = 0;
  for (let a = 0; a < k; a++) maxDiag = Math.max(maxDiag, G[a * k + a]!);
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++) {
      if (a === b) assert.ok(Math.abs(G[a * k + a]! - values[a]!) < 1e-9 * maxDiag);
      else assert.ok(Math.abs(G[a * k + b]!) < 1e-9 * maxDiag, `off-diagonal [${a}][${b}] = ${G[a * k + b]}`);
    }
  // y_i . y_j is unchanged (so is x . y for any x rotated alike, and a fold-in's x is a sum of rotated rows)
  for (let t = 0; t < 200; t++) {
    const i = Math.floor(r() * items);
    const j = Math.floor(r() * items);
    let before = 0;
    let after = 0;
    for (let a = 0; a < k; a++) {
      before += Y[i * k + a]! * Y[j * k + a]!;
      after += R[i * k + a]! * R[j * k + a]!;
    }
    assert.ok(Math.abs(before - after) < 1e-12, `pair ${i}, ${j}`);
  }
});

test('CG fold-in agrees with the exact solve on random well-conditioned problems', () => {
  const r = rng(11);
  for (const k of [10, 16, 64]) {
    const items = 400;
    const Y = Float64Array.from({ length: items * k }, () => (r() - 0.5) * 0.6);
    const o = { ...CG, factors: k, regularization: 2, alpha: 3 };
    const snap = snapshotOf(Y, toServedBasis(Y, items, k), items, o, 0, 0, 1);
    for (let u = 0; u < 60; u++) {
      const h = randomHistory(r, items, 1 + Math.floor(r() * 120));
      // to convergence: k steps at most, a tolerance at rounding level; CG reads the rows rounded to float32
      // (relative 6e-8 each), the exact solve the float64 ones
      const [x, exact] = bothSolves(snap, h, { ...o, foldInCgSteps: k, foldInTolerance: 1e-12 })!;
      assert.ok(relativeError(x, exact, k) < 1e-6, `k ${k}, |H| ${h.n}: ${relativeError(x, exact, k)}`);
      // the default stopping rule
      const [xd, , steps] = bothSolves(snap, h, o)!;
      assert.ok(relativeError(xd, exact, k) < 1e-2, `k ${k}, |H| ${h.n}, default tolerance: ${relativeError(xd, exact, k)} after ${steps} steps`);
      assert.ok(steps <= o.foldInCgSteps);
    }
  }
});

test('CG fold-in agrees with the exact solve on a fitted model (synthetic shop), and ranks the same items', () => {
  const { index, o, snap, items } = fittedShop({ users: 1500, items: 600, interactions: 40_000, seed: 9 }, { factors: 32, iterations: 4 });
  const k = o.factors;
  const errors: number[] = [];
  let overlap = 0;
  let users = 0;
  for (const h of index.users) {
    const both = bothSolves(snap, h, o);
    if (!both) continue;
    const [x, exact] = both;
    errors.push(relativeError(x, exact, k));
    const top = (v: Float64Array) => {
      const scores = Array.from({ length: items }, (_, j) => {
        let d = 0;
        for (let a = 0; a < k; a++) d += v[a]! * snap.Y[j * k + a]!;
        return [j, d] as const;
      });
      return new Set(
        scores
          .sort((a, b) => b[1] - a[1])
          .slice(0, 10)
          .map(([j]) => j),
      );
    };
    const exactTop = top(exact);
    for (const j of top(x)) if (exactTop.has(j)) overlap++;
    users++;
  }
  errors.sort((a, b) => a - b);
  assert.ok(users > 1000);
  const p99 = errors[Math.floor(errors.length * 0.99)]!;
  assert.ok(p99 < 1e-2, `relative error p99 ${p99}`); // the default tolerance is 1e-3 of the residual
  assert.ok(overlap / (users * 10) > 0.999, `top-10 overlap ${overlap / (users * 10)}`);
});

test('CG explanations name a history item, the same one as the exact explanation in most cases', () => {
  const { index, o, snap } = fittedShop({ users: 800, items: 400, interactions: 20_000, seed: 4 }, { factors: 16, iterations: 4 });
  const s = new FoldInScratch();
  const z = new Float64Array(o.factors);
  let same = 0;
  let all = 0;
  for (const h of index.users.slice(0, 300)) {
    if (!foldIn(snap, h, EXACT, s)) continue;
    const exact = [0, 7, 50, 123].map((j) => explain(snap, s, j, z));
    assert.ok(foldIn(snap, h, o, s));
    const history = new Set(s.idx.subarray(0, s.n));
    [0, 7, 50, 123].forEach((j, t) => {
      const e = explain(snap, s, j, z);
      assert.ok(history.has(e), 'a history item');
      if (e === exact[t]) same++;
      all++;
    });
  }
  assert.ok(same / all > 0.7, `agree ${same} of ${all}`);
});

test('a warm CG fold-in allocates nothing: same buffers, no heap growth, no garbage collection', async () => {
  const { index, o, snap } = fittedShop({ users: 500, items: 300, interactions: 15_000, seed: 2 }, { factors: 32, iterations: 2 });
  const s = new FoldInScratch();
  const z = new Float64Array(o.factors);
  const users = index.users.filter((h) => h.n > 0);
  const round = () => {
    for (const h of users) if (foldIn(snap, h, o, s)) explain(snap, s, 0, z);
  };
  for (let t = 0; t < 20; t++) round(); // warm-up: buffers grown to the longest history, code optimised
  const buffers = [s.x, s.U, s.V, s.w, s.r, s.p, s.Ap, s.z, s.idx, s.conf, s.diag];
  const cost = await heapCostOf(() => {
    for (let t = 0; t < 40; t++) round(); // 20,000 fold-ins: a 1 KB allocation each would be 20 MB
  });
  assert.ok(users.length * 40 >= 20_000);
  const after = [s.x, s.U, s.V, s.w, s.r, s.p, s.Ap, s.z, s.idx, s.conf, s.diag];
  assert.ok(
    after.every((b, t) => b === buffers[t]),
    'no scratch buffer was replaced',
  );
  assert.equal(cost.gcs, 0, 'no garbage collection during the fold-ins');
  assert.ok(cost.heapGrowth < 512 * 1024, `heap grew by ${cost.heapGrowth} bytes`);
});

test('foldInHistory: the fold-in solves from the latest entries only, exactly as if the history held just those', () => {
  const r = rng(21);
  const k = 16;
  const items = 300;
  const Y = Float64Array.from({ length: items * k }, () => (r() - 0.5) * 0.6);
  const o = { ...CG, factors: k, regularization: 2, alpha: 3, halfLifeDays: 0, foldInTolerance: 1e-12, foldInCgSteps: k };
  const snap = snapshotOf(Y, toServedBasis(Y, items, k), items, o, 0, 0, 1);
  const h = randomHistory(r, items, 40);
  for (let t = 0; t < h.n; t++) h.last[t] = 1_000 + ((t * 17) % 40); // a shuffled recency order
  h.latest = 1_100;
  const latest = Array.from({ length: h.n }, (_, t) => t)
    .sort((a, b) => h.last[b]! - h.last[a]!)
    .slice(0, 12);
  const only: UserHistory = {
    ...h,
    n: 12,
    items: Int32Array.from(latest, (t) => h.items[t]!),
    count: Float32Array.from(latest, (t) => h.count[t]!),
    last: Float64Array.from(latest, (t) => h.last[t]!),
  };
  const s = new FoldInScratch();
  const solve = (hist: UserHistory, foldInHistory: number) => {
    assert.ok(foldIn(snap, hist, { ...o, foldInHistory }, s));
    return { x: s.x.slice(0, k), row: new Set(s.idx.subarray(0, s.n)) };
  };
  const capped = solve(h, 12);
  const truncated = solve(only, 0);
  const full = solve(h, 0);
  assert.deepEqual(capped.row, new Set(only.items), 'the row holds the 12 latest entries');
  assert.ok(relativeError(capped.x, truncated.x, k) < 1e-10, `${relativeError(capped.x, truncated.x, k)}`);
  assert.ok(relativeError(capped.x, full.x, k) > 1e-3, 'the older entries did count without the cap');
  assert.equal(full.row.size, 40);
  assert.deepEqual(solve(h, 40).x, full.x, 'a cap at |history| changes nothing');
});
