/**
 * A/A false-positive rates of the experiments engine under peeking, over many seeds (no gateway involved: the
 * statistics engine alone, on simulated conversion indicators with a 10 % rate). For EXPERIMENTS.md:
 *
 *   npm run build && node dist/bench/experiments-peeking.js [runs]
 *
 * Rows: looks per experiment x users per look per arm (14 daily looks; 336 hourly looks over the same two weeks;
 * a look after every pair of users, from the first),
 * the fixed-horizon Welch p-value checked once at the end and at every look, and the mSPRT always-valid p-value
 * checked at every look with the mixture tuned to the horizon (tauForHorizon) and at 1/4, 1/2 and 2x that tau.
 */
import { mulberry32 } from '../src/util/prng';
import {
  meanArm,
  mergeMoments,
  momentsOf,
  sequentialLook,
  tauForHorizon,
  welchTest,
  EMPTY_MOMENTS,
  INITIAL_SEQUENTIAL_STATE,
} from '../src/experiments/statistics';

const RATE = 0.1;
const runs = Number(process.argv[2] ?? 1000);
const designs: Array<[number, number]> = [
  [14, 150],
  [336, 7],
  [14, 1500],
  [1000, 1],
];
const multipliers = [0.25, 0.5, 1, 2];

console.log(`A/A, conversion rate ${RATE}, ${runs} runs per row, alpha 0.05`);
console.log(
  '| looks | users per look per arm | Welch once (end) | Welch every look | ' + multipliers.map((m) => `mSPRT every look, tau x ${m}`).join(' | ') + ' |',
);
console.log('|---|---|---|---|' + multipliers.map(() => '---').join('|') + '|');
for (const [looks, perLook] of designs) {
  const horizonVariance = (2 * RATE * (1 - RATE)) / (looks * perLook);
  const taus = multipliers.map((m) => m * tauForHorizon(horizonVariance));
  let welchOnce = 0;
  let welchEver = 0;
  const seq = taus.map(() => 0);
  for (let seed = 1; seed <= runs; seed++) {
    const rand = mulberry32(seed);
    let c = EMPTY_MOMENTS;
    let t = EMPTY_MOMENTS;
    let states = taus.map(() => INITIAL_SEQUENTIAL_STATE);
    let ever = false;
    let last = null as ReturnType<typeof welchTest>;
    const a = new Float64Array(perLook);
    const b = new Float64Array(perLook);
    for (let l = 0; l < looks; l++) {
      for (let i = 0; i < perLook; i++) {
        a[i] = rand() < RATE ? 1 : 0;
        b[i] = rand() < RATE ? 1 : 0;
      }
      c = mergeMoments(c, momentsOf(a));
      t = mergeMoments(t, momentsOf(b));
      const ta = meanArm(t);
      const ca = meanArm(c);
      last = welchTest(ta, ca);
      if (last && last.pValue < 0.05) ever = true;
      states = states.map((s, k) => sequentialLook(s, ta.mean - ca.mean, ta.varianceOfMean + ca.varianceOfMean, { tau: taus[k]!, alpha: 0.05 }));
    }
    if (last && last.pValue < 0.05) welchOnce++;
    if (ever) welchEver++;
    states.forEach((s, k) => {
      if (s.pValue < 0.05) seq[k]!++;
    });
  }
  const pct = (k: number) => `${((100 * k) / runs).toFixed(1)} %`;
  console.log(`| ${looks} | ${perLook} | ${pct(welchOnce)} | ${pct(welchEver)} | ${seq.map(pct).join(' | ')} |`);
}
