import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExperimentEvent, ExperimentSpec, FlywheelEvent, ImpressionEvent, InteractionEvent } from '../../../src/events/event';
import { validateEvent } from '../../../src/events/validate';
import { assign } from '../../../src/experiments/assignment';
import { coMomentsOf } from '../../../src/experiments/moments';
import { analyzeExperiment, groupSequentialBoundaries } from '../../../src/experiments/statistics';
import { wiredBook } from './wired-book';

const T0 = Date.UTC(2026, 0, 1);
const spec: ExperimentSpec = {
  name: 'popular vs blend',
  salt: 'salt-1',
  traffic: 1,
  variants: [
    { name: 'control', share: 0.5, strategy: 'blend' },
    { name: 'treatment', share: 0.5, strategy: 'popular' },
  ],
  control: 'control',
  primaryMetric: 'CLICKS_PER_USER',
  guardrailMetrics: ['REVENUE_PER_USER'],
  minimumDetectableEffect: 0.1,
};
let seq = 0;
const rec = (experimentId: string, action: ExperimentEvent['action'], extra: Partial<ExperimentEvent> = {}): ExperimentEvent => ({
  kind: 'experiment',
  v: 1,
  id: `r${++seq}`,
  experimentId,
  action,
  timestamp: T0 + seq,
  ...extra,
});

function wired(shipped: string[] = []) {
  return wiredBook({ onShipped: (s) => shipped.push(s) });
}

test('experiment records validate like every record: shares sum to 1, control among the variants, spec with create only', () => {
  assert.equal(validateEvent(rec('x', 'create', { spec })).ok, true);
  const bad: [unknown, RegExp][] = [
    [rec('x', 'create', { spec: { ...spec, variants: [{ ...spec.variants[0]!, share: 0.7 }, spec.variants[1]!] } }), /shares must sum to 1/],
    [rec('x', 'create', { spec: { ...spec, control: 'nobody' } }), /control: must name one of the variants/],
    [rec('x', 'create'), /spec: goes with create/],
    [rec('x', 'ship'), /variant: goes with ship/],
    [rec('x', 'create', { spec: { ...spec, variants: [spec.variants[0]!] } }), /at least 2 variants/],
  ];
  for (const [input, reason] of bad) {
    const r = validateEvent(input);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.reason, reason);
  }
});

test('lifecycle in log order: one running at a time, refused records skipped alike everywhere, ship sets the default', () => {
  const shipped: string[] = [];
  const { book, feed } = wired(shipped);
  feed([rec('a', 'create', { spec }), rec('b', 'create', { spec: { ...spec, salt: 'salt-2' } }), rec('a', 'start')]);
  assert.equal(book.running()?.id, 'a');
  assert.match(book.refusal({ experimentId: 'b', action: 'start' })!, /experiment a is running/);
  // A racing gateway's start of b lands after a's: skipped.
  feed([rec('b', 'start')]);
  assert.equal(book.get('b')!.status, 'DRAFT');
  assert.match(book.refusal({ experimentId: 'a', action: 'ship', variant: 'nope' })!, /no variant nope/);
  feed([rec('a', 'stop'), rec('a', 'ship', { variant: 'treatment' })]);
  assert.equal(book.get('a')!.status, 'SHIPPED');
  assert.equal(book.get('a')!.shippedVariant, 'treatment');
  assert.deepEqual(shipped, ['popular']);
  assert.equal(book.running(), undefined);
  assert.equal(book.assign('anyone'), null, 'nobody is assigned once nothing runs');
});

test('assignment is the salted hash of src/experiments/assignment.ts: deterministic, sticky, shares respected', () => {
  const { book, feed } = wired();
  feed([rec('a', 'create', { spec: { ...spec, traffic: 0.5 } }), rec('a', 'start')]);
  let inside = 0;
  for (let u = 0; u < 2000; u++) {
    const got = book.assign(`u${u}`);
    const expected = assign({ salt: 'salt-1', traffic: 0.5, variants: spec.variants }, `u${u}`);
    assert.equal(got?.variant ?? null, expected?.variant ?? null);
    if (got) {
      inside++;
      assert.equal(got.strategy, got.variant === 'control' ? 'blend' : 'popular');
      assert.deepEqual(book.assign(`u${u}`), got, 'sticky');
    }
  }
  assert.ok(inside > 900 && inside < 1100, `about half enter at traffic 0.5: ${inside}`);
});

