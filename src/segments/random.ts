/**
 * Small seeded PRNG (mulberry32) so that every randomised step of the segmentation
 * (sampling, k-means++ seeding, restarts, silhouette sample) is reproducible from one seed.
 */
import { mulberry32 } from '../util/prng';

export type Rng = () => number;

/** Returns a generator of floats in [0, 1) fully determined by `seed` (any finite number). */
export function createRng(seed: number): Rng {
  return mulberry32((Math.floor(seed) ^ 0x9e3779b9) >>> 0);
}

/** Uniform integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** `m` distinct indices from [0, n), in random order (partial Fisher-Yates). m >= n returns a permutation. */
export function sampleIndices(rng: Rng, n: number, m: number): Int32Array {
  const take = Math.min(m, n);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = 0; i < take; i++) {
    const j = i + randInt(rng, n - i);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx.slice(0, take);
}

/** Derives an independent sub-seed (for restarts etc.) from a base seed and a salt. */
export function subSeed(seed: number, salt: number): number {
  let h = (Math.floor(seed) ^ Math.imul(salt + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
