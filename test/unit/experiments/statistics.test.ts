import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mulberry32 } from '../../../src/util/prng';
import { createAssigner } from '../../../src/experiments/assignment';
import {
  addPair,
  addRow,
  addValue,
  analyzeExperiment,
  coMomentsOf,
  cupedTheta,
  emptyMultiMoments,
  holmAdjust,
  horizonVariance,
  meanArm,
  mergeCoMoments,
  mergeMoments,
  mergeMultiMoments,
  momentsOf,
  multiMomentsOf,
  msprtLikelihoodRatio,
  msprtPValue,
  ratioArm,
  relativeLift,
  sampleRatioMismatch,
  sampleSizePerArm,
  sequentialLook,
  sequentialPValues,
  summarizeValues,
  tauForHorizon,
  welchTest,
  EMPTY_CO_MOMENTS,
  EMPTY_MOMENTS,
  INITIAL_SEQUENTIAL_STATE,
  type SequentialState,
} from '../../../src/experiments/statistics';

const near = (a: number, b: number, tol = 1e-9) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

test('moments: Welford one at a time and Chan merges of any split equal the two-pass moments of the whole', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 0, maxLength: 60 }), fc.nat(), (values, cut) => {
      const whole = momentsOf(values);
      const k = values.length === 0 ? 0 : cut % (values.length + 1);
      const merged = mergeMoments(momentsOf(values.slice(0, k)), momentsOf(values.slice(k)));
      const welford = values.reduce(addValue, EMPTY_MOMENTS);
      for (const m of [merged, welford]) {
        assert.equal(m.n, whole.n);
        assert.ok(near(m.mean, whole.mean, 1e-9), `mean ${m.mean} vs ${whole.mean}`);
        assert.ok(Math.abs(m.m2 - whole.m2) <= 1e-7 * Math.max(1, whole.m2) + 1e-6, `m2 ${m.m2} vs ${whole.m2}`);
      }
    }),
  );
});

test('moments: no cancellation with a large mean (sum of squares would lose every digit here)', () => {
  const values = [1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4];
  const s = summarizeValues(values);
  assert.equal(s.variance, 5 / 3);
  let m = EMPTY_MOMENTS;
  for (const v of values) m = mergeMoments(m, momentsOf([v]));
  assert.ok(near(m.m2, 5, 1e-12));
});

test('bivariate moments: merged and Welford forms equal the two-pass form', () => {
  const rand = mulberry32(7);
  const xs = Array.from({ length: 200 }, () => rand() * 10);
  const ys = xs.map((x) => 2 * x + rand());
  const whole = coMomentsOf(xs, ys);
  const merged = mergeCoMoments(coMomentsOf(xs.slice(0, 77), ys.slice(0, 77)), coMomentsOf(xs.slice(77), ys.slice(77)));
  const welford = xs.reduce((m, x, i) => addPair(m, x, ys[i]!), EMPTY_CO_MOMENTS);
  for (const m of [merged, welford]) {
    for (const k of ['meanX', 'meanY', 'm2x', 'm2y', 'cxy'] as const) assert.ok(near(m[k], whole[k], 1e-10), `${k}: ${m[k]} vs ${whole[k]}`);
  }
  assert.throws(() => coMomentsOf([1, 2], [1]), RangeError);
});

test('multivariate moments: merged and one-row-at-a-time forms equal the two-pass form', () => {
  const rand = mulberry32(11);
  const rows = Array.from({ length: 120 }, () => {
    const a = rand() * 5;
    return [a, a * 2 + rand(), rand(), 1 + 3 * rand()];
  });
  const whole = multiMomentsOf(rows);
  const merged = mergeMultiMoments(multiMomentsOf(rows.slice(0, 50)), multiMomentsOf(rows.slice(50)));
  const stepwise = rows.reduce(addRow, emptyMultiMoments(4));
  for (const m of [merged, stepwise]) {
    assert.equal(m.n, whole.n);
    m.means.forEach((v, i) => assert.ok(near(v, whole.means[i]!, 1e-12)));
    m.comoments.forEach((v, i) => assert.ok(near(v, whole.comoments[i]!, 1e-10), `comoment ${i}: ${v} vs ${whole.comoments[i]}`));
  }
  assert.throws(() => multiMomentsOf([[1, 2], [1]]), RangeError);
  assert.throws(() => mergeMultiMoments(emptyMultiMoments(2), multiMomentsOf([[1, 2, 3]])), RangeError);
});

