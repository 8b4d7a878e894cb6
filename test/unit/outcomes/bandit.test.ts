import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExperimentEvent, ExperimentSpec, FlywheelEvent, ImpressionEvent, InteractionEvent } from '../../../src/events/event';
import { validateEvent } from '../../../src/events/validate';
import { mulberry32 } from '../../../src/util/prng';
import { wiredBook } from './wired-book';

/**
 * A BANDIT experiment in the book: Thompson sampling per request over the arms' strategies, counts from
 * impressions and attributed outcomes (src/outcomes/bandit.ts), propensities that are the draw's own
 * probabilities, the floor kept, and the traffic moving to the arm that converts.
 */
const T0 = Date.UTC(2026, 0, 1);
const spec: ExperimentSpec = {
  name: 'three strategies',
  salt: 'salt-b',
  traffic: 1,
  type: 'BANDIT',
  explorationFloor: 0.05,
  variants: [
    { name: 'popular', share: 0.4, strategy: 'popular' },
    { name: 'item-knn', share: 0.3, strategy: 'item-knn' },
    { name: 'worse', share: 0.3, strategy: 'rp3beta' },
  ],
  control: 'popular',
  primaryMetric: 'CTR',
  guardrailMetrics: [],
  minimumDetectableEffect: 0.05,
};
let seq = 0;
const rec = (action: ExperimentEvent['action'], extra: Partial<ExperimentEvent> = {}): ExperimentEvent => ({
  kind: 'experiment',
  v: 1,
  id: `r${++seq}`,
  experimentId: 'bx',
  action,
  timestamp: T0,
  ...extra,
});

const wired = () => wiredBook({ rewardHorizonMs: 86_400_000 }, 86_400_000);

test('a BANDIT spec validates with its floor; the rules it adds are enforced', () => {
  assert.equal(validateEvent(rec('create', { spec })).ok, true);
  const bad: [ExperimentSpec, RegExp][] = [
    [{ ...spec, explorationFloor: undefined }, /explorationFloor: is required for a BANDIT/],
    [{ ...spec, explorationFloor: 0.4 }, /explorationFloor: must be at most 1\/3/],
    [{ ...spec, type: 'AB' }, /explorationFloor: goes with type BANDIT only/],
    [{ ...spec, variants: [spec.variants[0]!, { ...spec.variants[1]!, strategy: 'popular' }, spec.variants[2]!] }, /appears twice in a BANDIT/],
    [{ ...spec, primaryMetric: 'REVENUE_PER_USER' }, /needs a yes\/no reward/],
  ];
  for (const [s, reason] of bad) {
    const r = validateEvent(rec('create', { spec: s }));
    assert.equal(r.ok, false, String(reason));
    if (!r.ok) assert.match(r.reason, reason);
  }
});

test('per request, not sticky: one user gets several arms, each with the propensity of its draw; shares follow the clicks, floor kept', () => {
  const { book, feed } = wired();
  feed([rec('create', { spec }), rec('start')]);
  // Before any data: uniform (equal posteriors), so every propensity is 1/3.
  const first = book.bandit('bx')!;
  first.arms.forEach((a) => assert.ok(Math.abs(a.trafficShare - 1 / 3) < 1e-9));
  const rand = mulberry32(5);
  const drawn = new Set<string>();
  for (let i = 0; i < 30; i++) drawn.add(book.assign('u1', rand)!.variant);
  assert.equal(drawn.size, 3, 'the same user drew every arm');

  // Simulated traffic: item-knn converts at 30 %, popular 15 %, worse 5 %.
  const truth: Record<string, number> = { popular: 0.15, 'item-knn': 0.3, worse: 0.05 };
  // A seed far from the draws' (adjacent mulberry32 seeds give correlated streams).
  const clickRand = mulberry32(918_273_645);
  let t = T0;
  for (let i = 0; i < 3000; i++) {
    const user = `u${i % 300}`;
    const a = book.assign(user, rand)!;
    const shares = book.bandit('bx')!.arms.map((x) => x.trafficShare);
    assert.ok(Math.abs(shares.reduce((x, y) => x + y, 0) - 1) < 1e-12, 'shares sum to 1');
    for (const s of shares) assert.ok(s >= 0.05 - 1e-12, `share ${s} under the floor`);
    assert.equal(a.propensity, shares[spec.variants.findIndex((v) => v.name === a.variant)], 'the propensity is the share the draw used');
    const imp: ImpressionEvent = {
      kind: 'impression',
      v: 1,
      id: `s${i}`,
      userId: user,
      surface: 'recommendations',
      strategy: a.strategy,
      experimentId: 'bx',
      variant: a.variant,
      items: [{ itemId: 'i1', position: 1, propensity: a.propensity! }],
      timestamp: ++t,
    };
    const events: FlywheelEvent[] = [imp];
    if (clickRand() < truth[a.variant]!) {
      const click: InteractionEvent = { kind: 'interaction', v: 1, id: `c${i}`, type: 'CLICK', userId: user, itemId: 'i1', servedId: `s${i}`, timestamp: ++t };
      // A second click on the same list does not count twice.
      events.push(click, { ...click, id: `c${i}-again`, timestamp: ++t });
    }
    feed(events);
  }
  const end = book.bandit('bx')!;
  const byName = Object.fromEntries(end.arms.map((a) => [a.variant, a]));
  assert.equal(end.reward, 'CLICK');
  assert.equal(
    end.arms.reduce((s, a) => s + a.pulls, 0),
    3000,
  );
  for (const a of end.arms) {
    assert.ok(a.successes <= a.pulls);
    assert.equal(a.alpha, 1 + a.successes);
    assert.equal(a.beta, 1 + a.pulls - a.successes);
  }
  assert.ok(byName['item-knn']!.trafficShare > 0.8, `best arm's share ${byName['item-knn']!.trafficShare}`);
  assert.ok(byName['item-knn']!.pulls > byName.popular!.pulls && byName.popular!.pulls > byName.worse!.pulls);
  assert.ok(Math.abs(byName.worse!.trafficShare - 0.05) < 1e-3, 'the worst arm is held at the floor');
  assert.ok(Math.abs(byName['item-knn']!.posteriorMean - 0.3) < 0.03);

  // Per-(user, arm) units: no SRM check, results still computed (descriptive).
  assert.deepEqual(book.sampleRatios(), []);
  const r = book.results('bx')!;
  assert.equal(r.analysis.srm ?? null, null);
  assert.ok(r.users.reduce((a, b) => a + b, 0) > 300, 'a user is a unit in each arm they met');
});

