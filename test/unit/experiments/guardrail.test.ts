import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../../src/util/prng';
import {
  analyzeExperiment,
  meanArm,
  mergeMoments,
  momentsOf,
  nonInferiority,
  relativeLift,
  sequentialNonInferiority,
  EMPTY_MOMENTS,
  type ArmEstimate,
  type Moments,
} from '../../../src/experiments/statistics';

/*
 * Guardrails as non-inferiority tests (src/experiments/guardrail.ts): the decision rule's properties, and seeded
 * simulations of what the always-valid version promises when an alert reads it after every batch. The numbers
 * themselves are checked against scipy in reference.test.ts.
 */

const arm = (n: number, mean: number, varianceOfMean: number): ArmEstimate => ({ n, mean, varianceOfMean });

test('the verdict follows the one-sided bound against the margin, in either direction', () => {
  const rand = mulberry32(7);
  for (let i = 0; i < 300; i++) {
    const c = arm(500 + Math.floor(rand() * 5000), 1 + rand() * 10, 0.001 + rand() * 0.05);
    const t = arm(500 + Math.floor(rand() * 5000), c.mean * (0.85 + rand() * 0.3), 0.001 + rand() * 0.05);
    const margin = 0.01 + rand() * 0.1;
    const up = nonInferiority(t, c, { margin })!;
    const rel = relativeLift(t, c, { alpha: 0.1 })!;
    // The one-sided 95 % bound is the two-sided 90 % interval's end.
    assert.ok(Math.abs(up.bound - rel.ci[0]) < 1e-9);
    assert.equal(up.verdict === 'PASS', up.bound > -margin, `case ${i}: PASS iff the lower bound is above -margin`);
    assert.equal(up.verdict === 'FAIL', rel.ci[1] < -margin, `case ${i}: FAIL iff even the upper bound is below -margin`);
    const down = nonInferiority(t, c, { margin, direction: 'LOWER_IS_BETTER' })!;
    assert.ok(Math.abs(down.bound - rel.ci[1]) < 1e-9);
    assert.equal(down.verdict === 'PASS', down.bound < margin);
    assert.equal(down.verdict === 'FAIL', rel.ci[0] > margin);
    // The always-valid test is more cautious: it never passes or fails what the fixed-horizon one does not.
    const seq = sequentialNonInferiority(t, c, { margin })!;
    if (seq.verdict !== 'INCONCLUSIVE') assert.equal(seq.verdict, up.verdict, `case ${i}`);
    assert.ok(seq.pValue >= up.pValue - 1e-12, `case ${i}: sequential p+ ${seq.pValue} below fixed ${up.pValue}`);
  }
});

test('not computable: null (too few units, control mean 0); a margin must be above 0', () => {
  assert.equal(nonInferiority(arm(1, 1, 0.1), arm(10, 1, 0.1), { margin: 0.02 }), null);
  assert.equal(nonInferiority(arm(10, 1, 0.1), arm(10, 0, 0.1), { margin: 0.02 }), null);
  assert.equal(sequentialNonInferiority(arm(10, 1, 0.1), arm(10, 0, 0.1), { margin: 0.02 }), null);
  assert.throws(() => nonInferiority(arm(10, 1, 0.1), arm(10, 1, 0.1), { margin: 0 }), RangeError);
});

test('analyzeExperiment carries the guardrail per treatment, null for control and without the option', () => {
  const c = momentsOf(Array.from({ length: 200 }, (_, i) => (i % 10 === 0 ? 1 : 0)));
  const t = momentsOf(Array.from({ length: 200 }, (_, i) => (i % 11 === 0 ? 1 : 0)));
  const a = analyzeExperiment(
    [
      { name: 'control', metric: c },
      { name: 'treatment', metric: t },
    ],
    { guardrail: { margin: 0.02 } },
  );
  assert.equal(a.variants[0]!.guardrail, null);
  const g = a.variants[1]!.guardrail!;
  assert.equal(g.margin, 0.02);
  assert.equal(g.direction, 'HIGHER_IS_BETTER');
  assert.deepEqual(g.fixed, nonInferiority(meanArm(t), meanArm(c), { margin: 0.02 }));
  assert.deepEqual(g.sequential, sequentialNonInferiority(meanArm(t), meanArm(c), { margin: 0.02 }));
  const plain = analyzeExperiment([
    { name: 'control', metric: c },
    { name: 'treatment', metric: t },
  ]);
  assert.equal(plain.variants[1]!.guardrail, null);
});

