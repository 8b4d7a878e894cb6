import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExperimentSpec, FlywheelEvent, ImpressionEvent } from '../../../src/events/event';
import { validateEvent } from '../../../src/events/validate';
import { momentsOf } from '../../../src/experiments/moments';
import { analyzeExperiment } from '../../../src/experiments/statistics';
import { mulberry32 } from '../../../src/util/prng';
import { GUARDRAIL_ALERT_MIN_UNITS, guardrailsOf } from '../../../src/outcomes/experiments';
import { guardrailFailureFinding } from '../../../src/app/guardrail-alert';
import { experimentRecord as rec, wiredBook } from './wired-book';

const T0 = Date.UTC(2026, 0, 1);
const spec: ExperimentSpec = {
  name: 'guarded',
  salt: 'salt-g',
  traffic: 1,
  variants: [
    { name: 'control', share: 0.5, strategy: 'blend' },
    { name: 'treatment', share: 0.5, strategy: 'popular' },
  ],
  control: 'control',
  primaryMetric: 'CTR',
  guardrailMetrics: ['CLICKS_PER_USER', 'ADD_TO_CARTS_PER_USER'],
  guardrails: [{ metric: 'CLICKS_PER_USER', margin: 0.05, direction: 'HIGHER_IS_BETTER' }],
  minimumDetectableEffect: 0.05,
};

test('records: a guardrail names one of guardrailMetrics, once, with a margin in (0, 1] and a direction', () => {
  const ok = validateEvent(rec('x', 'create', { spec }));
  assert.equal(ok.ok, true);
  const bad: [ExperimentSpec, RegExp][] = [
    [
      { ...spec, guardrails: [{ metric: 'REVENUE_PER_USER', margin: 0.02, direction: 'HIGHER_IS_BETTER' }] },
      /guardrails\.0\.metric: must be one of guardrailMetrics/,
    ],
    [{ ...spec, guardrails: [spec.guardrails![0]!, spec.guardrails![0]!] }, /guardrails\.1\.metric: appears twice/],
    [{ ...spec, guardrails: [{ ...spec.guardrails![0]!, margin: 0 }] }, /guardrails\.0\.margin: must be above 0/],
    [{ ...spec, guardrails: [{ ...spec.guardrails![0]!, margin: 1.5 }] }, /guardrails\.0\.margin: must be at most 1/],
    [{ ...spec, guardrails: [{ ...spec.guardrails![0]!, direction: 'SIDEWAYS' as 'HIGHER_IS_BETTER' }] }, /guardrails\.0\.direction/],
  ];
  for (const [s, reason] of bad) {
    const r = validateEvent(rec('x', 'create', { spec: s }));
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.reason, reason);
  }
  // Version 1: a reader without guardrails misreads nothing (it computes no verdicts).
  assert.equal(rec('x', 'create', { spec }).v, 1);
});

test('guardrailsOf: the spec’s margin where given, else 2 % higher-is-better (also for records written before margins)', () => {
  assert.deepEqual(guardrailsOf(spec), [
    { metric: 'CLICKS_PER_USER', margin: 0.05, direction: 'HIGHER_IS_BETTER' },
    { metric: 'ADD_TO_CARTS_PER_USER', margin: 0.02, direction: 'HIGHER_IS_BETTER' },
  ]);
  const { guardrails: _omitted, ...old } = spec;
  assert.deepEqual(
    guardrailsOf(old).map((g) => g.margin),
    [0.02, 0.02],
  );
});

/** Users exposed once each; each clicks each of the list's two items with its variant's probability. */
function traffic(book: ReturnType<typeof wiredBook>['book'], experimentId: string, users: number, clickRate: (variant: string) => number, seed: number) {
  const rand = mulberry32(seed);
  const events: FlywheelEvent[] = [];
  const clicks: Record<string, number[]> = { control: [], treatment: [] };
  // users in the order the book sums them (by id), so a reference adds the same terms in the same order
  const ids = Array.from({ length: users }, (_, u) => u).sort((x, y) => (`s${seed}-u${x}` < `s${seed}-u${y}` ? -1 : 1));
  for (const u of ids) {
    const user = `s${seed}-u${u}`;
    const a = book.assign(user)!;
    const at = T0 + 60_000 + u * 1000;
    const shown: ImpressionEvent = {
      kind: 'impression',
      v: 1,
      id: `l-${user}`,
      userId: user,
      surface: 'recommendations',
      strategy: a.strategy,
      experimentId,
      variant: a.variant,
      items: [
        { itemId: 'i1', position: 1, propensity: 1 },
        { itemId: 'i2', position: 2, propensity: 1 },
      ],
      timestamp: at,
    };
    events.push(shown);
    let n = 0;
    for (const item of ['i1', 'i2'])
      if (rand() < clickRate(a.variant)) {
        n++;
        events.push({ kind: 'interaction', v: 1, id: `c-${user}-${item}`, type: 'CLICK', userId: user, itemId: item, servedId: shown.id, timestamp: at + 10 });
      }
    clicks[a.variant]!.push(n);
  }
  return { events, clicks };
}

