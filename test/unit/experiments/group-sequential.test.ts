import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../../src/util/prng';
import { standardNormalCdf, standardNormalQuantile } from '../../../src/experiments/distributions';
import {
  alphaSpent,
  groupSequentialBoundaries,
  groupSequentialLook,
  INITIAL_GROUP_SEQUENTIAL_STATE,
  type SpendingFunction,
} from '../../../src/experiments/group-sequential';

/*
 * The alpha-spending test (src/experiments/group-sequential.ts) held to three independent references: the closed
 * form of a single look, an exact two-look computation by adaptive quadrature of the bivariate normal (no grid, no
 * recursion), and a seeded Monte Carlo of Brownian motion at irregular looks.
 */

test('one look at the full plan is the fixed-horizon test: |z| >= 1.959964', () => {
  assert.ok(Math.abs(groupSequentialBoundaries([1])[0]! - 1.959963985) < 1e-6);
  assert.ok(Math.abs(groupSequentialBoundaries([1], { alpha: 0.01 })[0]! - 2.575829304) < 1e-6);
});

test('spending functions: O’Brien-Fleming and Pocock types, 0 at the start, alpha at the end, increasing', () => {
  for (const s of ['OBRIEN_FLEMING', 'POCOCK'] as SpendingFunction[]) {
    assert.equal(alphaSpent(0, 0.05, s), 0);
    assert.equal(alphaSpent(1, 0.05, s), 0.05);
    assert.equal(alphaSpent(1.7, 0.05, s), 0.05);
    let prev = 0;
    for (let t = 0.05; t < 1; t += 0.05) {
      const a = alphaSpent(t, 0.05, s);
      assert.ok(a > prev && a < 0.05, `${s} at ${t}: ${a}`);
      prev = a;
    }
  }
  // 2 - 2 Phi(1.959964 / sqrt(0.25)) = 2 Phi(-3.919928)
  assert.ok(Math.abs(alphaSpent(0.25, 0.05, 'OBRIEN_FLEMING') - 8.857e-5) < 1e-8);
  assert.ok(Math.abs(alphaSpent(0.5, 0.05, 'POCOCK') - 0.05 * Math.log(1 + (Math.E - 1) / 2)) < 1e-15);
});

test('the first look spends exactly alpha(t_1): its boundary is the normal quantile of it', () => {
  for (const s of ['OBRIEN_FLEMING', 'POCOCK'] as SpendingFunction[])
    for (const t of [0.1, 0.37, 0.5]) {
      const b = groupSequentialBoundaries([t], { spending: s })[0]!;
      assert.ok(Math.abs(b - standardNormalQuantile(1 - alphaSpent(t, 0.05, s) / 2)) < 1e-7, `${s} at ${t}`);
    }
});

/** Adaptive Simpson on [a, b]. */
function integrate(f: (x: number) => number, a: number, b: number, eps = 1e-12): number {
  const simpson = (l: number, r: number, fl: number, fm: number, fr: number) => ((r - l) / 6) * (fl + 4 * fm + fr);
  const rec = (l: number, r: number, fl: number, fm: number, fr: number, whole: number, e: number, depth: number): number => {
    const m = (l + r) / 2;
    const lm = (l + m) / 2;
    const rm = (m + r) / 2;
    const flm = f(lm);
    const frm = f(rm);
    const left = simpson(l, m, fl, flm, fm);
    const right = simpson(m, r, fm, frm, fr);
    if (depth > 40 || Math.abs(left + right - whole) <= 15 * e) return left + right + (left + right - whole) / 15;
    return rec(l, m, fl, flm, fm, left, e / 2, depth + 1) + rec(m, r, fm, frm, fr, right, e / 2, depth + 1);
  };
  const fa = f(a);
  const fb = f(b);
  const fm = f((a + b) / 2);
  return rec(a, b, fa, fm, fb, simpson(a, b, fa, fm, fb), eps, 0);
}