test('an A/B experiment is untouched: sticky, no propensity, no bandit state', () => {
  const { book, feed } = wired();
  const ab: ExperimentSpec = { ...spec, type: undefined, explorationFloor: undefined, variants: spec.variants.map((v) => ({ ...v, share: 1 / 3 })) };
  ab.variants[2]!.share = 1 - 2 / 3;
  feed([rec('create', { spec: ab }), rec('start')]);
  const a = book.assign('u1', () => 0.99)!;
  assert.equal(a.propensity, undefined);
  assert.deepEqual(
    book.assign('u1', () => 0.01),
    a,
  );
  assert.equal(book.bandit('bx'), undefined);
});

test('the shares come from snapshots of the counts taken at points fixed by the records read: two books fed the same records agree, whatever requests they served', () => {
  const a = wired();
  const b = wired();
  for (const w of [a, b]) w.feed([rec('create', { spec }), rec('start')]);
  const rand = mulberry32(77);
  let t = T0;
  for (let i = 0; i < 1500; i++) {
    const arm = spec.variants[i % 3]!;
    const events: FlywheelEvent[] = [
      {
        kind: 'impression',
        v: 1,
        id: `q${i}`,
        userId: `u${i}`,
        surface: 'recommendations',
        strategy: arm.strategy,
        experimentId: 'bx',
        variant: arm.name,
        items: [{ itemId: 'i1', position: 1, propensity: 1 / 3 }],
        timestamp: ++t,
      },
    ];
    if (rand() < (arm.name === 'item-knn' ? 0.3 : 0.1))
      events.push({ kind: 'interaction', v: 1, id: `k${i}`, type: 'CLICK', userId: `u${i}`, itemId: 'i1', servedId: `q${i}`, timestamp: ++t });
    a.feed(events);
    b.feed(events);
    // Only book a serves requests (and so computes shares) as it goes.
    if (i % 7 === 0) a.book.assign(`u${i}`, rand);
  }
  const sa = a.book.bandit('bx')!;
  const sb = b.book.bandit('bx')!;
  assert.deepEqual(
    sa.arms.map((x) => x.trafficShare),
    sb.arms.map((x) => x.trafficShare),
  );
  // Near 1,500 lists a snapshot is taken every 7 updates: over 70 more lists the shares move at most 10 times
  // (11 with the partial cycle at the start), while the live counts move at every list.
  let moves = 0;
  let last = sa.arms.map((x) => x.trafficShare);
  for (let i = 0; i < 70; i++) {
    a.feed([
      {
        kind: 'impression',
        v: 1,
        id: `more-${i}`,
        userId: 'u-x',
        surface: 'recommendations',
        strategy: 'popular',
        experimentId: 'bx',
        variant: 'popular',
        items: [{ itemId: 'i1', position: 1, propensity: 1 / 3 }],
        timestamp: ++t,
      },
    ]);
    const now = a.book.bandit('bx')!;
    assert.equal(now.arms[0]!.pulls, sa.arms[0]!.pulls + i + 1, 'the live counts move');
    const shares = now.arms.map((x) => x.trafficShare);
    if (shares.some((x, k) => x !== last[k])) moves++;
    last = shares;
  }
  assert.ok(moves >= 9 && moves <= 11, `the shares moved ${moves} times in 70 updates`);
});
