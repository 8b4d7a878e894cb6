import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../../src/util/prng';
import {
  addPair,
  coMomentsOf,
  cuped,
  cupedRatio,
  meanArm,
  mergeMoments,
  momentsOf,
  multiMomentsOf,
  ratioArm,
  relativeLift,
  sequentialLook,
  tauForHorizon,
  welchTest,
  yMoments,
  EMPTY_CO_MOMENTS,
  EMPTY_MOMENTS,
  INITIAL_SEQUENTIAL_STATE,
  type CoMoments,
  type Moments,
} from '../../../src/experiments/statistics';

/*
 * Seeded simulations of the engine's guarantees (each well under a second):
 *
 * - A/A with daily peeking: stopping at the first day with a fixed-horizon Welch p < 0.05 inflates the false-positive
 *   rate far above 5 % (Johari et al. 2017); the mSPRT always-valid p-value checked at the same looks stays
 *   at or below 5 %.
 * - A/B: the 95 % Welch and delta-method intervals cover the true absolute and relative lift about 95 % of the time,
 *   and the mSPRT still detects a real effect.
 * - CUPED with a per-user propensity that persists from the pre-period: narrower intervals, same coverage.
 */

const DAYS = 14;
const USERS_PER_DAY_PER_ARM = 150;
const BASE_RATE = 0.1;
/** mSPRT mixture tuned to the planned horizon: the difference's variance after DAYS days, from the design alone. */
const TAU = tauForHorizon((2 * BASE_RATE * (1 - BASE_RATE)) / (DAYS * USERS_PER_DAY_PER_ARM));

/** One day's new users in an arm: conversion indicators with the given rate. */
function day(rand: () => number, rate: number): Moments {
  const values = new Float64Array(USERS_PER_DAY_PER_ARM);
  for (let i = 0; i < values.length; i++) values[i] = rand() < rate ? 1 : 0;
  return momentsOf(values);
}

interface RunResult {
  welchEverSignificant: boolean;
  welchFinalSignificant: boolean;
  sequentialSignificant: boolean;
  sequentialPValues: number[];
  absoluteCovered: boolean;
  relativeCovered: boolean;
}

function run(seed: number, treatmentRate: number): RunResult {
  const rand = mulberry32(seed);
  let control = EMPTY_MOMENTS;
  let treatment = EMPTY_MOMENTS;
  let seq = INITIAL_SEQUENTIAL_STATE;
  let welchEver = false;
  let last = null as ReturnType<typeof welchTest>;
  const ps: number[] = [];
  for (let d = 0; d < DAYS; d++) {
    control = mergeMoments(control, day(rand, BASE_RATE));
    treatment = mergeMoments(treatment, day(rand, treatmentRate));
    const t = meanArm(treatment);
    const c = meanArm(control);
    last = welchTest(t, c);
    if (last && last.pValue < 0.05) welchEver = true;
    seq = sequentialLook(seq, t.mean - c.mean, t.varianceOfMean + c.varianceOfMean, { tau: TAU, alpha: 0.05 });
    ps.push(seq.pValue);
  }
  const rel = relativeLift(meanArm(treatment), meanArm(control));
  const trueAbs = treatmentRate - BASE_RATE;
  const trueRel = treatmentRate / BASE_RATE - 1;
  return {
    welchEverSignificant: welchEver,
    welchFinalSignificant: !!last && last.pValue < 0.05,
    sequentialSignificant: seq.pValue < 0.05,
    sequentialPValues: ps,
    absoluteCovered: !!last && last.ci[0] <= trueAbs && trueAbs <= last.ci[1],
    relativeCovered: !!rel && rel.ci[0] <= trueRel && trueRel <= rel.ci[1],
  };
}

const RUNS = 1000;

