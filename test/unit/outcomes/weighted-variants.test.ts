import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaVersionOf, type ExperimentSpec, type ImpressionEvent } from '../../../src/events/event';
import { sameBlend, validateEvent } from '../../../src/events/validate';
import type { VariantBlend } from '../../../src/outcomes/experiments';
import { experimentRecord, wiredBook } from './wired-book';

/**
 * Variants that carry blend weights (issue 13): the record says them (version 2), every gateway's book replays
 * them into the same blends and the same assignment, a record without them replays as before, and shipping one
 * hands its weights to the default.
 */
const T0 = Date.UTC(2026, 0, 1);
const KNN_HEAVY = [
  { strategy: 'local-ease', weight: 0.2 },
  { strategy: 'item-knn', weight: 1 },
];
const EASE_HEAVY = [
  { strategy: 'local-ease', weight: 1 },
  { strategy: 'item-knn', weight: 0.2 },
];
const weighted: ExperimentSpec = {
  name: 'two weightings',
  salt: 'salt-w',
  traffic: 1,
  variants: [
    { name: 'knn-heavy', share: 0.5, strategy: 'blend', blend: KNN_HEAVY },
    { name: 'ease-heavy', share: 0.5, strategy: 'blend', blend: EASE_HEAVY },
  ],
  control: 'knn-heavy',
  primaryMetric: 'CTR',
  guardrailMetrics: [],
  minimumDetectableEffect: 0.05,
};
const plain: ExperimentSpec = {
  ...weighted,
  name: 'strategies',
  salt: 'salt-p',
  variants: [
    { name: 'control', share: 0.5, strategy: 'popular' },
    { name: 'treatment', share: 0.5, strategy: 'blend' },
  ],
  control: 'control',
};
const rec = experimentRecord;

function reasonOf(record: unknown): string {
  const r = validateEvent(record);
  assert.equal(r.ok, false, `refused: ${JSON.stringify(record).slice(0, 200)}`);
  return r.ok ? '' : r.reason;
}

test('a record with blend weights is version 2, and its rules hold on every gateway that reads it', () => {
  assert.equal(schemaVersionOf({ spec: weighted }), 2);
  assert.equal(schemaVersionOf({ spec: plain }), 1, 'records without weights keep version 1: older gateways read them');
  assert.equal(schemaVersionOf({}), 1);
  assert.equal(validateEvent(rec('x', 'create', { spec: weighted })).ok, true);
  const variant = (blend: { strategy: string; weight: number }[], strategy = 'blend') => ({
    spec: { ...weighted, variants: [weighted.variants[0], { ...weighted.variants[1], strategy, blend }] },
  });
  const cases: [unknown, RegExp][] = [
    [{ ...rec('x', 'create', { spec: weighted }), v: 1 }, /^v: must be at least 2 when a variant carries blend weights/],
    [rec('x', 'create', variant([{ strategy: 'item-knn', weight: 0 }])), /variants\.1\.blend\.0\.weight: must be above 0/],
    [rec('x', 'create', variant([{ strategy: 'item-knn', weight: -1 }])), /variants\.1\.blend\.0\.weight: must be above 0/],
    [rec('x', 'create', variant([{ strategy: 'item-knn', weight: Number.NaN }])), /variants\.1\.blend\.0\.weight/],
    [rec('x', 'create', variant([{ strategy: 'item-knn', weight: Number.POSITIVE_INFINITY }])), /variants\.1\.blend\.0\.weight/],
    [
      rec(
        'x',
        'create',
        variant([
          { strategy: 'item-knn', weight: 1 },
          { strategy: 'item-knn', weight: 2 },
        ]),
      ),
      /variants\.1\.blend\.1\.strategy: appears twice in one blend/,
    ],
    [rec('x', 'create', variant(EASE_HEAVY, 'popular')), /variants\.1\.blend: goes with strategy "blend" only, not "popular"/],
    [rec('x', 'create', variant([])), /variants\.1\.blend: must hold at least 1 part/],
    [rec('x', 'create', variant(Array.from({ length: 11 }, (_, i) => ({ strategy: `p${i}`, weight: 1 })))), /variants\.1\.blend: must hold at most 10 parts/],
  ];
  for (const [record, reason] of cases) assert.match(reasonOf(record), reason);
});

