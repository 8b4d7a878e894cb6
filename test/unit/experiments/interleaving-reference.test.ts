import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  binomialCdf,
  creditDifferenceScales,
  creditDifferenceTest,
  preferenceCounts,
  preferenceTest,
  sequentialCreditDifference,
} from '../../../src/experiments/interleaving';
import { averagedMsprtLogLikelihoodRatio } from '../../../src/experiments/sequential';

/*
 * The interleaving preference test against a textbook implementation on the same inputs, to 1e-6 (relative, for
 * values far from 1 in size), as test/unit/experiments/reference.test.ts does for the A/B statistics. REFERENCE is the
 * output of scripts/interleaving-reference.py, pasted:
 *
 *   python3 -m venv /tmp/statsvenv && /tmp/statsvenv/bin/pip install -r scripts/experiments-reference-requirements.txt
 *   /tmp/statsvenv/bin/python scripts/interleaving-reference.py [--check]
 *
 *   signTest      scipy.stats.binomtest(wins, wins + losses, 0.5): pvalue, proportion_ci(0.95, method="exact")
 *   binomialCdf   scipy.stats.binom.cdf(k, n, p)
 *   perUser       wins / losses / ties of per-user credited clicks counted with numpy, then binomtest
 *   creditDifference  the per-user difference treatment - control: scipy.stats.ttest_1samp (and its confidence_interval)
 *   creditDifferenceSequential*  its always-valid p-value: the normal mixture's likelihood ratio by scipy.integrate.quad,
 *                     averaged over the scales mde * 4^j (not the engine's closed form)
 */
const SIGN_CASES: [number, number][] = [
  [8, 2],
  [2, 8],
  [60, 40],
  [523, 477],
  [0, 12],
  [30, 0],
  [1, 1],
  [1, 0],
  [1234, 1100],
  [12, 30],
  [5210, 4790],
  [40000, 39000],
];
const CDF_CASES: [number, number, number][] = [
  [3, 10, 0.3],
  [0, 20, 0.1],
  [45, 100, 0.5],
  [480, 1000, 0.52],
  [7, 8, 0.9],
];
const PER_USER_T = [2, 0, 1, 3, 0, 0, 1, 2, 0, 4, 1, 0, 0, 2, 1, 1, 0, 3, 0, 1, 2, 0, 1, 0, 5, 1, 0, 2, 1, 0];
const PER_USER_C = [1, 0, 1, 0, 0, 1, 0, 2, 1, 1, 0, 0, 2, 0, 1, 0, 0, 1, 1, 0, 0, 0, 2, 1, 1, 0, 0, 1, 0, 0];

const TOLERANCE = 1e-6;
let worst = 0;
let compared = 0;
function close(actual: number, expected: number, label: string): void {
  const err =
    Math.abs(expected) < 1e-3
      ? Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300)
      : Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
  const scaled = expected === 0 ? Math.abs(actual) : err;
  compared++;
  worst = Math.max(worst, scaled);
  assert.ok(scaled <= TOLERANCE, `${label}: ${actual} vs reference ${expected} (scaled error ${scaled})`);
}

test('sign test p-value and Clopper-Pearson interval match scipy.stats.binomtest', () => {
  SIGN_CASES.forEach(([wins, losses], i) => {
    const r = preferenceTest({ wins, losses, ties: 0 });
    const ref = REFERENCE.signTest[i]!;
    close(r.pValue, ref.pValue, `p (${wins}, ${losses})`);
    close(r.ci[0], ref.ci[0], `ci lower (${wins}, ${losses})`);
    close(r.ci[1], ref.ci[1], `ci upper (${wins}, ${losses})`);
  });
});

test('binomial CDF matches scipy.stats.binom.cdf', () => {
  CDF_CASES.forEach(([k, n, p], i) => close(binomialCdf(k, n, p), REFERENCE.binomialCdf[i]!, `cdf(${k}; ${n}, ${p})`));
});

test('per-user credit to wins, losses, ties, share and test match numpy + binomtest', () => {
  const counts = preferenceCounts(PER_USER_T.map((t, i) => ({ treatment: t, control: PER_USER_C[i]! })));
  const ref = REFERENCE.perUser;
  assert.deepEqual(counts, { wins: ref.wins, losses: ref.losses, ties: ref.ties });
  const r = preferenceTest(counts);
  close(r.share, ref.share, 'share');
  close(r.pValue, ref.pValue, 'p');
  close(r.ci[0], ref.ci[0], 'ci lower');
  close(r.ci[1], ref.ci[1], 'ci upper');
});

test('per-user credit difference: paired t-test matches scipy.stats.ttest_1samp, interval included', () => {
  const r = creditDifferenceTest(PER_USER_T.map((t, i) => ({ treatment: t, control: PER_USER_C[i]! })))!;
  const ref = REFERENCE.creditDifference;
  close(r.estimate, ref.estimate, 'mean difference');
  close(r.statistic, ref.statistic, 't');
  close(r.df, ref.df, 'df');
  close(r.pValue, ref.pValue, 'p');
  close(r.ci[0], ref.ci[0], 'ci lower');
  close(r.ci[1], ref.ci[1], 'ci upper');
  assert.equal(creditDifferenceTest([{ treatment: 1, control: 0 }]), null, 'one user');
  assert.equal(
    creditDifferenceTest([
      { treatment: 1, control: 0 },
      { treatment: 2, control: 1 },
    ]),
    null,
    'no variation',
  );
});

