import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseK, createRng, kmeans, nearestCentroid, silhouette } from '../../../src/segments/index.js';
import { blobs } from '../../../src/segments/synthetic.js';

const CENTRES = [
  [0, 0, 0],
  [10, 0, 0],
  [0, 10, 0],
  [0, 0, 10],
];

/** Every true blob maps to exactly one cluster and blobs map to distinct clusters. */
function purity(labels: Int32Array, truth: Int32Array, k: number): { pure: boolean; mapping: number[] } {
  const mapping = new Array<number>(k).fill(-1);
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    if (mapping[t] === -1) mapping[t] = labels[i]!;
    else if (mapping[t] !== labels[i]) return { pure: false, mapping };
  }
  return { pure: new Set(mapping).size === k, mapping };
}

describe('kmeans', () => {
  it('recovers well-separated blobs and their centres', () => {
    const { data, truth, d } = blobs(CENTRES, 200, 0.7, 1);
    const res = kmeans(data, d, { k: 4, seed: 3 });
    const { pure, mapping } = purity(res.labels, truth, 4);
    assert.ok(pure, 'each blob is one cluster');
    for (let b = 0; b < 4; b++) {
      const c = mapping[b]!;
      for (let j = 0; j < d; j++) assert.ok(Math.abs(res.centroids[c * d + j]! - CENTRES[b]![j]!) < 0.2);
    }
    assert.deepEqual(Array.from(res.sizes).sort(), [200, 200, 200, 200]);
  });

  it('is deterministic for a seed', () => {
    const rng = createRng(9);
    const data = Float64Array.from({ length: 3000 * 3 }, () => rng()); // no cluster structure: seeding matters
    const a = kmeans(data, 3, { k: 5, seed: 11, restarts: 3 });
    const b = kmeans(data, 3, { k: 5, seed: 11, restarts: 3 });
    assert.deepEqual(Array.from(a.labels), Array.from(b.labels));
    assert.deepEqual(Array.from(a.centroids), Array.from(b.centroids));
    assert.equal(a.inertia, b.inertia);
  });

  it('more restarts never give a worse inertia', () => {
    const rng = createRng(5);
    const data = Float64Array.from({ length: 2000 * 2 }, () => rng());
    const one = kmeans(data, 2, { k: 7, seed: 2, restarts: 1 });
    const many = kmeans(data, 2, { k: 7, seed: 2, restarts: 6 });
    assert.ok(many.inertia <= one.inertia + 1e-9);
  });

  it('labels are the nearest centroid of every point', () => {
    const { data, d } = blobs(CENTRES, 100, 3, 4);
    const res = kmeans(data, d, { k: 4, seed: 1 });
    for (let i = 0; i < res.labels.length; i++) {
      assert.equal(nearestCentroid(res.centroids, 4, d, data.subarray(i * d, i * d + d)), res.labels[i]);
    }
  });

  it('fits on a sample for large n and still labels every point', () => {
    const { data, truth, d } = blobs(CENTRES, 2500, 0.7, 2);
    const res = kmeans(data, d, { k: 4, seed: 3, sampleSize: 500 });
    assert.equal(res.labels.length, 10_000);
    assert.ok(purity(res.labels, truth, 4).pure);
  });

  it('handles duplicate points (empty clusters) without NaN', () => {
    const data = new Float64Array(100 * 2);
    data[0] = 5;
    data[1] = 5;
    const res = kmeans(data, 2, { k: 3, seed: 1 });
    assert.ok(Array.from(res.centroids).every(Number.isFinite));
    assert.equal(res.labels.length, 100);
  });

  it('rejects k > n', () => {
    assert.throws(() => kmeans(new Float64Array(4), 2, { k: 3 }));
  });
});

describe('silhouette and choice of k', () => {
  it('is close to 1 for tight blobs and close to 0 for arbitrary labels', () => {
    const { data, truth, d } = blobs(CENTRES, 150, 0.3, 7);
    assert.ok(silhouette(data, d, truth, 4) > 0.9);
    const rng = createRng(1);
    const random = Int32Array.from(truth, () => Math.floor(rng() * 4));
    assert.ok(Math.abs(silhouette(data, d, random, 4)) < 0.1);
  });

  it('sampled silhouette is close to the exact one', () => {
    const { data, d } = blobs(CENTRES, 1000, 2.5, 8);
    const res = kmeans(data, d, { k: 4, seed: 1 });
    const exact = silhouette(data, d, res.labels, 4, { sampleSize: Infinity });
    const sampled = silhouette(data, d, res.labels, 4, { sampleSize: 1000, seed: 3 });
    assert.ok(Math.abs(exact - sampled) < 0.05, `${exact} vs ${sampled}`);
  });

  it('chooses the true number of blobs', () => {
    const { data, d } = blobs(CENTRES, 150, 0.8, 3);
    const r = chooseK(data, d, { kRange: [2, 7], seed: 1 });
    assert.equal(r.best.k, 4);
    assert.deepEqual(
      r.scores.map((s) => s.k),
      [2, 3, 4, 5, 6, 7],
    );
    assert.equal(r.silhouette, Math.max(...r.scores.map((s) => s.silhouette)));
  });

  it('chooses k on a sample for large n', () => {
    const { data, d } = blobs(CENTRES.slice(0, 3), 3000, 0.8, 3);
    const r = chooseK(data, d, { kRange: [2, 6], seed: 1, sampleSize: 1000 });
    assert.equal(r.best.k, 3);
    assert.equal(r.best.labels.length, 9000);
  });
});