test('A/A, checked daily for two weeks over 1000 seeds: mSPRT stays within 5 %, the daily fixed-horizon p-value inflates', () => {
  let welchEver = 0;
  let welchFinal = 0;
  let sequential = 0;
  for (let seed = 1; seed <= RUNS; seed++) {
    const r = run(seed, BASE_RATE);
    if (r.welchEverSignificant) welchEver++;
    if (r.welchFinalSignificant) welchFinal++;
    if (r.sequentialSignificant) sequential++;
    for (let i = 1; i < r.sequentialPValues.length; i++)
      assert.ok(r.sequentialPValues[i]! <= r.sequentialPValues[i - 1]!, 'sequential p-value rose between looks');
  }
  const rate = (k: number) => k / RUNS;
  console.log(
    `A/A false-positive rates over ${RUNS} runs x ${DAYS} daily looks: Welch once at the end ${rate(welchFinal)}, Welch checked daily ${rate(welchEver)}, mSPRT checked daily ${rate(sequential)}`,
  );
  // a single fixed-horizon look is calibrated (binomial sd of the rate at 1000 runs: 0.007)
  assert.ok(rate(welchFinal) >= 0.03 && rate(welchFinal) <= 0.07, `fixed horizon once: ${rate(welchFinal)}`);
  // peeking at it daily inflates it (Johari et al. report ~20-30 % for a handful to tens of looks)
  assert.ok(rate(welchEver) >= 0.12, `fixed horizon checked daily: ${rate(welchEver)}`);
  // the always-valid p-value, checked as often, does not
  assert.ok(rate(sequential) <= 0.05, `mSPRT checked daily: ${rate(sequential)}`);
});

test('A/B (+30 % relative): intervals cover the true lift ~95 % of the time, and the mSPRT detects the effect', () => {
  const treatmentRate = BASE_RATE * 1.3;
  let absCovered = 0;
  let relCovered = 0;
  let sequential = 0;
  let fixed = 0;
  const runs = 600;
  for (let seed = 10_001; seed <= 10_000 + runs; seed++) {
    const r = run(seed, treatmentRate);
    if (r.absoluteCovered) absCovered++;
    if (r.relativeCovered) relCovered++;
    if (r.sequentialSignificant) sequential++;
    if (r.welchFinalSignificant) fixed++;
  }
  const rate = (k: number) => k / runs;
  console.log(`A/B +30 %: coverage absolute ${rate(absCovered)}, relative ${rate(relCovered)}; power fixed-horizon ${rate(fixed)}, mSPRT ${rate(sequential)}`);
  assert.ok(rate(absCovered) >= 0.92, `absolute coverage ${rate(absCovered)}`);
  assert.ok(rate(relCovered) >= 0.92, `relative coverage ${rate(relCovered)}`);
  // the price of looking at will: less power than a single fixed-horizon look at the same horizon
  assert.ok(rate(sequential) >= 0.5, `mSPRT power ${rate(sequential)}`);
  assert.ok(rate(fixed) >= rate(sequential), 'the fixed-horizon test is the more powerful one when looked at once');
});

test('CUPED with a persistent per-user propensity: interval width shrinks, coverage is kept', () => {
  // Each user has a click propensity p_u = 0.02 + 0.5 U^2 (U uniform; persisting over time); X = clicks in 20
  // pre-period impressions, Y = clicks in 20 impressions during the experiment, the treatment multiplying p_u by 1.1.
  // True effect on clicks per user: 20 * E[p] * 0.1 = 20 * (0.02 + 0.5 / 3) * 0.1.
  const runs = 300;
  const users = 400;
  const lift = 1.1;
  let widthRatioSum = 0;
  let covered = 0;
  let coveredRaw = 0;
  for (let seed = 20_001; seed <= 20_000 + runs; seed++) {
    const rand = mulberry32(seed);
    const binomial = (k: number, p: number) => {
      let s = 0;
      for (let i = 0; i < k; i++) if (rand() < p) s++;
      return s;
    };
    let control: CoMoments = EMPTY_CO_MOMENTS;
    let treatment: CoMoments = EMPTY_CO_MOMENTS;
    for (let u = 0; u < 2 * users; u++) {
      const uniform = rand();
      const p = 0.02 + 0.5 * uniform * uniform;
      const inTreatment = u % 2 === 1;
      const x = binomial(20, p);
      const y = binomial(20, inTreatment ? p * lift : p);
      if (inTreatment) treatment = addPair(treatment, x, y);
      else control = addPair(control, x, y);
    }
    const trueDiff = 20 * (0.02 + 0.5 / 3) * (lift - 1);
    const r = cuped(treatment, control);
    const raw = welchTest(meanArm(yMoments(treatment)), meanArm(yMoments(control)));
    assert.ok(r.absolute && raw);
    widthRatioSum += (r.absolute.ci[1] - r.absolute.ci[0]) / (raw.ci[1] - raw.ci[0]);
    if (r.absolute.ci[0] <= trueDiff && trueDiff <= r.absolute.ci[1]) covered++;
    if (raw.ci[0] <= trueDiff && trueDiff <= raw.ci[1]) coveredRaw++;
  }
  const width = widthRatioSum / runs;
  console.log(
    `CUPED over ${runs} runs: mean interval width ${width.toFixed(3)} of the unadjusted one; coverage ${covered / runs} (unadjusted ${coveredRaw / runs})`,
  );
  assert.ok(width < 0.75, `CUPED width ratio ${width}`);
  assert.ok(coveredRaw / runs >= 0.92, `unadjusted coverage ${coveredRaw / runs}`);
  assert.ok(covered / runs >= 0.92, `CUPED coverage ${covered / runs}`);
});

