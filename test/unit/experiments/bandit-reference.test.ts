import { test } from 'node:test';
import assert from 'node:assert/strict';
import { betaPosterior, drawArm, probabilityBest, withExplorationFloor } from '../../../src/experiments/thompson';
import { offPolicyEstimate } from '../../../src/experiments/off-policy';
import { mulberry32 } from '../../../src/util/prng';

/**
 * Thompson probabilities and IPS / SNIPS against textbook computations, to 1e-6: the literals below are printed by
 * scripts/bandit-reference.py (scipy.integrate.quad over scipy.stats.beta for P(best); the IPS and SNIPS formulas
 * by hand in numpy with scipy.stats.norm.ppf), with scipy 1.17.1 and numpy 1.26.4.
 */
const REFERENCE = {
  posteriors: [
    [
      [1, 1],
      [1, 1],
    ],
    [
      [11, 91],
      [16, 86],
    ],
    [
      [3, 10],
      [5, 8],
      [2, 20],
    ],
    [
      [1001, 9001],
      [1101, 8901],
    ],
    [
      [5001, 95001],
      [1, 1],
    ],
    [
      [2, 2],
      [2, 3],
      [3, 2],
      [10, 10],
    ],
    [
      [40, 160],
      [45, 155],
      [30, 170],
      [41, 159],
      [12, 30],
    ],
  ],
  pBest: [
    [0.4999999999999999, 0.4999999999999999],
    [0.14671621006603386, 0.8532837899339667],
    [0.18305569070579172, 0.809263728079827, 0.007680581214381478],
    [0.010542645568286095, 0.9894573544317129],
    [0.05000899982000336, 0.9499910001799962],
    [0.26965932618106536, 0.11819358718908946, 0.46514915702321996, 0.14699792960662525],
    [0.044820886364364154, 0.15731436375903401, 0.0009795170178973102, 0.059218161412067344, 0.7376670714466371],
  ],
  log: {
    arm: [
      2, 2, 1, 1, 1, 2, 0, 0, 0, 2, 0, 2, 1, 0, 2, 0, 0, 1, 1, 1, 2, 1, 0, 0, 1, 1, 1, 1, 2, 0, 1, 0, 1, 2, 2, 0, 0, 0, 2, 2, 0, 2, 0, 2, 2, 1, 1, 2, 1, 0, 1,
      0, 2, 1, 1, 0, 0, 0, 2, 0,
    ],
    propensity: [
      0.576029, 0.271755, 0.551462, 0.210028, 0.420626, 0.27479, 0.565634, 0.359359, 0.303937, 0.297515, 0.499523, 0.387346, 0.570682, 0.481745, 0.373478,
      0.444813, 0.269444, 0.293313, 0.302652, 0.647077, 0.618625, 0.370163, 0.454624, 0.698337, 0.483784, 0.427783, 0.517201, 0.606838, 0.369332, 0.412631,
      0.284105, 0.376625, 0.502708, 0.464128, 0.415681, 0.27823, 0.383512, 0.348749, 0.422206, 0.319453, 0.290854, 0.206508, 0.374808, 0.205059, 0.548212,
      0.365273, 0.234684, 0.277612, 0.158941, 0.510112, 0.23264, 0.450963, 0.267449, 0.792498, 0.411658, 0.431554, 0.085066, 0.271126, 0.186119, 0.779543,
    ],
    clicks: [
      1, 1, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0,
      0, 0, 0, 1, 0, 0, 0, 2, 0,
    ],
  },
  ope: [
    {
      ips: [0.06985667430964905, 0.04959152727970632, -0.027340933096910935, 0.16705428171620904],
      snips: [0.06449780240349504, 0.04659449088558931, -0.026825721610239828, 0.1558213264172299],
      ess: 14.91715808859916,
    },
    {
      ips: [0.2509935209672951, 0.11395855843173701, 0.02763885071098726, 0.47434819122360294],
      snips: [0.2668266086365159, 0.10835385402958862, 0.054456957152412, 0.47919626012061983],
      ess: 16.708178585013,
    },
    {
      ips: [0.6286541471045966, 0.24869631748699675, 0.14121832174234406, 1.116089972466849],
      snips: [0.6697807604916957, 0.19521041912648246, 0.2871753695968211, 1.0523861513865702],
      ess: 16.091129259739304,
    },
  ],
  opeAlpha10: {
    ips: [0.2509935209672951, 0.11395855843173701, 0.06354837280869122, 0.438438669125899],
    snips: [0.2668266086365159, 0.10835385402958862, 0.08860037884177668, 0.44505283843125515],
    ess: 16.708178585013,
  },
} as const;