test('a BANDIT may have two blend arms with different weights, not two with the same weights in proportion', () => {
  const bandit = { ...weighted, type: 'BANDIT' as const, explorationFloor: 0.1 };
  assert.equal(validateEvent(rec('b', 'create', { spec: bandit })).ok, true);
  const doubled = EASE_HEAVY.map((p) => ({ ...p, weight: p.weight * 2 }));
  assert.match(
    reasonOf(rec('b', 'create', { spec: { ...bandit, variants: [bandit.variants[1]!, { ...bandit.variants[0]!, blend: doubled }] } })),
    /variants\.1\.blend: has the weights of variants\.0 \(in proportion\): the same arm twice in a BANDIT/,
  );
  // Both on the default blend: the same arm, refused as before.
  const defaults = bandit.variants.map(({ blend: _blend, ...v }) => v);
  assert.match(reasonOf(rec('b', 'create', { spec: { ...bandit, variants: defaults } })), /variants\.1\.strategy: appears twice in a BANDIT/);
  // A weighted blend next to the default blend: different arms (the default is each gateway's configuration).
  assert.equal(validateEvent(rec('b', 'create', { spec: { ...bandit, variants: [defaults[0]!, bandit.variants[1]!] } })).ok, true);
  assert.equal(sameBlend(EASE_HEAVY, [...doubled].reverse()), true, 'order does not matter');
  assert.equal(sameBlend(EASE_HEAVY, KNN_HEAVY), false);
  assert.equal(sameBlend(EASE_HEAVY, [EASE_HEAVY[0]!]), false);
  assert.equal(sameBlend(undefined, undefined), true);
  assert.equal(sameBlend(undefined, EASE_HEAVY), false);
});

test('replay: a record without weights serves as before; one with weights builds its blends at start, drops them at stop, the same on every replay', () => {
  const records = [
    rec('p', 'create', { spec: plain }),
    rec('p', 'start'),
    rec('p', 'stop'),
    rec('w', 'create', { spec: weighted }),
    rec('w', 'start'),
    rec('w', 'stop'),
  ];
  const replay = (upTo: number) => {
    const fired: (readonly VariantBlend[])[] = [];
    const { book, feed } = wiredBook({ onVariantBlends: (b) => fired.push(b) });
    feed(records.slice(0, upTo));
    return { book, fired };
  };
  // The old experiment: no weighted variant, no blend key, strategies as they were.
  const old = replay(2);
  assert.deepEqual(old.fired, [[]]);
  for (let u = 0; u < 50; u++) {
    const a = old.book.assign(`u${u}`)!;
    assert.equal(a.blendKey, undefined);
    assert.equal(a.strategy, a.variant === 'control' ? 'popular' : 'blend');
  }
  const running = replay(5);
  const blends = running.fired.at(-1)!;
  assert.deepEqual(
    blends.map((b) => b.weights),
    [
      { 'local-ease': 0.2, 'item-knn': 1 },
      { 'local-ease': 1, 'item-knn': 0.2 },
    ],
  );
  assert.deepEqual(
    blends.map((b) => Object.keys(b.weights)),
    [
      ['local-ease', 'item-knn'],
      ['local-ease', 'item-knn'],
    ],
    "the record's part order",
  );
  assert.notEqual(blends[0]!.key, blends[1]!.key);
  const seen = new Set<string>();
  for (let u = 0; u < 50; u++) {
    const a = running.book.assign(`u${u}`)!;
    assert.equal(a.strategy, 'blend');
    assert.equal(a.blendKey, blends[weighted.variants.findIndex((v) => v.name === a.variant)]!.key, "the key of the user's variant's blend");
    seen.add(a.variant);
  }
  assert.equal(seen.size, 2);
  assert.deepEqual(replay(5).book.assign('u7'), running.book.assign('u7'), 'another gateway replaying the same records assigns alike');
  const stopped = replay(6);
  assert.deepEqual(stopped.fired.at(-1), [], 'the blends go when the experiment stops');
  assert.equal(stopped.book.assign('u1'), null);
});

