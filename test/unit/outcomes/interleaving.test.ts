import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExperimentEvent, ExperimentSpec, FlywheelEvent, ImpressionEvent, InteractionEvent } from '../../../src/events/event';
import { validateEvent } from '../../../src/events/validate';
import { preferenceTest } from '../../../src/experiments/interleaving';
import { INTERLEAVED } from '../../../src/outcomes/interleaving';
import { wiredBook } from './wired-book';

const T0 = Date.UTC(2026, 0, 1);
const spec: ExperimentSpec = {
  name: 'popular vs item-knn, interleaved',
  type: 'INTERLEAVE',
  salt: 'salt-i',
  traffic: 1,
  variants: [
    { name: 'control', share: 0.5, strategy: 'popular' },
    { name: 'treatment', share: 0.5, strategy: 'item-knn' },
  ],
  control: 'control',
  primaryMetric: 'CTR',
  guardrailMetrics: [],
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

/** An interleaved list: items with the team that contributed each. */
function interleaved(id: string, userId: string, entries: [string, string][], at: number, experimentId = 'x'): ImpressionEvent {
  return {
    kind: 'impression',
    v: 1,
    id,
    userId,
    surface: 'recommendations',
    strategy: INTERLEAVED,
    experimentId,
    variant: INTERLEAVED,
    items: entries.map(([itemId, team], i) => ({ itemId, position: i + 1, propensity: 0.5, team })),
    timestamp: at,
  };
}
const click = (userId: string, itemId: string, at: number, servedId?: string): InteractionEvent => ({
  kind: 'interaction',
  v: 1,
  id: `c${++seq}`,
  type: 'CLICK',
  userId,
  itemId,
  timestamp: at,
  ...(servedId ? { servedId } : {}),
});

const wired = () => wiredBook();

test('records: type is optional (A/B when absent), INTERLEAVE takes exactly two variants; team on every entry or none, only in an experiment', () => {
  assert.equal(validateEvent(rec('x', 'create', { spec })).ok, true);
  const { type: _omitted, ...ab } = spec;
  assert.equal(validateEvent(rec('x', 'create', { spec: ab })).ok, true, 'a spec written before types existed');
  const three = { ...spec, variants: [...spec.variants.map((v) => ({ ...v, share: 0.25 })), { name: 'third', share: 0.5, strategy: 'blend' }] };
  const r3 = validateEvent(rec('x', 'create', { spec: three }));
  assert.ok(!r3.ok && /exactly 2 variants/.test(r3.reason), JSON.stringify(r3));
  const r4 = validateEvent(rec('x', 'create', { spec: { ...spec, type: 'BOGUS' as never } }));
  assert.ok(!r4.ok && /type: must be one of AB, INTERLEAVE/.test(r4.reason), JSON.stringify(r4));

  const list = interleaved(
    's1',
    'u1',
    [
      ['i1', 'control'],
      ['i2', 'treatment'],
    ],
    T0,
  );
  assert.equal(validateEvent(list).ok, true);
  const partial = { ...list, items: [list.items[0]!, { itemId: 'i2', position: 2, propensity: 1 }] };
  const rp = validateEvent(partial);
  assert.ok(!rp.ok && /on every entry of an interleaved list or on none/.test(rp.reason));
  const { experimentId: _e, variant: _v, ...outside } = list;
  const ro = validateEvent(outside);
  assert.ok(!ro.ok && /only for lists of an experiment/.test(ro.reason));
  // An impression written before teams existed reads as before.
  const old = { ...list, items: list.items.map(({ team: _t, ...entry }) => entry) };
  assert.equal(validateEvent(old).ok, true);
});

test('assignment: everyone in the traffic gets both variants (their strategies as teams); no SRM check on one group', () => {
  const { book, feed } = wired();
  feed([rec('x', 'create', { spec: { ...spec, traffic: 0.5 } }), rec('x', 'start')]);
  let inside = 0;
  for (let u = 0; u < 400; u++) {
    const a = book.assign(`u${u}`);
    if (!a) continue;
    inside++;
    assert.deepEqual(a, {
      experimentId: 'x',
      variant: INTERLEAVED,
      strategy: INTERLEAVED,
      teams: [
        { name: 'control', strategy: 'popular' },
        { name: 'treatment', strategy: 'item-knn' },
      ],
    });
  }
  assert.ok(inside > 150 && inside < 250, `${inside} of 400 in a 50 % traffic`);
  assert.deepEqual(book.sampleRatios(), []);
});

test('credit: a click goes to the team that contributed the item; per user the side with more clicks is preferred', () => {
  const { book, attribution, feed } = wired();
  feed([rec('x', 'create', { spec }), rec('x', 'start')]);
  const events: FlywheelEvent[] = [
    // u1: two clicks on treatment's items, one on control's -> prefers treatment.
    interleaved(
      's1',
      'u1',
      [
        ['a', 'treatment'],
        ['b', 'control'],
        ['c', 'treatment'],
      ],
      T0 + 10,
    ),
    click('u1', 'a', T0 + 11, 's1'),
    click('u1', 'b', T0 + 12, 's1'),
    click('u1', 'c', T0 + 13), // without servedId: the latest list showing c
    // u2: one click on control's item -> prefers control.
    interleaved(
      's2',
      'u2',
      [
        ['b', 'control'],
        ['a', 'treatment'],
      ],
      T0 + 20,
    ),
    click('u2', 'b', T0 + 21, 's2'),
    // u3: shown, no click -> tie; u4: one each -> tie.
    interleaved(
      's3',
      'u3',
      [
        ['a', 'control'],
        ['b', 'treatment'],
      ],
      T0 + 30,
    ),
    interleaved(
      's4',
      'u4',
      [
        ['a', 'control'],
        ['b', 'treatment'],
      ],
      T0 + 40,
    ),
    click('u4', 'a', T0 + 41, 's4'),
    click('u4', 'b', T0 + 42, 's4'),
    // u5: the same item was treatment's in one list and control's in a later one: each click goes to its own list's team.
    interleaved('s5', 'u5', [['z', 'treatment']], T0 + 50),
    interleaved(
      's6',
      'u5',
      [
        ['z', 'control'],
        ['y', 'treatment'],
      ],
      T0 + 51,
    ),
    click('u5', 'z', T0 + 52, 's5'),
    click('u5', 'z', T0 + 53, 's5'),
    click('u5', 'z', T0 + 54, 's6'),
    // A list of the experiment without teams (an older gateway's, say) is no interleaving exposure, and credits nothing.
    { ...interleaved('s7', 'u9', [['a', 'control']], T0 + 60), items: [{ itemId: 'a', position: 1, propensity: 1 }] },
    click('u9', 'a', T0 + 61, 's7'),
  ];
  feed(events);
  const first = events.find((e): e is InteractionEvent => e.kind === 'interaction')!;
  assert.equal(attribution.attributionOf(first)?.team, 'treatment');
  const r = book.interleavingResults('x')!;
  assert.equal(r.users, 5);
  assert.equal(r.impressions, 6);
  assert.deepEqual(r.credited, { control: 4, treatment: 5 });
  assert.deepEqual([r.preference.wins, r.preference.losses, r.preference.ties], [2, 1, 2]);
  assert.deepEqual(r.preference, preferenceTest({ wins: 2, losses: 1, ties: 2 }));
  assert.equal(r.control, 'control');
  assert.equal(r.treatment, 'treatment');
  // The A/B per-variant units stay empty: nobody was split.
  assert.deepEqual(book.results('x')!.users, [0, 0]);
  // Erasure forgets the user's credit.
  book.forgetActors(['u1']);
  assert.deepEqual([book.interleavingResults('x')!.users, book.interleavingResults('x')!.preference.wins], [4, 1]);
});

test('the metric chooses what is credited: purchases for CONVERSION, revenue for REVENUE_PER_USER', () => {
  const { book, feed } = wired();
  feed([rec('x', 'create', { spec }), rec('x', 'start')]);
  feed([
    interleaved(
      's1',
      'u1',
      [
        ['a', 'treatment'],
        ['b', 'control'],
      ],
      T0 + 10,
    ),
    click('u1', 'b', T0 + 11, 's1'),
    { kind: 'interaction', v: 1, id: 'p1', type: 'PURCHASE', userId: 'u1', itemId: 'a', quantity: 2, price: 5, servedId: 's1', timestamp: T0 + 12 },
  ]);
  assert.deepEqual(book.interleavingResults('x')!.credited, { control: 1, treatment: 0 });
  assert.deepEqual(book.interleavingResults('x', 'CONVERSION')!.credited, { control: 0, treatment: 1 });
  assert.deepEqual(book.interleavingResults('x', 'REVENUE_PER_USER')!.credited, { control: 0, treatment: 10 });
  assert.equal(book.interleavingResults('x', 'REVENUE_PER_USER')!.preference.wins, 1);
  // An A/B experiment has no interleaving results.
  feed([rec('y', 'create', { spec: { ...spec, type: 'AB' } })]);
  assert.equal(book.interleavingResults('y'), undefined);
});
