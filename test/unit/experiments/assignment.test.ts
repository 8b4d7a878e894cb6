import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assign, bucketOf, bucketRanges, createAssigner, expectedShares, BUCKETS, type AssignmentConfig } from '../../../src/experiments/assignment';
import { chiSquareUpperTail } from '../../../src/experiments/distributions';
import { sampleRatioMismatch } from '../../../src/experiments/srm';

const UNITS = Array.from({ length: 100_000 }, (_, i) => `user-${i}`);

test('bucket: SHA-256 of the length-prefixed salt and the unit id, as any other implementation computes it', () => {
  // Golden values from Python: int.from_bytes(hashlib.sha256((f"{len(salt)}:{salt}" + unit).encode()).digest()[:6], 'big') % 10000
  assert.equal(bucketOf('exp-salt', 'user-1'), 8427);
  assert.equal(bucketOf('homepage-reco-2026-12', 'session:abc'), 1561);
  assert.equal(bucketOf('', 'x'), 1440);
  // The length prefix keeps ("ab", "c") and ("a", "bc") apart.
  const pairs = Array.from({ length: 50 }, (_, i) => [bucketOf(`ab${i}`, 'c'), bucketOf(`ab${i}`.slice(0, -1), `${i}`.slice(-1) + 'c')]);
  assert.ok(pairs.some(([a, b]) => a !== b));
});

test('buckets are uniform over 0..9999 (chi-square over 100 equal groups of buckets)', () => {
  const counts = new Array<number>(100).fill(0);
  for (const u of UNITS.slice(0, 50_000)) {
    const b = bucketOf('uniformity', u);
    assert.ok(Number.isInteger(b) && b >= 0 && b < BUCKETS);
    counts[Math.floor(b / 100)]!++;
  }
  const r = sampleRatioMismatch(counts, new Array<number>(100).fill(1));
  assert.ok(r.pValue > 0.001, `bucket groups look non-uniform: p = ${r.pValue}`);
});

test('variant shares are met within tolerance; units outside the traffic get null', () => {
  const config: AssignmentConfig = {
    salt: 'shares',
    traffic: 0.4,
    variants: [
      { name: 'control', share: 0.5 },
      { name: 'blend', share: 0.25 },
      { name: 'popular', share: 0.25 },
    ],
  };
  const assignOf = createAssigner(config);
  const counts = new Map<string | null, number>();
  for (const u of UNITS) {
    const a = assignOf(u);
    counts.set(a?.variant ?? null, (counts.get(a?.variant ?? null) ?? 0) + 1);
  }
  const n = UNITS.length;
  // binomial sd of a share at n = 100,000 is at most 0.0016; 0.01 is > 6 sd
  assert.ok(Math.abs((counts.get(null) ?? 0) / n - 0.6) < 0.01, `outside: ${counts.get(null)}`);
  assert.ok(Math.abs((counts.get('control') ?? 0) / n - 0.2) < 0.01);
  assert.ok(Math.abs((counts.get('blend') ?? 0) / n - 0.1) < 0.01);
  assert.ok(Math.abs((counts.get('popular') ?? 0) / n - 0.1) < 0.01);
  // and the SRM check on them, against the expected shares, raises no alarm
  const observed = ['control', 'blend', 'popular'].map((v) => counts.get(v) ?? 0);
  assert.equal(sampleRatioMismatch(observed, expectedShares(config)).mismatch, false);
});

test('sticky: the same unit gets the same variant on every call and from every freshly built assigner (instance)', () => {
  const config: AssignmentConfig = {
    salt: 'sticky',
    traffic: 1,
    variants: [
      { name: 'a', share: 0.5 },
      { name: 'b', share: 0.5 },
    ],
  };
  const first = createAssigner(config);
  const second = createAssigner({ ...config, variants: config.variants.map((v) => ({ ...v })) });
  for (const u of UNITS.slice(0, 5000)) {
    const a = first(u);
    assert.deepEqual(first(u), a);
    assert.deepEqual(second(u), a);
    assert.deepEqual(assign(config, u), a);
  }
});