test('tests that cannot be computed yet return null instead of NaN numbers', () => {
  const one = meanArm(momentsOf([1]));
  const two = meanArm(momentsOf([1, 2]));
  assert.equal(welchTest(one, two), null);
  assert.equal(welchTest(meanArm(momentsOf([3, 3, 3])), meanArm(momentsOf([2, 2]))), null, 'both arms constant: SE = 0');
  assert.equal(relativeLift(two, meanArm(momentsOf([0, 0, 0]))), null, 'control mean 0');
  assert.equal(relativeLift(two, meanArm(momentsOf([-1, 1]))), null, 'control mean 0 with spread');
  assert.ok(welchTest(meanArm(momentsOf([3, 3, 3])), two), 'one constant arm is fine');
  assert.ok(Number.isNaN(ratioArm(coMomentsOf([0, 0], [1, 2])).mean), 'ratio with no denominator');
});

test('identical arms: zero lift, p-value 1, interval symmetric around 0', () => {
  const arm = meanArm(momentsOf([1, 2, 3, 4, 5]));
  const w = welchTest(arm, arm)!;
  assert.equal(w.estimate, 0);
  assert.equal(w.pValue, 1);
  assert.ok(near(w.ci[0], -w.ci[1]));
});

test('mSPRT: the p-value never rises over looks, is 1 with no evidence, and its interval excludes theta_0 exactly when p < alpha', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ estimate: fc.double({ min: -3, max: 3, noNaN: true }), variance: fc.double({ min: 1e-6, max: 10, noNaN: true }) }), {
        minLength: 1,
        maxLength: 30,
      }),
      fc.double({ min: 0.01, max: 5, noNaN: true }),
      (looks, tau) => {
        const ps = sequentialPValues(looks, { tau });
        let state = INITIAL_SEQUENTIAL_STATE;
        for (let i = 0; i < ps.length; i++) {
          assert.ok(ps[i]! <= 1 && ps[i]! >= 0);
          if (i > 0) assert.ok(ps[i]! <= ps[i - 1]!);
          state = sequentialLook(state, looks[i]!.estimate, looks[i]!.variance, { tau, alpha: 0.05 });
          assert.equal(state.pValue, ps[i]);
          const excludesZero = state.ci[0] > 0 || state.ci[1] < 0;
          const margin = Math.abs(Math.log(state.pValue / 0.05));
          if (margin > 1e-9) assert.equal(excludesZero, state.pValue < 0.05, `look ${i}: p ${state.pValue}, ci ${state.ci}`);
        }
      },
    ),
  );
  // no difference at all: Lambda = sqrt(V / (V + tau^2)) < 1, p stays 1
  assert.equal(msprtPValue(1, 0, 0.5, { tau: 1 }), 1);
  assert.ok(msprtLikelihoodRatio(0, 0.5, { tau: 1 }) < 1);
  // overwhelming evidence does not overflow: p = 0 rather than NaN
  assert.equal(msprtPValue(1, 100, 1e-6, { tau: 1 }), 0);
  // a look without a usable variance keeps the previous p-value
  assert.equal(msprtPValue(0.3, 1, Number.NaN, { tau: 1 }), 0.3);
  assert.throws(() => msprtLikelihoodRatio(1, 1, { tau: 0 }), RangeError);
});

test('tauForHorizon: tau^2 about 8.2 times the horizon variance at alpha 0.05, scaling with the variance', () => {
  const t1 = tauForHorizon(1);
  assert.ok(Math.abs(t1 * t1 - 8.21) < 0.05, `r* = ${t1 * t1}`);
  assert.ok(near(tauForHorizon(4e-4), t1 * 0.02, 1e-6));
  assert.throws(() => tauForHorizon(0), RangeError);
});

test('CUPED theta: cov/var on the pooled arms; 0 without covariate spread', () => {
  const rand = mulberry32(3);
  const xs = Array.from({ length: 100 }, () => rand());
  const ys = xs.map((x) => 3 * x + 0.01 * rand());
  const a = coMomentsOf(xs.slice(0, 50), ys.slice(0, 50));
  const b = coMomentsOf(xs.slice(50), ys.slice(50));
  assert.ok(Math.abs(cupedTheta([a, b]) - 3) < 0.01);
  assert.equal(cupedTheta([coMomentsOf([1, 1, 1], [1, 2, 3])]), 0);
});