test('results: per-user data from exposures and attributed outcomes, fed to analyzeExperiment (CUPED on pre-exposure behaviour)', () => {
  const { book, feed } = wired();
  feed([rec('a', 'create', { spec }), rec('a', 'start')]);
  const ys: number[][] = [[], []];
  const xs: number[][] = [[], []];
  const events: FlywheelEvent[] = [];
  // users in the order the book sums them (by id), so the reference below adds the same terms in the same order
  const byId = Array.from({ length: 60 }, (_, u) => u).sort((a, b) => (`u${a}` < `u${b}` ? -1 : 1));
  for (const u of byId) {
    const user = `u${u}`;
    const variant = book.assign(user)!;
    const vi = variant.variant === 'control' ? 0 : 1;
    // Pre-exposure clicks (unattributed: no list), then the exposure, then clicks on the list.
    const pre = u % 3;
    for (let k = 0; k < pre; k++) events.push(click(user, `p${k}`, T0 + 1000 + k));
    const shown: ImpressionEvent = {
      kind: 'impression',
      v: 1,
      id: `s-${user}`,
      userId: user,
      surface: 'recommendations',
      strategy: variant.strategy,
      experimentId: 'a',
      variant: variant.variant,
      items: [
        { itemId: 'i1', position: 1, propensity: 1 },
        { itemId: 'i2', position: 2, propensity: 1 },
      ],
      timestamp: T0 + 10_000,
    };
    events.push(shown);
    const clicks = (u * 7) % 3 === 0 ? 2 : (u + vi) % 2;
    for (let k = 0; k < clicks; k++) events.push(click(user, `i${k + 1}`, T0 + 20_000 + k, shown.id));
    // A second list later is not a second exposure.
    events.push({ ...shown, id: `s2-${user}`, timestamp: T0 + 30_000 });
    ys[vi]!.push(clicks);
    xs[vi]!.push(pre);
  }
  feed(events);
  const r = book.results('a')!;
  assert.equal(r.metric, 'CLICKS_PER_USER');
  assert.deepEqual(r.users, [ys[0]!.length, ys[1]!.length]);
  assert.equal(r.cuped, true);
  const reference = analyzeExperiment(
    [
      { name: 'control', metric: coMomentsOf(xs[0]!, ys[0]!) },
      { name: 'treatment', metric: coMomentsOf(xs[1]!, ys[1]!) },
    ],
    { control: 0, shares: [0.5, 0.5], sequential: { tau: 0.1 } },
  );
  assert.deepEqual(r.analysis, reference, 'the same numbers as the statistics engine on the same per-user values');
  assert.ok(r.analysis.variants[1]!.absolute, 'a lift is computed');
  // Revenue guardrail: nothing was bought.
  assert.equal(book.results('a', 'REVENUE_PER_USER')!.analysis.variants[0]!.summary.mean, 0);
});

test('sample ratio: a broken split is flagged, a fair one is not', () => {
  const { book, feed } = wired();
  feed([rec('a', 'create', { spec }), rec('a', 'start')]);
  const exposures = (n: number, variant: string, from: number): ImpressionEvent[] =>
    Array.from({ length: n }, (_, i) => ({
      kind: 'impression',
      v: 1,
      id: `${variant}-${from + i}`,
      userId: `${variant}-user-${from + i}`,
      surface: 'recommendations',
      strategy: 'x',
      experimentId: 'a',
      variant,
      items: [{ itemId: 'i1', position: 1, propensity: 1 }],
      timestamp: T0,
    }));
  feed([...exposures(500, 'control', 0), ...exposures(510, 'treatment', 0)]);
  assert.equal(book.sampleRatios()[0]!.srm.mismatch, false);
  feed(exposures(300, 'treatment', 510));
  const [srm] = book.sampleRatios();
  assert.equal(srm!.srm.mismatch, true);
  assert.deepEqual(srm!.users, [500, 810]);
  book.markSrmAlerted('a');
  assert.deepEqual(book.sampleRatios(), [], 'raised once per experiment');
});

function click(userId: string, itemId: string, at: number, servedId?: string): InteractionEvent {
  return { kind: 'interaction', v: 1, id: `c-${userId}-${itemId}-${at}`, type: 'CLICK', userId, itemId, timestamp: at, ...(servedId ? { servedId } : {}) };
}

