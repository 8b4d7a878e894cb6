import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topK, topKInto, topKPositive } from '../../../src/recommend/linalg';
import { rng } from '../../../src/recommend/synthetic';
import { heapCostOf } from './helpers';

/** The ranking topK promises, by a full sort: larger key first, equal keys by lower index. */
function reference(cand: Int32Array, m: number, key: Float64Array, k: number): number[] {
  return Array.from(cand.subarray(0, m))
    .sort((a, b) => (key[b]! > key[a]! ? 1 : key[b]! < key[a]! ? -1 : a - b))
    .slice(0, Math.max(0, k));
}

test('topK ranks like a full sort: larger key first, ties by lower index, for k below, at and above m', () => {
  const r = rng(3);
  for (let round = 0; round < 200; round++) {
    const items = 1 + Math.floor(r() * 300);
    // few distinct keys, so ties are common; some negative, some zero
    const key = Float64Array.from({ length: items }, () => Math.floor(r() * 12) - 3);
    const m = Math.floor(r() * items);
    const cand = Int32Array.from({ length: items }, (_, i) => i);
    for (let i = items - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [cand[i], cand[j]] = [cand[j]!, cand[i]!];
    }
    for (const k of [0, 1, 7, m, m + 5]) {
      const want = reference(cand, m, key, k);
      assert.deepEqual(Array.from(topK(cand, m, key, k)), want, `items ${items} m ${m} k ${k}`);
      assert.deepEqual(
        Array.from(topKPositive(cand, m, key, k)),
        want.filter((j) => key[j]! > 0),
      );
    }
  }
});

test('topKInto writes the same ranking into the buffer and returns its length; a short buffer is refused', () => {
  const key = Float64Array.from([0.5, 2, 2, -1, 9, 0.5]);
  const cand = Int32Array.from([5, 4, 3, 2, 1, 0]);
  const buf = new Int32Array(8).fill(-7);
  assert.equal(topKInto(cand, 6, key, 4, buf), 4);
  assert.deepEqual(Array.from(buf.subarray(0, 4)), [4, 1, 2, 0]);
  assert.throws(() => topKInto(cand, 6, key, 4, new Int32Array(3)), RangeError);
});

test('topKInto allocates nothing: 20,000 rankings of 2,000 candidates without heap growth or garbage collection', async () => {
  const r = rng(5);
  const key = Float64Array.from({ length: 2000 }, () => Math.round(r() * 1000) / 1000);
  const cand = Int32Array.from({ length: 2000 }, (_, i) => i);
  const buf = new Int32Array(400);
  for (let t = 0; t < 2000; t++) topKInto(cand, 2000, key, 340, buf); // warm-up: optimised code
  let sum = 0;
  const cost = await heapCostOf(() => {
    for (let t = 0; t < 20_000; t++) sum += topKInto(cand, 2000, key, 340, buf);
  });
  assert.equal(sum, 20_000 * 340);
  // a comparator sort allocated about 45 KB per ranking of 340 (900 MB here); one small view each would be 1.4 MB
  assert.ok(cost.heapGrowth < 256 * 1024, `heap grew ${cost.heapGrowth} bytes`);
  assert.equal(cost.gcs, 0, 'no garbage collection during the rankings');
});