function close(actual: number, expected: number, what: string, tol = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

test('P(best) by quadrature matches scipy quad to 1e-6', () => {
  let worst = 0;
  REFERENCE.posteriors.forEach((arms, c) => {
    const got = probabilityBest(arms.map(([alpha, beta]) => ({ alpha, beta })));
    got.forEach((p, k) => {
      const want = REFERENCE.pBest[c]![k]!;
      worst = Math.max(worst, Math.abs(p - want));
      close(p, want, `case ${c} arm ${k}`);
    });
  });
  console.log(`# P(best): worst absolute error ${worst.toExponential(2)}`);
});

test('IPS and SNIPS with normal intervals match numpy to 1e-6', () => {
  const { arm, propensity, clicks } = REFERENCE.log;
  const check = (k: number, ref: { ips: readonly number[]; snips: readonly number[]; ess: number }, alpha?: number) => {
    const units = arm.map((a, i) => ({ reward: clicks[i]!, propensity: propensity[i]!, target: a === k ? 1 : 0 }));
    const r = offPolicyEstimate(units, alpha === undefined ? {} : { alpha });
    for (const [name, got, want] of [
      ['ips', r.ips, ref.ips],
      ['snips', r.snips, ref.snips],
    ] as const) {
      close(got.estimate, want[0]!, `arm ${k} ${name} estimate`);
      close(got.standardError, want[1]!, `arm ${k} ${name} se`);
      close(got.ci[0], want[2]!, `arm ${k} ${name} lower`);
      close(got.ci[1], want[3]!, `arm ${k} ${name} upper`);
    }
    close(r.effectiveSampleSize, ref.ess, `arm ${k} ess`);
    assert.equal(r.n, arm.length);
    assert.equal(r.matched, arm.filter((a) => a === k).length);
  };
  REFERENCE.ope.forEach((ref, k) => check(k, ref));
  check(1, REFERENCE.opeAlpha10, 0.1);
});

test('the floor is respected and the shares sum to 1', () => {
  const rand = mulberry32(7);
  for (let c = 0; c < 200; c++) {
    const k = 2 + Math.floor(rand() * 8);
    const floor = rand() / k;
    const posteriors = Array.from({ length: k }, () => {
      const pulls = Math.floor(rand() * 5000);
      return betaPosterior(pulls, Math.floor(rand() * (pulls + 1)));
    });
    const p = probabilityBest(posteriors);
    close(
      p.reduce((a, b) => a + b, 0),
      1,
      'P(best) sums to 1',
      1e-12,
    );
    const shares = withExplorationFloor(p, floor);
    for (const s of shares) assert.ok(s >= floor - 1e-15, `share ${s} below floor ${floor}`);
    close(
      shares.reduce((a, b) => a + b, 0),
      1,
      'shares sum to 1',
      1e-12,
    );
  }
  // At the largest floor (1/K) allocation is uniform whatever the posteriors say.
  assert.deepEqual(
    withExplorationFloor([0.9, 0.1, 0], 1 / 3).map((x) => x.toFixed(12)),
    ['0.333333333333', '0.333333333333', '0.333333333333'],
  );
  assert.throws(() => withExplorationFloor([0.5, 0.5], 0.6), /exploration floor/);
});

test('drawArm draws each arm with its share, and reports that share as the propensity', () => {
  const shares = [0.05, 0.15, 0.8];
  const rand = mulberry32(11);
  const counts = [0, 0, 0];
  const n = 200_000;
  for (let i = 0; i < n; i++) {
    const c = drawArm(shares, rand());
    counts[c.index]!++;
    assert.equal(c.propensity, shares[c.index]);
  }
  counts.forEach((x, i) => assert.ok(Math.abs(x / n - shares[i]!) < 0.005, `arm ${i}: ${x / n}`));
});

test('Thompson sampling by quadrature agrees with drawing from the posteriors (Monte Carlo, seeded)', () => {
  // The classic form: draw theta_k from each posterior, play the argmax. Its frequencies estimate P(best).
  const rand = mulberry32(3);
  const gamma = (shape: number): number => {
    // Marsaglia, Tsang 2000 (shape >= 1).
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = rand();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  const posteriors = [betaPosterior(120, 14), betaPosterior(100, 15), betaPosterior(30, 2)];
  const p = probabilityBest(posteriors);
  const wins = [0, 0, 0];
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const theta = posteriors.map((b) => {
      const x = gamma(b.alpha);
      return x / (x + gamma(b.beta));
    });
    wins[theta.indexOf(Math.max(...theta))]!++;
  }
  wins.forEach((w, k) => assert.ok(Math.abs(w / n - p[k]!) < 0.006, `arm ${k}: Monte Carlo ${w / n} vs quadrature ${p[k]}`));
});

test('equal posteriors share equally; more evidence of a better arm moves the probability to it', () => {
  for (const k of [2, 3, 5]) {
    const p = probabilityBest(Array.from({ length: k }, () => betaPosterior(40, 9)));
    p.forEach((x) => close(x, 1 / k, 'symmetric', 1e-9));
  }
  const few = probabilityBest([betaPosterior(20, 2), betaPosterior(20, 4)]);
  const many = probabilityBest([betaPosterior(2000, 200), betaPosterior(2000, 400)]);
  assert.ok(few[1]! > 0.5 && many[1]! > few[1]! && many[1]! > 0.999999);
});
