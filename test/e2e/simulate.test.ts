import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

/**
 * `flywheel simulate`: the real gateway code against simulated shoppers (issue 13, step 5). The last line is
 * one JSON object; a strong true lift is found with the right sign and covered by the interval; a broken
 * split (treatment users lost before exposure, about 47/53) is flagged and raises the SRM anomaly; an A/A
 * with the same users is not flagged; bad flags exit 2 with the rule.
 */
const BIN = path.resolve(__dirname, '../../../bin/flywheel.js');

interface Variant {
  name: string;
  strategy: string;
  blend?: { strategy: string; weight: number }[];
  users: number;
  impressions: number;
  clicks: number;
  conversions: number;
  mean: number;
  variance: number;
}
interface Output {
  scenario: string;
  variants: Variant[];
  primary: string;
  lift: {
    relative: number;
    ci: [number, number];
    pValue: number;
    sequentialPValue: number;
    cupedCi: [number, number] | null;
    groupSequential: { rejected: boolean; boundary: number; informationFraction: number; alphaSpent: number } | null;
  };
  looks: { day: number; groupSequentialRejected?: boolean; groupSequentialBoundary?: number }[];
  srm: { pValue: number; mismatch: boolean };
  srmAlerts: number;
  guardrails: {
    metric: string;
    margin: number;
    direction: string;
    variant: string;
    estimate: number;
    bound: number;
    verdict: string;
    sequentialVerdict: string;
  }[];
  guardrailAlerts: number;
  truth: { relativeLift: number; guardrail?: { metric: string; relativeLift: number } };
}