const HOUR = 3_600_000;

/**
 * An A/B test `id` started at 00:30 with `s`, then 30 users an hour for five hours, each shown one list;
 * `clicks(variant, u)` says who clicks it. Stopped at 05:10 when `stop`.
 */
function hourlyUsers(id: string, s: ExperimentSpec, clicks: (variant: string, u: number) => boolean, stop = false) {
  const { book, feed } = wired();
  feed([rec(id, 'create', { spec: s }), { ...rec(id, 'start'), timestamp: T0 + 30 * 60_000 }]);
  for (let h = 0; h < 5; h++)
    for (let u = 0; u < 30; u++) {
      const user = `${id}${h}-u${u}`;
      const a = book.assign(user)!;
      const at = T0 + 30 * 60_000 + h * HOUR + u * 60_000;
      const shown: ImpressionEvent = {
        kind: 'impression',
        v: 1,
        id: `s${id}-${user}`,
        userId: user,
        surface: 'recommendations',
        strategy: a.strategy,
        experimentId: id,
        variant: a.variant,
        items: [{ itemId: 'i1', position: 1, propensity: 1 }],
        timestamp: at,
      };
      feed([shown, ...(clicks(a.variant, u) ? [click(user, 'i1', at + 1000, shown.id)] : [])]);
    }
  if (stop) feed([{ ...rec(id, 'stop'), timestamp: T0 + 5 * HOUR + 10 * 60_000 }]);
  return book;
}

test('looks: the results at every hour boundary of record time while an A/B test runs, the same on every replay', () => {
  // a third of the users click
  const run = () => hourlyUsers('h', spec, (_v, u) => u % 3 === 0);
  const book = run();
  const looks = book.looks('h');
  // Records run from 00:30 to 04:59: the boundaries 01:00 ... 04:00 were passed, each looked at once.
  assert.deepEqual(
    looks.map((l) => (l.at - T0) / HOUR),
    [1, 2, 3, 4],
  );
  assert.ok(looks.every((l) => l.treatments.length === 1 && l.treatments[0]!.name === 'treatment'));
  // Each look saw the users exposed before its boundary: 30, 60, ... in all.
  assert.deepEqual(
    looks.map((l) => l.users.reduce((a, b) => a + b, 0)),
    [30, 60, 90, 120],
  );
  const last = looks.at(-1)!.treatments[0]!;
  assert.ok(last.pValue !== null && last.sequentialPValue !== null);
  assert.deepEqual(run().looks('h'), looks, 'rebuilt from the same records, the same history');
  assert.deepEqual(book.looks('no-such'), []);
});

