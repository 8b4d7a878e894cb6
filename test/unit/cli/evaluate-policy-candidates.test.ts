import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candidatesFrom } from '../../../src/cli/evaluate-policy-command';
import type { ExperimentSpec } from '../../../src/events/event';

/** evaluate-policy's candidates when two arms serve one strategy with different blend weights: named by variant. */
const spec = (variants: ExperimentSpec['variants']): { id: string; spec: ExperimentSpec; createdAt: number } => ({
  id: 'b',
  createdAt: 0,
  spec: {
    name: 'bandit',
    type: 'BANDIT',
    explorationFloor: 0.1,
    salt: 's',
    traffic: 1,
    variants,
    control: variants[0]!.name,
    primaryMetric: 'CTR',
    guardrailMetrics: [],
    minimumDetectableEffect: 0.1,
  },
});
const weightings = spec([
  { name: 'knn-heavy', share: 1 / 3, strategy: 'blend', blend: [{ strategy: 'item-knn', weight: 1 }] },
  { name: 'ease-heavy', share: 1 / 3, strategy: 'blend', blend: [{ strategy: 'local-ease', weight: 1 }] },
  { name: 'baseline', share: 1 / 3, strategy: 'popular' },
]);

test('each arm is a candidate of its own; arms sharing a strategy are named by their variant', () => {
  assert.deepEqual(candidatesFrom({}, weightings), [
    { name: 'knn-heavy', arms: { 'knn-heavy': 1 } },
    { name: 'ease-heavy', arms: { 'ease-heavy': 1 } },
    { name: 'popular', arms: { baseline: 1 } },
  ]);
  assert.deepEqual(candidatesFrom({ strategy: 'ease-heavy,popular' }, weightings), [
    { name: 'ease-heavy', arms: { 'ease-heavy': 1 } },
    { name: 'popular', arms: { baseline: 1 } },
  ]);
  assert.deepEqual(candidatesFrom({ policy: 'knn-heavy=0.5,ease-heavy=0.5' }, weightings), [
    { name: 'knn-heavy=0.5,ease-heavy=0.5', arms: { 'knn-heavy': 0.5, 'ease-heavy': 0.5 } },
  ]);
  assert.throws(() => candidatesFrom({ strategy: 'blend' }, weightings), /"blend" is served by arms knn-heavy, ease-heavy of experiment b: name the arm/);
});

test('arms of distinct strategies keep their strategy names, as before', () => {
  const plain = spec([
    { name: 'a', share: 0.5, strategy: 'popular' },
    { name: 'b', share: 0.5, strategy: 'item-knn' },
  ]);
  assert.deepEqual(
    candidatesFrom({}, plain).map((c) => c.name),
    ['popular', 'item-knn'],
  );
  assert.deepEqual(candidatesFrom({ strategy: 'b' }, plain), [{ name: 'item-knn', arms: { b: 1 } }]);
  assert.throws(() => candidatesFrom({ strategy: 'blend' }, plain), /"blend" is not an arm of experiment b \(popular, item-knn\)/);
});