test('shipping a weighted variant hands its weights to the default; shipping a stopped one leaves the running experiment alone', () => {
  const shipped: [string, string, Readonly<Record<string, number>> | undefined][] = [];
  const fired: (readonly VariantBlend[])[] = [];
  const { book, feed } = wiredBook({ onShipped: (s, id, blend) => shipped.push([s, id, blend]), onVariantBlends: (b) => fired.push(b) });
  feed([rec('w', 'create', { spec: weighted }), rec('w', 'start'), rec('w', 'stop'), rec('p', 'create', { spec: plain }), rec('p', 'start')]);
  const before = fired.length;
  feed([rec('w', 'ship', { variant: 'ease-heavy' })]);
  assert.deepEqual(shipped, [['blend', 'w', { 'local-ease': 1, 'item-knn': 0.2 }]]);
  assert.deepEqual(book.shippedDefault(), { experimentId: 'w', strategy: 'blend', blend: { 'local-ease': 1, 'item-knn': 0.2 } });
  assert.equal(fired.length, before, 'w was not running: the running experiment keeps its blends');
  feed([rec('p', 'ship', { variant: 'treatment' })]);
  assert.deepEqual(shipped[1], ['blend', 'p', undefined], 'a variant without weights ships its strategy only');
  assert.deepEqual(book.shippedDefault(), { experimentId: 'p', strategy: 'blend' });
  assert.deepEqual(fired.at(-1), [], 'shipping the running experiment ends it');
});

test('BANDIT and INTERLEAVE over two weightings: arms and teams are told apart by variant, each with its own blend', () => {
  const fired: (readonly VariantBlend[])[] = [];
  const { book, feed } = wiredBook({ onVariantBlends: (b) => fired.push(b) });
  const bandit = { ...weighted, type: 'BANDIT' as const, explorationFloor: 0.1 };
  feed([rec('b', 'create', { spec: bandit }), rec('b', 'start')]);
  const keys = new Map(fired.at(-1)!.map((b, i) => [bandit.variants[i]!.name, b.key]));
  let u = 0;
  const shown = (variant: string): ImpressionEvent => ({
    kind: 'impression',
    v: 1,
    id: `bl-${++u}`,
    userId: `bu${u}`,
    surface: 'recommendations',
    strategy: 'blend',
    experimentId: 'b',
    variant,
    items: [{ itemId: 'i1', position: 1, propensity: 0.5 }],
    timestamp: T0 + 1000 + u,
  });
  feed([shown('knn-heavy'), shown('knn-heavy'), shown('ease-heavy')]);
  assert.deepEqual(
    book.bandit('b')!.arms.map((a) => [a.variant, a.strategy, a.pulls]),
    [
      ['knn-heavy', 'blend', 2],
      ['ease-heavy', 'blend', 1],
    ],
    'one arm per variant, though both serve the strategy blend',
  );
  // Draws of each arm carry that arm's blend.
  for (const r of [0.01, 0.99]) {
    const a = book.assign('anyone', () => r)!;
    assert.equal(a.blendKey, keys.get(a.variant));
  }
  feed([rec('b', 'stop'), rec('i', 'create', { spec: { ...weighted, type: 'INTERLEAVE', salt: 'salt-i' } }), rec('i', 'start')]);
  const teams = book.assign('u1')!.teams!;
  assert.deepEqual(
    teams.map((t) => [t.name, t.strategy]),
    [
      ['knn-heavy', 'blend'],
      ['ease-heavy', 'blend'],
    ],
  );
  assert.deepEqual(
    teams.map((t) => t.blendKey),
    fired.at(-1)!.map((b) => b.key),
  );
});