test('results: a guardrail metric of an A/B test carries the non-inferiority tests, as analyzeExperiment on the same per-user values', () => {
  const { book, feed } = wiredBook();
  feed([rec('g', 'create', { spec }), rec('g', 'start')]);
  const { events, clicks } = traffic(book, 'g', 400, (v) => (v === 'control' ? 0.4 : 0.38), 1);
  feed(events);
  const r = book.results('g', 'CLICKS_PER_USER')!;
  const reference = analyzeExperiment(
    [
      { name: 'control', metric: momentsOf(clicks.control!) },
      { name: 'treatment', metric: momentsOf(clicks.treatment!) },
    ],
    { control: 0, shares: [0.5, 0.5], sequential: { tau: 0.05 }, guardrail: { margin: 0.05, direction: 'HIGHER_IS_BETTER' } },
  );
  assert.deepEqual(r.analysis.variants[1]!.guardrail, reference.variants[1]!.guardrail);
  assert.ok(r.analysis.variants[1]!.guardrail!.fixed, 'computed');
  assert.equal(r.analysis.variants[0]!.guardrail, null, 'not for control');
  assert.equal(book.results('g', 'CTR')!.analysis.variants[1]!.guardrail, null, 'not for the primary metric');
  assert.equal(book.results('g', 'ADD_TO_CARTS_PER_USER')!.analysis.variants[1]!.guardrail?.margin, 0.02, 'the default margin');
});

test('alert: a treatment far worse on a guardrail fails the always-valid test and is reported once; a neutral one never', () => {
  const bad = wiredBook();
  bad.feed([rec('b', 'create', { spec }), rec('b', 'start')]);
  // Feed in batches, checking after each as the service does: no alert below the minimum users an arm.
  const { events } = traffic(bad.book, 'b', 1200, (v) => (v === 'control' ? 0.5 : 0.3), 2);
  const failures = [];
  for (let i = 0; i < events.length; i += 50) {
    bad.feed(events.slice(i, i + 50));
    const f = bad.book.takeGuardrailFailures();
    for (const x of f) assert.ok(x.users[0] >= GUARDRAIL_ALERT_MIN_UNITS && x.users[1] >= GUARDRAIL_ALERT_MIN_UNITS);
    failures.push(...f);
  }
  assert.equal(failures.length, 1, 'once per experiment, variant and metric');
  const f = failures[0]!;
  assert.equal(f.variant, 'treatment');
  assert.equal(f.guardrail.metric, 'CLICKS_PER_USER');
  assert.ok(f.estimate < -0.05 && f.inferiorityPValue < 0.05);
  assert.equal(bad.book.results('b', 'CLICKS_PER_USER')!.analysis.variants[1]!.guardrail!.sequential!.verdict, 'FAIL');

  const finding = guardrailFailureFinding(bad.book.get('b')!, f, T0);
  assert.equal(finding.id, 'GUARDRAIL_FAILURE:experiment:b:treatment:CLICKS_PER_USER');
  assert.equal(finding.kind, 'GUARDRAIL_FAILURE');
  assert.equal(finding.entityType, 'experiment');
  assert.match(finding.message, /variant treatment is lower than control on guardrail CLICKS_PER_USER by more than its 5\.0 % margin/);

  const fine = wiredBook();
  fine.feed([rec('n', 'create', { spec: { ...spec, salt: 'salt-n' } }), rec('n', 'start')]);
  const neutral = traffic(fine.book, 'n', 1200, () => 0.4, 3).events;
  for (let i = 0; i < neutral.length; i += 50) {
    fine.feed(neutral.slice(i, i + 50));
    assert.deepEqual(fine.book.takeGuardrailFailures(), []);
  }
});

test('bandits and interleavings get no guardrail verdicts (their results are descriptive or have no split)', () => {
  const { book, feed } = wiredBook();
  feed([
    rec('k', 'create', {
      spec: { ...spec, type: 'BANDIT', explorationFloor: 0.1, primaryMetric: 'CLICKS_PER_USER', guardrailMetrics: ['ADD_TO_CARTS_PER_USER'], guardrails: [] },
    }),
    rec('k', 'start'),
  ]);
  const r = book.results('k', 'ADD_TO_CARTS_PER_USER')!;
  assert.ok(r.analysis.variants.every((v) => v.guardrail === null));
  assert.deepEqual(book.takeGuardrailFailures(), []);
});
