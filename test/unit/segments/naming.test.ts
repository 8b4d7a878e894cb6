import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng, hungarian, matchSegmentIds, nameSegments, type RfmPoint } from '../../../src/segments/index.js';

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (const p of permutations(n - 1)) for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), n - 1, ...p.slice(i)]);
  return out;
}

function bruteForce(cost: number[][]): number {
  const rows = cost.length;
  const cols = cost[0]!.length;
  let best = Infinity;
  for (const p of permutations(cols)) {
    let s = 0;
    for (let i = 0; i < Math.min(rows, cols); i++) s += rows <= cols ? cost[i]![p[i]!]! : 0;
    if (rows <= cols) best = Math.min(best, s);
  }
  if (rows > cols) {
    for (const p of permutations(rows)) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += cost[p[j]!]![j]!;
      best = Math.min(best, s);
    }
  }
  return best;
}

describe('hungarian', () => {
  it('finds the optimal assignment (square and rectangular, vs brute force)', () => {
    const rng = createRng(4);
    for (const [r, c] of [
      [5, 5],
      [3, 6],
      [6, 4],
      [1, 3],
    ] as const) {
      for (let t = 0; t < 20; t++) {
        const cost = Array.from({ length: r }, () => Array.from({ length: c }, () => Math.round(rng() * 100)));
        const a = hungarian(cost);
        const used = a.filter((j) => j >= 0);
        assert.equal(new Set(used).size, used.length, 'one-to-one');
        assert.equal(used.length, Math.min(r, c));
        const total = a.reduce((s, j, i) => s + (j >= 0 ? cost[i]![j]! : 0), 0);
        assert.equal(total, bruteForce(cost));
      }
    }
  });
});

describe('nameSegments', () => {
  it('gives unique names for any k and falls back to "Segment N" beyond the prototypes', () => {
    const rng = createRng(1);
    for (let k = 2; k <= 14; k++) {
      const pts: RfmPoint[] = Array.from({ length: k }, () => ({ recency: rng() * 300, frequency: 1 + rng() * 20, monetary: rng() * 5000 }));
      const names = nameSegments(pts);
      assert.equal(names.length, k);
      assert.equal(new Set(names).size, k, names.join(','));
    }
  });

  it('names by relative recency / frequency / monetary', () => {
    const names = nameSegments([
      { recency: 200, frequency: 1, monetary: 100 }, // old, rare, small
      { recency: 5, frequency: 20, monetary: 8000 }, // recent, frequent, big
      { recency: 3, frequency: 1, monetary: 90 }, // recent first purchase
      { recency: 150, frequency: 12, monetary: 5000 }, // used to be valuable, gone quiet (nearly as long as the worst)
    ]);
    assert.deepEqual(names, ['Hibernating', 'Champions', 'New', "Can't lose them"]);
    // Gone quiet for a shorter time: at risk rather than can't-lose.
    const later = nameSegments([
      { recency: 200, frequency: 1, monetary: 100 },
      { recency: 5, frequency: 20, monetary: 8000 },
      { recency: 3, frequency: 1, monetary: 90 },
      { recency: 60, frequency: 8, monetary: 3000 },
    ]);
    assert.equal(later[3], 'At risk');
  });

  it('k = 2 gives Champions and Hibernating', () => {
    assert.deepEqual(
      nameSegments([
        { recency: 90, frequency: 1, monetary: 200 },
        { recency: 10, frequency: 6, monetary: 2000 },
      ]),
      ['Hibernating', 'Champions'],
    );
  });
});

describe('matchSegmentIds', () => {
  const prev = [
    [0, 0],
    [5, 5],
    [-5, 5],
  ];
  const ids = ['seg-1', 'seg-2', 'seg-3'];

  it('keeps ids when centroids are permuted and slightly moved', () => {
    const cur = [
      [-5.2, 4.9],
      [0.1, -0.1],
      [5.3, 5.1],
    ];
    const m = matchSegmentIds(prev, ids, cur, 4);
    assert.deepEqual(m.ids, ['seg-3', 'seg-1', 'seg-2']);
    assert.equal(m.nextId, 4);
  });

  it('gives fresh ids to extra segments and to centroids beyond maxDistance', () => {
    const cur = [
      [0, 0],
      [5, 5],
      [-5, 5],
      [20, 20],
    ];
    assert.deepEqual(matchSegmentIds(prev, ids, cur, 4).ids, ['seg-1', 'seg-2', 'seg-3', 'seg-4']);
    const far = matchSegmentIds(
      prev,
      ids,
      [
        [0, 0],
        [50, 50],
      ],
      4,
      3,
    );
    assert.deepEqual(far.ids, ['seg-1', 'seg-4']);
    assert.equal(far.nextId, 5);
  });

  it('never reuses a retired id', () => {
    const m = matchSegmentIds(prev, ids, [[0, 0]], 4);
    assert.deepEqual(m.ids, ['seg-1']);
    const again = matchSegmentIds(
      [[0, 0]],
      ['seg-1'],
      [
        [0, 0],
        [9, 9],
      ],
      m.nextId,
    );
    assert.deepEqual(again.ids, ['seg-1', 'seg-4']);
  });
});