test('group-sequential: with a spending function every look folds the test, the stop is its final analysis; without one there is none', () => {
  const run = (s: ExperimentSpec, clicks: (variant: string, u: number) => boolean, stop: boolean) => hourlyUsers('g', s, clicks, stop);
  const planned: ExperimentSpec = { ...spec, spending: 'OBRIEN_FLEMING' };
  const aa = run(planned, (_v, u) => u % 3 === 0, false);
  // Each hourly look's information fraction is 1 / SE^2 of that look's lift over the plan's (mde 0.1 at 80 % power),
  // and its boundary the design's at the fractions seen so far.
  assert.equal(aa.looks('g').length, 4);
  // A look taken now (`look`, as the simulator's analyst does) sees what results see now.
  assert.equal(aa.look('g', T0 + 5 * HOUR + 60_000), true);
  const looks = aa.looks('g');
  assert.equal(looks.length, 5);
  const fractions = looks.map((l) => l.treatments[0]!.groupSequentialInformationFraction!);
  const plan = ((1.959963985 + 0.841621234) / 0.1) ** 2;
  assert.ok(Math.abs(fractions[4]! - 1 / aa.results('g')!.analysis.variants[1]!.absolute!.standardError ** 2 / plan) < 1e-6, 'the last look is now');
  assert.ok(
    fractions.every((f, i) => f > 0 && f < 1 && (i === 0 || f > fractions[i - 1]!)),
    `fractions ${fractions}`,
  );
  const design = groupSequentialBoundaries(fractions);
  looks.forEach((l, i) => assert.ok(Math.abs(l.treatments[0]!.groupSequentialBoundary! - design[i]!) < 1e-9, `look ${i + 1}`));
  const running = aa.results('g')!.groupSequential![1]!;
  assert.equal(running.looks, 5);
  assert.equal(running.informationFraction, fractions[4]);
  assert.equal(running.complete, false);
  assert.equal(aa.results('g')!.groupSequential![0], null, 'control has no test of its own');
  assert.equal(aa.results('g', 'REVENUE_PER_USER')!.groupSequential, null, 'the plan is for the primary metric');
  // Stopping is the final analysis: it spends what is left of alpha, and the test is complete.
  const stopped = run(planned, (_v, u) => u % 3 === 0, true).results('g')!.groupSequential![1]!;
  assert.equal(stopped.complete, true);
  assert.ok(Math.abs(stopped.alphaSpent - 0.05) < 1e-12);
  assert.ok(stopped.boundary! < 1.97, `final boundary ${stopped.boundary}`);
  // A large effect (two thirds of treatment's users click, a third of control's) is rejected, at the latest by the
  // final analysis at the stop; no look before the rejection shows it, and every one after does.
  const ab = run(planned, (v, u) => (v === 'treatment' ? u % 3 !== 0 : u % 3 === 0), true);
  const verdict = ab.results('g')!.groupSequential![1]!;
  assert.equal(verdict.rejected, true);
  const marks = ab.looks('g').map((l) => l.treatments[0]!.groupSequentialRejected);
  const at = verdict.rejectedAtLook!;
  assert.ok(at >= 1 && at <= marks.length + 1, `rejected at look ${at}`);
  assert.ok(
    marks.every((m, i) => m === i + 1 >= at),
    `looks ${marks}, rejected at ${at}`,
  );
  // Without a spending function: no test, and the looks carry no boundary.
  const none = run(spec, (_v, u) => u % 3 === 0, true);
  assert.equal(none.results('g')!.groupSequential, null);
  assert.ok(none.looks('g').every((l) => !('groupSequentialBoundary' in l.treatments[0]!)));
});

test('a spending function is validated: one of the two, A/B only', () => {
  const create = (s: Record<string, unknown>) => validateEvent({ ...rec('v', 'create'), spec: { ...spec, ...s } });
  assert.equal(create({ spending: 'POCOCK' }).ok, true);
  const errors = (s: Record<string, unknown>) => JSON.stringify(create(s));
  assert.match(errors({ spending: 'LINEAR' }), /spending.*OBRIEN_FLEMING, POCOCK/);
  assert.match(errors({ type: 'INTERLEAVE', spending: 'POCOCK' }), /spending.*AB only/);
});

test('results do not depend on the order the units arrived in: two gateways reading partitions in different interleavings agree to the bit', () => {
  const userEvents = (book: ReturnType<typeof wired>['book'], u: number): FlywheelEvent[] => {
    const user = `w${u}`;
    const variant = book.assign(user)!;
    const shown: ImpressionEvent = {
      kind: 'impression',
      v: 1,
      id: `sw-${user}`,
      userId: user,
      surface: 'recommendations',
      strategy: variant.strategy,
      experimentId: 'o',
      variant: variant.variant,
      items: [1, 2, 3].map((p) => ({ itemId: `i${p}`, position: p, propensity: 1 })),
      timestamp: T0 + 10_000,
    };
    const clicks = (u * 7919) % 4; // 0-3 clicks, uneven across users, so sums in another order round differently
    return [click(user, 'pre', T0 + 1000 + u), shown, ...Array.from({ length: clicks }, (_, k) => click(user, `i${k + 1}`, T0 + 20_000 + k, shown.id))];
  };
  const books = [0, 1].map(() => wired());
  for (const { feed } of books) feed([rec('o', 'create', { spec: { ...spec, primaryMetric: 'CTR' } }), rec('o', 'start')]);
  const users = Array.from({ length: 400 }, (_, u) => u);
  // one user's events stay in order (one partition), the users interleave differently on each gateway
  books[0]!.feed(users.flatMap((u) => userEvents(books[0]!.book, u)));
  books[1]!.feed([...users].reverse().flatMap((u) => userEvents(books[1]!.book, u)));
  for (const metric of ['CTR', 'CLICKS_PER_USER'] as const) {
    const [a, b] = books.map(({ book }) => book.results('o', metric)!);
    assert.ok(a.users[0]! > 100 && a.users[1]! > 100);
    assert.deepEqual(a, b, metric);
  }
});