test('SRM: a 47/53 split of a configured 50/50 is flagged; correct splits rarely alarm (<= 1 % at p < 0.001)', () => {
  assert.equal(sampleRatioMismatch([4700, 5300], [0.5, 0.5]).mismatch, true);
  assert.equal(sampleRatioMismatch([5000, 5000], [0.5, 0.5]).mismatch, false);
  assert.equal(sampleRatioMismatch([0, 0], [1, 1]).pValue, 1);
  assert.throws(() => sampleRatioMismatch([1, 2], [1]), RangeError);
  assert.throws(() => sampleRatioMismatch([1, 2], [1, 0]), RangeError);
  // false alarms over 2,000 correct 50/50 experiments of 2,000 users (counts drawn from a seeded PRNG)
  const rand = mulberry32(99);
  let alarms = 0;
  let brokenFlagged = 0;
  const experiments = 2000;
  for (let e = 0; e < experiments; e++) {
    let treated = 0;
    for (let u = 0; u < 2000; u++) if (rand() < 0.5) treated++;
    if (sampleRatioMismatch([2000 - treated, treated], [0.5, 0.5]).mismatch) alarms++;
  }
  console.log(`SRM false alarms on correct splits: ${alarms}/${experiments}`);
  assert.ok(alarms / experiments <= 0.01, `false alarms ${alarms}/${experiments}`);
  // a broken 47/53 split over 200 experiments of 10,000 users (chi-square ~36 on average): always flagged
  for (let e = 0; e < 200; e++) {
    let treated = 0;
    for (let u = 0; u < 10_000; u++) if (rand() < 0.53) treated++;
    if (sampleRatioMismatch([10_000 - treated, treated], [0.5, 0.5]).mismatch) brokenFlagged++;
  }
  console.log(`SRM broken 47/53 splits flagged: ${brokenFlagged}/200`);
  assert.ok(brokenFlagged >= 198, `broken splits flagged: ${brokenFlagged}/200`);
  // and with the real assigner (a new salt per experiment) over 100 experiments of 1,000 users: no alarm
  for (let e = 0; e < 100; e++) {
    const assignOf = createAssigner({
      salt: `srm-${e}`,
      traffic: 1,
      variants: [
        { name: 'control', share: 0.5 },
        { name: 'treatment', share: 0.5 },
      ],
    });
    const counts = [0, 0];
    for (let u = 0; u < 1000; u++) counts[assignOf(`u${u}`)!.index]!++;
    assert.equal(sampleRatioMismatch(counts, [0.5, 0.5]).mismatch, false, `experiment ${e}: ${counts}`);
  }
  assert.equal(sampleRatioMismatch([10_000, 9_400], [0.5, 0.5]).mismatch, true);
});

test('Holm: NaN p-values stay NaN and do not count; never below the raw p-value; monotone in the raw order', () => {
  const adj = holmAdjust([0.01, Number.NaN, 0.04]);
  assert.ok(Number.isNaN(adj[1]!));
  assert.ok(near(adj[0]!, 0.02) && near(adj[2]!, 0.04));
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 12 }), (ps) => {
      const a = holmAdjust(ps);
      ps.forEach((p, i) => assert.ok(a[i]! >= p && a[i]! <= 1));
      const order = ps.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0]);
      for (let k = 1; k < order.length; k++) assert.ok(a[order[k]![1]]! >= a[order[k - 1]![1]]!);
    }),
  );
});

test('analyzeExperiment: three variants against control with Holm, SRM, CUPED and a sequential state carried across looks', () => {
  const rand = mulberry32(42);
  const names = ['control', 'blend', 'popular'];
  const effects = [0, 0.3, 0];
  const shares = [0.5, 0.25, 0.25];
  const data = names.map(() => ({ x: [] as number[], y: [] as number[] }));
  let previous: Record<string, SequentialState> = {};
  let analysis = null as ReturnType<typeof analyzeExperiment> | null;
  for (let look = 0; look < 5; look++) {
    for (let i = 0; i < 800; i++) {
      const v = i % 4 < 2 ? 0 : i % 4 === 2 ? 1 : 2;
      const propensity = rand() * 4;
      data[v]!.x.push(propensity + rand());
      data[v]!.y.push(propensity + rand() + effects[v]!);
    }
    analysis = analyzeExperiment(
      names.map((name, v) => ({ name, metric: coMomentsOf(data[v]!.x, data[v]!.y) })),
      { shares, sequential: { tau: 0.2, previous } },
    );
    previous = Object.fromEntries(analysis.variants.filter((v) => v.sequential).map((v) => [v.name, v.sequential!]));
  }
  assert.ok(analysis);
  assert.equal(analysis.control, 'control');
  const [control, blend, popular] = analysis.variants;
  assert.equal(control!.absolute, null);
  assert.equal(control!.adjustedPValue, null);
  assert.equal(blend!.sequential!.looks, 5);
  // Holm over the two treatments
  const adj = holmAdjust([blend!.absolute!.pValue, popular!.absolute!.pValue]);
  assert.equal(blend!.adjustedPValue, adj[0]);
  assert.equal(popular!.adjustedPValue, adj[1]);
  // the real effect is found, on CUPED even more sharply; the null one is not
  assert.ok(blend!.cuped!.absolute!.pValue < blend!.absolute!.pValue);
  assert.ok(blend!.cuped!.varianceRatio < 0.5);
  assert.ok(blend!.cuped!.absolute!.ci[0] < 0.3 && 0.3 < blend!.cuped!.absolute!.ci[1]);
  assert.ok(blend!.adjustedSequentialPValue! < 0.05);
  assert.ok(popular!.adjustedSequentialPValue! > 0.05);
  // one theta for all comparisons
  assert.equal(blend!.cuped!.theta, popular!.cuped!.theta);
  assert.equal(analysis.srm!.mismatch, false);
  assert.equal(analysis.srm!.df, 2);
  // without covariates: no CUPED; without shares: no SRM; without a mixture: no sequential
  const plain = analyzeExperiment(names.map((name, v) => ({ name, metric: momentsOf(data[v]!.y) })));
  assert.equal(plain.variants[1]!.cuped, null);
  assert.equal(plain.srm, null);
  assert.equal(plain.variants[1]!.sequential, null);
  assert.equal(plain.variants[1]!.absolute!.pValue, blend!.absolute!.pValue);
  assert.throws(() => analyzeExperiment([], {}), RangeError);
});