function simulate(...args: string[]): Output {
  const r = spawnSync(process.execPath, [BIN, 'simulate', '--json', ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const last = r.stdout.trim().split('\n').at(-1)!;
  return JSON.parse(last) as Output;
}

test('ab: the better strategy wins with the right sign, and the interval covers the true lift', () => {
  const out = simulate('--scenario', 'ab', '--seed', '11', '--users', '800', '--days', '3', '--lift', '0.5');
  assert.equal(out.scenario, 'ab');
  assert.deepEqual(
    out.variants.map((v) => [v.name, v.strategy]),
    [
      ['control', 'popular'],
      ['treatment', 'item-knn'],
    ],
  );
  for (const v of out.variants)
    for (const k of ['users', 'impressions', 'clicks', 'conversions', 'mean', 'variance'] as const) assert.equal(typeof v[k], 'number', k);
  assert.ok(out.variants.every((v) => v.users > 300 && v.clicks > 0));
  assert.equal(out.primary, 'ctr');
  assert.equal(out.truth.relativeLift, 0.5);
  assert.ok(out.lift.relative > 0, `relative lift ${out.lift.relative}`);
  assert.ok(out.lift.ci[0] <= 0.5 && 0.5 <= out.lift.ci[1], `CI ${out.lift.ci} covers 0.5`);
  assert.ok(out.lift.pValue < 0.05);
  assert.ok(out.lift.sequentialPValue > 0 && out.lift.sequentialPValue <= 1, 'a sequential p-value is reported');
  assert.ok(Array.isArray(out.lift.cupedCi), 'CUPED on the pre-period');
  assert.equal(out.srm.mismatch, false);
  // The run is planned for its users: each day is a look of the group-sequential test, the stop its final analysis.
  // A 50 % lift is found at an interim look, where the test stops (it spent less than all of alpha by then).
  const gst = out.lift.groupSequential!;
  assert.equal(gst.rejected, true, 'a 50 % lift is found');
  assert.ok(gst.informationFraction > 0 && gst.informationFraction <= 1 && gst.alphaSpent > 0 && gst.alphaSpent <= 0.05, JSON.stringify(gst));
  assert.deepEqual(
    out.looks.map((l) => typeof l.groupSequentialRejected),
    ['boolean', 'boolean', 'boolean'],
  );
});

test('ab with --blends: the variants are two weightings of blend, served and compared like strategies', () => {
  const out = simulate(
    '--scenario',
    'ab',
    '--seed',
    '2',
    '--users',
    '400',
    '--days',
    '2',
    '--lift',
    '0.5',
    '--blends',
    'local-ease=1,item-knn=1;local-ease=0.2,item-knn=1',
  );
  assert.deepEqual(
    out.variants.map((v) => [v.name, v.strategy, v.blend]),
    [
      [
        'control',
        'blend',
        [
          { strategy: 'local-ease', weight: 1 },
          { strategy: 'item-knn', weight: 1 },
        ],
      ],
      [
        'treatment',
        'blend',
        [
          { strategy: 'local-ease', weight: 0.2 },
          { strategy: 'item-knn', weight: 1 },
        ],
      ],
    ],
  );
  assert.ok(
    out.variants.every((v) => v.users > 100 && v.impressions > v.users),
    JSON.stringify(out.variants),
  );
  assert.ok(out.lift.relative > 0, `relative lift ${out.lift.relative}`);
  for (const [blends, reason] of [
    ['local-ease=1', /--blends: expected "part=weight,...;part=weight,..."/],
    ['local-ease=1;magic=1', /--blends: unknown blend part "magic"/],
    ['local-ease=0;item-knn=1', /experiment record refused: spec\.variants\.0\.blend\.0\.weight: must be above 0/],
  ] as const) {
    const r = spawnSync(process.execPath, [BIN, 'simulate', '--users', '10', '--days', '1', '--blends', blends], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, reason);
  }
});

test('srm: a broken split is flagged and raises SAMPLE_RATIO_MISMATCH; the same A/A without the loss is not', () => {
  const broken = simulate('--scenario', 'srm', '--seed', '3', '--users', '5000', '--days', '1');
  assert.equal(broken.srm.mismatch, true, JSON.stringify(broken.srm));
  assert.equal(broken.srmAlerts, 1);
  const fair = simulate('--scenario', 'aa', '--seed', '3', '--users', '5000', '--days', '1');
  assert.equal(fair.srm.mismatch, false, JSON.stringify(fair.srm));
  assert.equal(fair.srmAlerts, 0);
  assert.equal(fair.truth.relativeLift, 0);
  // Nothing differs between the arms: the revenue guardrail does not fail.
  assert.notEqual(fair.guardrails[0]!.sequentialVerdict, 'FAIL');
  assert.equal(fair.guardrailAlerts, 0);
});

test('guardrail: a treatment that wins clicks but halves purchases per click fails the revenue guardrail and alerts once', () => {
  const out = simulate('--scenario', 'ab', '--seed', '1', '--guardrail-lift', '-0.5');
  assert.ok(out.lift.relative > 0, 'the primary metric improves');
  assert.deepEqual(out.truth.guardrail, { metric: 'REVENUE_PER_USER', relativeLift: 1.15 * 0.5 - 1 });
  const [g] = out.guardrails;
  assert.equal(g!.metric, 'REVENUE_PER_USER');
  assert.equal(g!.margin, 0.02);
  assert.equal(g!.direction, 'HIGHER_IS_BETTER');
  assert.ok(g!.bound < g!.estimate && g!.estimate < -0.02, JSON.stringify(g));
  assert.equal(g!.verdict, 'FAIL');
  assert.equal(g!.sequentialVerdict, 'FAIL');
  assert.equal(out.guardrailAlerts, 1);
  const r = spawnSync(process.execPath, [BIN, 'simulate', '--scenario', 'interleave', '--guardrail-lift', '-0.5'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--guardrail-lift and --guardrail-margin go with --scenario aa, ab or srm/);
});

test('bad flags exit 2 with the rule', () => {
  const r = spawnSync(process.execPath, [BIN, 'simulate', '--scenario', 'abc'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--scenario must be one of aa, ab, srm/);
});
