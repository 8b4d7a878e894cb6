import { hash } from 'node:crypto';

/**
 * Deterministic, stateless, sticky assignment of units (a user id, or a session id for anonymous traffic) to the
 * variants of an experiment.
 *
 * bucket(salt, unit) = first 48 bits of SHA-256(len(salt) ":" salt unit) mod 10,000
 *
 * The salt is length-prefixed so that no (salt, unit) pair hashes the same input as another pair ("ab" + "c" vs
 * "a" + "bc"). 48 bits mod 10,000 has a modulo bias below 10,000 / 2^48 ~ 4e-11, so every bucket is equally likely.
 * Nothing is stored: every gateway instance computes the same bucket for the same unit, and a unit keeps its bucket
 * for the life of the experiment (sticky). A different salt per experiment makes experiments independent: the
 * bucket of a unit in one experiment says nothing about its bucket in another (the hash is a pseudo-random function
 * of the whole input).
 *
 * Buckets to variants (the layout GrowthBook's SDKs use, `getBucketRanges`): the variants' shares w_i (summing to
 * 1) split [0, 10,000) into consecutive slots starting at S_i = 10,000 * (w_1 + ... + w_{i-1}); with a traffic
 * fraction f, variant i takes the first f * w_i * 10,000 buckets of its slot: [S_i, S_i + f * w_i * 10,000). A unit
 * in no range is not in the experiment and gets the default (null). Raising f only adds buckets at the end of each
 * range, so a unit that was in variant i stays in variant i when traffic is ramped up (and nobody moves between
 * variants); lowering f only removes units.
 */

export const BUCKETS = 10_000;

export interface VariantShare {
  /** The variant's name (e.g. "control", "treatment"). Names must be unique within an experiment. */
  readonly name: string;
  /** Share of the experiment's traffic, > 0; the shares of one experiment sum to 1. */
  readonly share: number;
}

export interface AssignmentConfig {
  /** Per-experiment salt; a new random salt per experiment keeps experiments independent of each other. */
  readonly salt: string;
  /** Fraction of all units that enter the experiment, in [0, 1]. */
  readonly traffic: number;
  readonly variants: readonly VariantShare[];
}

export interface Assignment {
  readonly variant: string;
  /** Index of the variant in `config.variants`. */
  readonly index: number;
  readonly bucket: number;
}

const SHARE_SUM_TOLERANCE = 1e-9;

/** Throws a RangeError unless the configuration is usable (shares > 0 summing to 1, traffic in [0, 1], unique names). */
export function validateAssignmentConfig(config: AssignmentConfig): void {
  if (!(config.traffic >= 0 && config.traffic <= 1)) throw new RangeError(`traffic must be in [0, 1], got ${config.traffic}`);
  if (config.variants.length < 1) throw new RangeError('an experiment needs at least one variant');
  const names = new Set<string>();
  let sum = 0;
  for (const v of config.variants) {
    if (!(v.share > 0 && Number.isFinite(v.share))) throw new RangeError(`variant ${v.name}: share must be > 0, got ${v.share}`);
    if (names.has(v.name)) throw new RangeError(`duplicate variant name ${v.name}`);
    names.add(v.name);
    sum += v.share;
  }
  if (Math.abs(sum - 1) > SHARE_SUM_TOLERANCE) throw new RangeError(`variant shares must sum to 1, got ${sum}`);
}

/** The unit's bucket in [0, BUCKETS) for this salt. */
export function bucketOf(salt: string, unitId: string): number {
  // crypto.hash: the one-shot form (about 3 us here, half of createHash().update().digest()).
  return hash('sha256', `${salt.length}:${salt}${unitId}`, 'buffer').readUIntBE(0, 6) % BUCKETS;
}

/**
 * The bucket ranges [start, end) of each variant, in the order of `config.variants` (see the module comment).
 * Boundaries are rounded to whole buckets.
 */
export function bucketRanges(config: AssignmentConfig): Array<readonly [number, number]> {
  validateAssignmentConfig(config);
  const ranges: Array<readonly [number, number]> = [];
  let cumulative = 0;
  for (const v of config.variants) {
    const start = Math.round(cumulative * BUCKETS);
    const end = Math.round((cumulative + config.traffic * v.share) * BUCKETS);
    ranges.push([start, Math.min(end, BUCKETS)]);
    cumulative += v.share;
  }
  return ranges;
}

/** A reusable assigner: validates the configuration and computes the ranges once. */
export function createAssigner(config: AssignmentConfig): (unitId: string) => Assignment | null {
  const ranges = bucketRanges(config);
  const salt = config.salt;
  const names = config.variants.map((v) => v.name);
  return (unitId: string) => {
    const bucket = bucketOf(salt, unitId);
    for (let i = 0; i < ranges.length; i++) {
      const [start, end] = ranges[i]!;
      if (bucket >= start && bucket < end) return { variant: names[i]!, index: i, bucket };
    }
    return null;
  };
}

/** One-off assignment; use `createAssigner` on a hot path. Null: the unit is not in the experiment (default). */
export function assign(config: AssignmentConfig, unitId: string): Assignment | null {
  return createAssigner(config)(unitId);
}

/**
 * The expected fraction of the experiment's units in each variant, as the bucket ranges actually realise it
 * (the configured shares up to the rounding to whole buckets). This, not the raw configured share, is what the
 * sample-ratio-mismatch check compares observed counts against.
 */
export function expectedShares(config: AssignmentConfig): number[] {
  const ranges = bucketRanges(config);
  const widths = ranges.map(([s, e]) => e - s);
  const total = widths.reduce((a, b) => a + b, 0);
  if (total === 0) return config.variants.map((v) => v.share);
  return widths.map((w) => w / total);
}