test('the always-valid p-value of the credit difference matches the mixture integrated numerically (scipy quad)', () => {
  const d = creditDifferenceTest(PER_USER_T.map((t, i) => ({ treatment: t, control: PER_USER_C[i]! })))!;
  const seq = sequentialCreditDifference(d, creditDifferenceScales(0.05))!;
  close(seq.pValue, REFERENCE.creditDifferenceSequential.pValue, 'sequential p');
  close(
    averagedMsprtLogLikelihoodRatio(d.estimate, d.standardError ** 2, creditDifferenceScales(0.05)),
    REFERENCE.creditDifferenceSequential.logLambda,
    'ln Lambda',
  );
  const cases: [number, number, number][] = [
    [0.0, 0.01, 0.05],
    [0.05, 0.0004, 0.02],
    [0.3, 0.001, 0.05],
    [-0.12, 0.0009, 0.1],
    [1.5, 0.04, 0.2],
  ];
  cases.forEach(([estimate, variance, mde], i) => {
    const ref = REFERENCE.creditDifferenceSequentialCases[i]!;
    const logLr = averagedMsprtLogLikelihoodRatio(estimate, variance, creditDifferenceScales(mde));
    close(logLr, ref.logLambda, `case ${i} ln Lambda`);
    close(Math.min(1, Math.exp(-logLr)), ref.pValue, `case ${i} p`);
  });
  // Always valid, so never below the t-test's p-value at one look of this size (more cautious), and null where it is null.
  assert.ok(seq.pValue >= d.pValue);
  assert.equal(sequentialCreditDifference(null, [0.1]), null);
});

test('worst scaled deviation from the references stays far below 1e-6', () => {
  console.log(`interleaving reference agreement: ${compared} numbers compared, worst scaled error ${worst.toExponential(2)}`);
  assert.ok(compared > 0 && worst <= TOLERANCE);
});

// ---- scripts/interleaving-reference.py output, pasted ----
const REFERENCE = {
  versions: {
    scipy: '1.17.1',
    numpy: '1.26.4',
  },
  signTest: [
    {
      pValue: 0.109375,
      ci: [0.4439045376923585, 0.9747892736731665],
    },
    {
      pValue: 0.109375,
      ci: [0.025210726326833497, 0.5560954623076415],
    },
    {
      pValue: 0.05688793364098089,
      ci: [0.4972091504223335, 0.6967052312971551],
    },
    {
      pValue: 0.15469370647995734,
      ci: [0.4915140103158689, 0.5543502196835383],
    },
    {
      pValue: 0.00048828125,
      ci: [0.0, 0.26464846939705117],
    },
    {
      pValue: 1.862645149230957e-9,
      ci: [0.8842966917779725, 1.0],
    },
    {
      pValue: 1.0,
      ci: [0.01257911709367899, 0.987420882906321],
    },
    {
      pValue: 1.0,
      ci: [0.025000000000000022, 1.0],
    },
    {
      pValue: 0.005894093085247736,
      ci: [0.508215334004108, 0.549124690058299],
    },
    {
      pValue: 0.007915897334896727,
      ci: [0.15719146676573847, 0.445838803307969],
    },
    {
      pValue: 2.7824418797091576e-5,
      ci: [0.5111539074315926, 0.5308338560777387],
    },
    {
      pValue: 0.00037894900970468265,
      ci: [0.5028362659025164, 0.5098214970809399],
    },
  ],
  binomialCdf: [0.6496107184000002, 0.12157665459056925, 0.18410080866334808, 0.0062258139622792695, 0.5695327899999999],
  perUser: {
    wins: 14,
    losses: 6,
    ties: 10,
    share: 0.7,
    pValue: 0.11531829833984375,
    ci: [0.4572108177235281, 0.8810684095942724],
  },
  creditDifference: {
    estimate: 0.5666666666666667,
    statistic: 2.2879801609147616,
    df: 29.0,
    pValue: 0.029616720647226636,
    ci: [0.060122298986559186, 1.073211034346774],
  },
  creditDifferenceSequential: { logLambda: 0.6333521453965145, pValue: 0.5308094648468984 },
  creditDifferenceSequentialCases: [
    { logLambda: -0.9828911950426524, pValue: 1.0 },
    { logLambda: 0.8883498344743626, pValue: 0.41133396214342066 },
    { logLambda: 41.298767109815664, pValue: 1.1592399375075928e-18 },
    { logLambda: 5.200377565870567, pValue: 0.005514481947472868 },
    { logLambda: 24.599962403044543, pValue: 2.071915661977402e-11 },
  ],
} as const;