test('analyzeExperiment on a ratio metric (CTR): delta-method arms, ratio CUPED with a pre-period, SRM on users', () => {
  const rand = mulberry32(5);
  const rows: number[][][] = [[], []];
  for (let u = 0; u < 3000; u++) {
    const p = 0.05 + 0.2 * rand();
    const arm = u % 2;
    const imp = 1 + Math.floor(rand() * 20);
    const imp0 = 1 + Math.floor(rand() * 20);
    let clicks = 0;
    let clicks0 = 0;
    for (let i = 0; i < imp; i++) if (rand() < (arm === 1 ? p * 1.2 : p)) clicks++;
    for (let i = 0; i < imp0; i++) if (rand() < p) clicks0++;
    rows[arm]!.push([clicks, imp, clicks0, imp0]);
  }
  const multi = rows.map((r) => multiMomentsOf(r));
  const pairs = rows.map((r) =>
    coMomentsOf(
      r.map((x) => x[1]!),
      r.map((x) => x[0]!),
    ),
  );
  const withCovariate = analyzeExperiment(
    [
      { name: 'control', ratio: multi[0]! },
      { name: 'treatment', ratio: multi[1]! },
    ],
    { shares: [0.5, 0.5] },
  );
  const withoutCovariate = analyzeExperiment([
    { name: 'control', ratio: pairs[0]! },
    { name: 'treatment', ratio: pairs[1]! },
  ]);
  const t = withCovariate.variants[1]!;
  // the same delta-method test whichever form the moments come in
  assert.ok(near(t.absolute!.estimate, withoutCovariate.variants[1]!.absolute!.estimate));
  assert.ok(near(t.absolute!.standardError, withoutCovariate.variants[1]!.absolute!.standardError));
  assert.equal(withoutCovariate.variants[1]!.cuped, null);
  assert.ok(t.cuped && t.cuped.varianceRatio < 1);
  assert.ok(near(t.summary.mean, multi[1]!.means[0]! / multi[1]!.means[1]!));
  assert.equal(t.summary.n, 1500);
  assert.ok(t.absolute!.pValue < 0.05, `a 20 % CTR lift at 1,500 users an arm: p ${t.absolute!.pValue}`);
  assert.equal(withCovariate.srm!.mismatch, false);
  assert.throws(
    () =>
      analyzeExperiment([
        { name: 'a', metric: momentsOf([1, 2]) },
        { name: 'b', ratio: pairs[0]! },
      ]),
    /mix mean metrics and ratio metrics/,
  );
});

test('planning: the 16 sigma^2 / delta^2 rule of thumb, invalid plans refused, horizon variance for the mixture', () => {
  assert.equal(sampleSizePerArm({ variance: 1, mde: 0.1 }), 1570);
  assert.ok(Math.abs(sampleSizePerArm({ variance: 1, mde: 0.1 }) - 16 / 0.01) / 1600 < 0.02);
  assert.equal(sampleSizePerArm({ variance: 1, mde: -0.1 }), 1570);
  assert.ok(sampleSizePerArm({ variance: 1, mde: 0.1, power: 0.9 }) > 1570);
  assert.throws(() => sampleSizePerArm({ variance: 0, mde: 0.1 }), RangeError);
  assert.throws(() => sampleSizePerArm({ variance: 1, mde: 0 }), RangeError);
  assert.throws(() => sampleSizePerArm({ variance: 1, mde: 0.1, power: 1 }), RangeError);
  const n = sampleSizePerArm({ variance: 0.09, mde: 0.01 });
  assert.ok(near(horizonVariance(n, 0.09), 0.18 / n));
  assert.ok(tauForHorizon(horizonVariance(n, 0.09)) > 0);
  assert.throws(() => horizonVariance(0, 1), RangeError);
});