test('two looks: the second boundary spends alpha(t_2) - alpha(t_1) to 1e-6, by exact bivariate-normal quadrature', () => {
  for (const [t1, t2, s] of [
    [0.5, 1, 'OBRIEN_FLEMING'],
    [0.3, 0.8, 'POCOCK'],
    [0.1, 0.45, 'OBRIEN_FLEMING'],
    // a narrow kernel (t2 - t1 = 0.02) over a wide continuation region: the hardest case for the grid
    [0.9, 0.92, 'POCOCK'],
    [0.01, 1, 'POCOCK'],
  ] as [number, number, SpendingFunction][]) {
    const [c1, c2] = groupSequentialBoundaries([t1, t2], { spending: s }) as [number, number];
    // Z_2 | Z_1 = z ~ N(rho z, 1 - rho^2), rho = sqrt(t1 / t2): P(|Z_1| < c1, |Z_2| >= c2) by quadrature over z.
    const rho = Math.sqrt(t1 / t2);
    const sd = Math.sqrt(1 - rho * rho);
    const phi = (z: number) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
    const second = integrate((z) => phi(z) * (standardNormalCdf((-c2 - rho * z) / sd) + standardNormalCdf((rho * z - c2) / sd)), -c1, c1);
    const want = alphaSpent(t2, 0.05, s) - alphaSpent(t1, 0.05, s);
    assert.ok(Math.abs(second - want) < 1e-6, `${s} ${t1}->${t2}: spent ${second}, planned ${want} (c = ${c1}, ${c2})`);
  }
});

test('irregular looks, seeded Monte Carlo of Brownian motion: the cumulative crossing probability is alpha(t_k) at every look', () => {
  const fractions = [0.05, 0.1, 0.3, 0.31, 0.55, 0.7, 0.9, 1];
  const rand = mulberry32(7);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  for (const spending of ['OBRIEN_FLEMING', 'POCOCK'] as SpendingFunction[]) {
    const b = groupSequentialBoundaries(fractions, { spending });
    const paths = 200_000;
    const crossed = new Array<number>(fractions.length).fill(0);
    for (let n = 0; n < paths; n++) {
      let w = 0;
      let prev = 0;
      for (let k = 0; k < fractions.length; k++) {
        w += normal() * Math.sqrt(fractions[k]! - prev);
        prev = fractions[k]!;
        if (Math.abs(w / Math.sqrt(prev)) >= b[k]!) {
          crossed[k]!++;
          break;
        }
      }
    }
    let cumulative = 0;
    fractions.forEach((t, k) => {
      cumulative += crossed[k]! / paths;
      const want = alphaSpent(t, 0.05, spending);
      const se = Math.sqrt((want * (1 - want)) / paths);
      assert.ok(Math.abs(cumulative - want) <= 4 * se + 1e-6, `${spending} at t = ${t}: crossed ${cumulative}, planned ${want}`);
    });
  }
});

test('the state: a look without new information spends nothing; a rejection and a complete plan are final; final spends the rest', () => {
  let s = groupSequentialLook(INITIAL_GROUP_SEQUENTIAL_STATE, 0.3, 0.4);
  assert.equal(s.looks, 1);
  assert.equal(s.rejected, false);
  const again = groupSequentialLook(s, 0.5, 0.4);
  assert.equal(again.alphaSpent, s.alphaSpent);
  assert.equal(again.looks, 1);
  assert.equal(again.z, 0.5);
  // the state path gives the design's boundaries
  const design = groupSequentialBoundaries([0.4, 0.7]);
  s = groupSequentialLook(s, 1, 0.7);
  assert.ok(Math.abs(s.boundary! - design[1]!) < 1e-12);
  // stopping early at 0.7 as the final analysis spends all of alpha: a smaller boundary than at an interim 0.7
  const final = groupSequentialLook(groupSequentialLook(INITIAL_GROUP_SEQUENTIAL_STATE, 0.3, 0.4), 1, 0.7, { final: true });
  assert.equal(final.complete, true);
  assert.ok(Math.abs(final.alphaSpent - 0.05) < 1e-12);
  assert.ok(final.boundary! < design[1]!);
  assert.equal(groupSequentialLook(final, 9, 0.9), final, 'a complete test does not move');
  // a z past the boundary rejects, and the verdict stands
  const rejected = groupSequentialLook(s, 3.5, 0.8);
  assert.equal(rejected.rejected, true);
  assert.equal(rejected.rejectedAtLook, 3);
  assert.equal(groupSequentialLook(rejected, 0, 0.9), rejected);
  // more users than planned count as the plan's end
  const over = groupSequentialLook(INITIAL_GROUP_SEQUENTIAL_STATE, 1, 1.6);
  assert.equal(over.informationFraction, 1);
  assert.ok(Math.abs(over.boundary! - 1.959964) < 1e-6);
  assert.equal(groupSequentialLook(INITIAL_GROUP_SEQUENTIAL_STATE, Number.NaN, 0.5), INITIAL_GROUP_SEQUENTIAL_STATE);
});