// ---- seeded simulations: a conversion guardrail with a 2 % margin, checked daily for two weeks ----
const DAYS = 14;
const USERS_PER_DAY = 3000;
const BASE = 0.1;
const MARGIN = 0.02;

function day(rand: () => number, rate: number): Moments {
  const v = new Float64Array(USERS_PER_DAY);
  for (let i = 0; i < v.length; i++) v[i] = rand() < rate ? 1 : 0;
  return momentsOf(v);
}

/** Per run: did any daily look's verdict (sequential, fixed-horizon) say PASS / FAIL? */
function run(seed: number, relativeTruth: number, margin: number) {
  const rand = mulberry32(seed);
  let c = EMPTY_MOMENTS;
  let t = EMPTY_MOMENTS;
  const ever = { seqPass: false, seqFail: false, fixedPass: false, fixedFail: false };
  for (let d = 0; d < DAYS; d++) {
    c = mergeMoments(c, day(rand, BASE));
    t = mergeMoments(t, day(rand, BASE * (1 + relativeTruth)));
    const s = sequentialNonInferiority(meanArm(t), meanArm(c), { margin })!;
    const f = nonInferiority(meanArm(t), meanArm(c), { margin })!;
    ever.seqPass ||= s.verdict === 'PASS';
    ever.seqFail ||= s.verdict === 'FAIL';
    ever.fixedPass ||= f.verdict === 'PASS';
    ever.fixedFail ||= f.verdict === 'FAIL';
  }
  return ever;
}

const RUNS = 300;

function rates(relativeTruth: number, margin = MARGIN) {
  const n = { seqPass: 0, seqFail: 0, fixedPass: 0, fixedFail: 0 };
  for (let seed = 1; seed <= RUNS; seed++) {
    const r = run(seed * 7919 + Math.round(relativeTruth * 1000), relativeTruth, margin);
    for (const k of Object.keys(n) as (keyof typeof n)[]) if (r[k]) n[k]++;
  }
  return { seqPass: n.seqPass / RUNS, seqFail: n.seqFail / RUNS, fixedPass: n.fixedPass / RUNS, fixedFail: n.fixedFail / RUNS };
}

test('a guardrail exactly at the margin, checked daily: the always-valid verdict stays within 5 % either way; the daily fixed-horizon one inflates', () => {
  const r = rates(-MARGIN);
  console.log(
    `guardrail at the margin (-2 %), ${RUNS} runs x ${DAYS} daily looks: ever PASS sequential ${r.seqPass}, fixed ${r.fixedPass}; ever FAIL sequential ${r.seqFail}, fixed ${r.fixedFail}`,
  );
  assert.ok(r.seqPass <= 0.05, `sequential ever PASS ${r.seqPass}`);
  assert.ok(r.seqFail <= 0.05, `sequential ever FAIL ${r.seqFail}`);
  assert.ok(r.fixedPass > 0.08, `fixed-horizon ever PASS ${r.fixedPass}: peeking was expected to inflate it`);
});

test('no change: the alert (sequential FAIL) fires in at most 5 % of runs (the guarantee); a 15 % degradation fails; non-inferiority needs the margin to be several standard errors', () => {
  const none = rates(0);
  const wide = rates(0, 0.1);
  const bad = rates(-0.15);
  // 42,000 users an arm at the end: the relative lift's standard error is about 2 %, the size of the 2 % margin.
  console.log(
    `guardrail, ${RUNS} runs x ${DAYS} daily looks: truth 0 %, margin 2 %: ever FAIL ${none.seqFail}, ever PASS ${none.seqPass} (fixed ${none.fixedPass}); margin 10 %: ever PASS ${wide.seqPass}; truth -15 %, margin 2 %: ever FAIL ${bad.seqFail}`,
  );
  assert.ok(none.seqFail <= 0.05, `neutral treatment ever FAIL ${none.seqFail}`);
  assert.ok(wide.seqPass >= 0.9, `neutral treatment shown non-inferior within 10 % in ${wide.seqPass}`);
  assert.ok(bad.seqFail >= 0.9, `15 % degradation failed in ${bad.seqFail}`);
  assert.equal(bad.seqPass, 0);
});