test('CUPED on CTR (clicks / impressions, pre-period CTR as covariate): narrower intervals, coverage kept', () => {
  // Per user: a click propensity p_u = 0.02 + 0.3 U^2 persisting over time, 1-15 impressions before and during
  // the experiment; the treatment multiplies p_u by 1.1. True CTR lift: the ratio of expected clicks to expected
  // impressions, E[p] * (lift - 1), since impressions are independent of p_u.
  const runs = 300;
  const users = 400;
  const lift = 1.1;
  const meanP = 0.02 + 0.3 / 3;
  const trueDiff = meanP * (lift - 1);
  let widthRatioSum = 0;
  let covered = 0;
  let coveredRaw = 0;
  for (let seed = 30_001; seed <= 30_000 + runs; seed++) {
    const rand = mulberry32(seed);
    const binomial = (k: number, p: number) => {
      let s = 0;
      for (let i = 0; i < k; i++) if (rand() < p) s++;
      return s;
    };
    const rows: number[][][] = [[], []];
    for (let u = 0; u < 2 * users; u++) {
      const uniform = rand();
      const p = 0.02 + 0.3 * uniform * uniform;
      const arm = u % 2;
      const imp0 = 1 + Math.floor(rand() * 15);
      const imp = 1 + Math.floor(rand() * 15);
      rows[arm]!.push([binomial(imp, arm === 1 ? p * lift : p), imp, binomial(imp0, p), imp0]);
    }
    const t = multiMomentsOf(rows[1]!);
    const c = multiMomentsOf(rows[0]!);
    const r = cupedRatio(t, c);
    assert.ok(r.absolute);
    const pairs = (m: number[][]) =>
      coMomentsOf(
        m.map((row) => row[1]!),
        m.map((row) => row[0]!),
      );
    const raw = welchTest(ratioArm(pairs(rows[1]!)), ratioArm(pairs(rows[0]!)));
    assert.ok(raw);
    widthRatioSum += (r.absolute.ci[1] - r.absolute.ci[0]) / (raw.ci[1] - raw.ci[0]);
    if (r.absolute.ci[0] <= trueDiff && trueDiff <= r.absolute.ci[1]) covered++;
    if (raw.ci[0] <= trueDiff && trueDiff <= raw.ci[1]) coveredRaw++;
  }
  const width = widthRatioSum / runs;
  console.log(
    `CUPED on CTR over ${runs} runs: mean interval width ${width.toFixed(3)} of the delta-method one; coverage ${covered / runs} (unadjusted ${coveredRaw / runs})`,
  );
  assert.ok(width < 0.95, `ratio CUPED width ratio ${width}`);
  assert.ok(covered / runs >= 0.92, `ratio CUPED coverage ${covered / runs}`);
  assert.ok(coveredRaw / runs >= 0.92, `delta-method coverage ${coveredRaw / runs}`);
});
