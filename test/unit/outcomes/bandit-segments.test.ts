import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaVersionOf, type ExperimentSpec, type FlywheelEvent, type ImpressionEvent } from '../../../src/events/event';
import { validateEvent } from '../../../src/events/validate';
import { mulberry32 } from '../../../src/util/prng';
import { experimentRecord as rec, wiredBook } from './wired-book';

/**
 * A BANDIT by segment (src/outcomes/bandit.ts): the arms' counts kept per customer segment, drawn from the user's
 * segment's shares, the segment logged on the impression and the outcomes counted in the segment of their list.
 * Two segments whose best arms differ each converge to their own; the counts and shares are a function of the log
 * alone (two books fed the same records agree exactly).
 */
const T0 = Date.UTC(2026, 0, 1);
const spec: ExperimentSpec = {
  name: 'by segment',
  salt: 'salt-seg',
  traffic: 1,
  type: 'BANDIT',
  explorationFloor: 0.05,
  banditBySegment: true,
  variants: [
    { name: 'popular', share: 0.5, strategy: 'popular' },
    { name: 'item-knn', share: 0.5, strategy: 'item-knn' },
  ],
  control: 'popular',
  primaryMetric: 'CTR',
  guardrailMetrics: [],
  minimumDetectableEffect: 0.05,
};

const wired = () => wiredBook({ rewardHorizonMs: 86_400_000 }, 86_400_000);

test('records: banditBySegment goes with BANDIT only and is written as version 3 (an older reader would pool the segments)', () => {
  assert.equal(schemaVersionOf({ spec }), 3);
  assert.equal(validateEvent(rec('x', 'create', { spec })).ok, true);
  const v2 = validateEvent({ ...rec('x', 'create', { spec }), v: 2 });
  assert.equal(v2.ok, false);
  if (!v2.ok) assert.match(v2.reason, /v: must be at least 3 for a bandit by segment/);
  const { explorationFloor: _f, ...ab } = spec;
  const notBandit = validateEvent(rec('x', 'create', { spec: { ...ab, type: 'AB' } }));
  assert.equal(notBandit.ok, false);
  if (!notBandit.ok) assert.match(notBandit.reason, /banditBySegment: goes with type BANDIT only/);
  const { banditBySegment: _b, ...plain } = spec;
  assert.equal(schemaVersionOf({ spec: plain }), 1, 'a bandit without it stays version 1');
});

/** Click-through of each arm in each segment: popular is best in "bargain", item-knn in "loyal"; no segment: equal. */
const CTR: Record<string, Record<string, number>> = {
  bargain: { popular: 0.5, 'item-knn': 0.2 },
  loyal: { popular: 0.2, 'item-knn': 0.5 },
  none: { popular: 0.35, 'item-knn': 0.35 },
};

/** 6,000 requests: a third from each segment and from users without one; each list clicked with its arm's CTR there. */
function run(seed: number) {
  const { book, feed } = wired();
  const log: FlywheelEvent[] = [rec('b', 'create', { spec }), rec('b', 'start')];
  feed(log);
  const rand = mulberry32(seed);
  for (let i = 0; i < 6000; i++) {
    const group = ['bargain', 'loyal', 'none'][i % 3]!;
    const segment = group === 'none' ? undefined : group;
    const user = `${group}-${i % 300}`;
    const a = book.assign(user, rand, segment)!;
    assert.equal(a.segment, segment, 'the assignment carries the segment that drew it');
    const shown: ImpressionEvent = {
      kind: 'impression',
      v: 1,
      id: `l${i}`,
      userId: user,
      surface: 'recommendations',
      strategy: a.strategy,
      experimentId: 'b',
      variant: a.variant,
      ...(a.segment !== undefined ? { segment: a.segment } : {}),
      items: [{ itemId: 'i1', position: 1, propensity: a.propensity! }],
      timestamp: T0 + i * 1000,
    };
    const batch: FlywheelEvent[] = [shown];
    if (rand() < CTR[group]![a.variant]!)
      batch.push({ kind: 'interaction', v: 1, id: `c${i}`, type: 'CLICK', userId: user, itemId: 'i1', servedId: shown.id, timestamp: T0 + i * 1000 + 10 });
    feed(batch);
    log.push(...batch);
  }
  return { book, log };
}

test('two segments with different best arms each converge to their own; users without a segment have their own pool', () => {
  const { book, log } = run(7);
  const view = book.bandit('b')!;
  assert.equal(view.bySegment, true);
  assert.deepEqual(
    view.segments.map((s) => s.segment),
    ['bargain', 'loyal', null],
  );
  const share = (segment: string | null, arm: string) => view.segments.find((s) => s.segment === segment)!.arms.find((a) => a.variant === arm)!.trafficShare;
  console.log(
    `bandit by segment, 2,000 lists a segment: popular's share in bargain ${share('bargain', 'popular')}, item-knn's in loyal ${share('loyal', 'item-knn')}`,
  );
  assert.ok(share('bargain', 'popular') > 0.9, `bargain converges to popular: ${share('bargain', 'popular')}`);
  assert.ok(share('loyal', 'item-knn') > 0.9, `loyal converges to item-knn: ${share('loyal', 'item-knn')}`);
  // Each segment's arms count only its own lists; the totals are their sums.
  for (const s of view.segments)
    assert.equal(
      s.arms.reduce((n, a) => n + a.pulls, 0),
      2000,
    );
  view.arms.forEach((a, i) => {
    assert.equal(
      a.pulls,
      view.segments.reduce((n, s) => n + s.arms[i]!.pulls, 0),
    );
    assert.equal(
      a.successes,
      view.segments.reduce((n, s) => n + s.arms[i]!.successes, 0),
    );
  });
  // The floor is kept in every segment.
  for (const s of view.segments) for (const a of s.arms) assert.ok(a.trafficShare >= 0.05 - 1e-12);

  // Deterministic from the log: another book reading the same records holds the same counts and shares.
  const other = wired();
  other.feed(log);
  assert.deepEqual(other.book.bandit('b'), view);
});

test('a bandit without banditBySegment keeps one pool whatever segment the caller passes', () => {
  const { banditBySegment: _b, ...pooled } = spec;
  const { book, feed } = wired();
  feed([rec('p', 'create', { spec: { ...pooled, salt: 'salt-p' } }), rec('p', 'start')]);
  const a = book.assign('u1', () => 0.1, 'bargain')!;
  assert.equal(a.segment, undefined, 'no segment on its lists');
  assert.equal(book.needsSegment(), false);
  const view = book.bandit('p')!;
  assert.equal(view.bySegment, false);
  assert.deepEqual(view.segments, []);
});
