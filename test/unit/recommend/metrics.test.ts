import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsAccumulator, scoreList } from '../../../src/recommend/metrics';

test('metrics on a hand-computed example (k = 3)', () => {
  // hits at ranks 1 and 3; 4 relevant items, so the ideal DCG covers min(4, 3) = 3 hits
  const m = scoreList(['x', 'n', 'y'], new Set(['x', 'y', 'z', 'w']), 3);
  assert.equal(m.precision, 2 / 3);
  assert.equal(m.recall, 2 / 4);
  const dcg = 1 + 1 / Math.log2(4);
  const idcg = 1 + 1 / Math.log2(3) + 1 / Math.log2(4);
  assert.ok(Math.abs(m.ndcg - dcg / idcg) < 1e-12);
  // AP: (1/1 + 2/3) / min(4, 3)
  assert.ok(Math.abs(m.map - (1 + 2 / 3) / 3) < 1e-12);
});

test('one relevant item found at rank 2: NDCG and MAP normalise by min(|relevant|, k)', () => {
  const m = scoreList(['n', 'x', 'm'], new Set(['x']), 3);
  assert.ok(Math.abs(m.ndcg - 1 / Math.log2(3)) < 1e-12);
  assert.equal(m.map, 1 / 2);
  assert.equal(m.recall, 1);
});

test('means over users and catalogue coverage', () => {
  const acc = new MetricsAccumulator(2);
  acc.add(['a', 'b'], new Set(['a']));
  acc.add(['a', 'c'], new Set(['z']));
  const r = acc.result(6);
  assert.equal(r.precision, 0.25);
  assert.equal(r.ndcg, 0.5);
  assert.equal(r.coverage, 0.5); // a, b, c of 6 train items
});