test('ramping traffic up keeps every included unit in its variant; ramping down only removes units', () => {
  const base = {
    salt: 'ramp',
    variants: [
      { name: 'control', share: 0.5 },
      { name: 'treatment', share: 0.5 },
    ],
  };
  const at = (traffic: number) => createAssigner({ ...base, traffic });
  const low = at(0.1);
  const high = at(0.6);
  let included = 0;
  for (const u of UNITS.slice(0, 20_000)) {
    const before = low(u);
    const after = high(u);
    if (before) {
      included++;
      assert.equal(after?.variant, before.variant);
    }
  }
  assert.ok(included > 1500 && included < 2500, `included at 10 %: ${included}`);
  assert.equal(at(0)('anyone'), null);
});

test('independence: assignments under two salts are not associated (chi-square test of independence)', () => {
  const cfg = (salt: string): AssignmentConfig => ({
    salt,
    traffic: 1,
    variants: [
      { name: 'a', share: 0.5 },
      { name: 'b', share: 0.5 },
    ],
  });
  const one = createAssigner(cfg('experiment-one'));
  const two = createAssigner(cfg('experiment-two'));
  const table = [
    [0, 0],
    [0, 0],
  ];
  const units = UNITS.slice(0, 40_000);
  for (const u of units) table[one(u)!.index]![two(u)!.index]!++;
  const n = units.length;
  const rows = table.map((r) => r[0]! + r[1]!);
  const cols = [table[0]![0]! + table[1]![0]!, table[0]![1]! + table[1]![1]!];
  let x2 = 0;
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      const e = (rows[i]! * cols[j]!) / n;
      x2 += (table[i]![j]! - e) ** 2 / e;
    }
  }
  const p = chiSquareUpperTail(x2, 1);
  assert.ok(p > 0.001, `assignments of two experiments look dependent: chi2 ${x2}, p ${p}`);
  // and the share that lands in the same arm twice is one half
  assert.ok(Math.abs((table[0]![0]! + table[1]![1]!) / n - 0.5) < 0.01);
});

test('bucket ranges follow the shares; expected shares are what the ranges realise', () => {
  const config: AssignmentConfig = {
    salt: 's',
    traffic: 0.5,
    variants: [
      { name: 'a', share: 0.2 },
      { name: 'b', share: 0.8 },
    ],
  };
  assert.deepEqual(bucketRanges(config), [
    [0, 1000],
    [2000, 6000],
  ]);
  assert.deepEqual(expectedShares(config), [0.2, 0.8]);
  const thirds: AssignmentConfig = {
    salt: 's',
    traffic: 1,
    variants: [
      { name: 'a', share: 1 / 3 },
      { name: 'b', share: 1 / 3 },
      { name: 'c', share: 1 / 3 },
    ],
  };
  assert.deepEqual(bucketRanges(thirds), [
    [0, 3333],
    [3333, 6667],
    [6667, 10000],
  ]);
});

test('invalid configurations are refused', () => {
  const v = [
    { name: 'a', share: 0.5 },
    { name: 'b', share: 0.5 },
  ];
  assert.throws(() => createAssigner({ salt: 's', traffic: 1.2, variants: v }), RangeError);
  assert.throws(
    () =>
      createAssigner({
        salt: 's',
        traffic: 1,
        variants: [
          { name: 'a', share: 0.5 },
          { name: 'b', share: 0.4 },
        ],
      }),
    RangeError,
  );
  assert.throws(
    () =>
      createAssigner({
        salt: 's',
        traffic: 1,
        variants: [
          { name: 'a', share: 0.5 },
          { name: 'a', share: 0.5 },
        ],
      }),
    RangeError,
  );
  assert.throws(
    () =>
      createAssigner({
        salt: 's',
        traffic: 1,
        variants: [
          { name: 'a', share: 1 },
          { name: 'b', share: 0 },
        ],
      }),
    RangeError,
  );
  assert.throws(() => createAssigner({ salt: 's', traffic: 1, variants: [] }), RangeError);
});
