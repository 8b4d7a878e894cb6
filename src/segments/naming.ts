/**
 * Readable, unique segment names from RFM centroids, and stable segment ids across refits
 * (optimal one-to-one matching of new centroids to the previous fit's centroids).
 *
 * Pure and dependency-free.
 */

export interface RfmPoint {
  /** Days since last purchase (lower is better). */
  recency: number;
  /** Orders. */
  frequency: number;
  /** Spend. */
  monetary: number;
}

/**
 * Hungarian algorithm (Kuhn-Munkres with potentials, O(n^2 m)) for a rectangular cost matrix.
 * Returns for every row the assigned column, or -1 when there are more rows than columns and the row is
 * left out. Minimises the total cost.
 */
export function hungarian(cost: readonly (readonly number[])[]): number[] {
  const rows = cost.length;
  if (rows === 0) return [];
  const cols = cost[0]!.length;
  const transpose = rows > cols;
  const n = transpose ? cols : rows; // n <= m
  const m = transpose ? rows : cols;
  const a = (i: number, j: number): number => (transpose ? cost[j]![i]! : cost[i]![j]!);
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j] = row (1-based) matched to column j
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(Number.POSITIVE_INFINITY);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = Number.POSITIVE_INFINITY;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = a(i0 - 1, j - 1) - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!]! += delta;
          v[j]! -= delta;
        } else {
          minv[j]! -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const out = new Array<number>(rows).fill(-1);
  for (let j = 1; j <= m; j++) {
    if (p[j] === 0) continue;
    const i = p[j]! - 1;
    if (transpose) out[j - 1] = i;
    else out[i] = j - 1;
  }
  return out;
}

/**
 * Name prototypes in relative-score space: r = how recent (1 = most recent segment), f = how frequent,
 * m = how much spend (1 = highest), each min-max scaled across the segments of one fit on log1p values.
 */
export const NAME_PROTOTYPES: readonly { name: string; r: number; f: number; m: number }[] = [
  { name: 'Champions', r: 1, f: 1, m: 1 },
  { name: 'Hibernating', r: 0, f: 0, m: 0 },
  { name: 'Loyal', r: 0.65, f: 0.75, m: 0.75 },
  { name: 'New', r: 1, f: 0, m: 0 },
  { name: 'At risk', r: 0.2, f: 0.6, m: 0.6 },
  { name: 'Promising', r: 0.75, f: 0.3, m: 0.3 },
  { name: 'Need attention', r: 0.45, f: 0.45, m: 0.45 },
  { name: "Can't lose them", r: 0, f: 1, m: 1 },
  { name: 'Potential loyalists', r: 0.9, f: 0.55, m: 0.55 },
  { name: 'About to sleep', r: 0.35, f: 0.15, m: 0.15 },
  { name: 'Big spenders', r: 0.5, f: 0.3, m: 1 },
];

const NAME_WEIGHTS = { r: 1, f: 1, m: 0.5 };

/** Relative (min-max over segments, log1p) scores; 0.5 on a dimension where all segments are equal. */
export function relativeScores(points: readonly RfmPoint[]): { r: number; f: number; m: number }[] {
  const logs = points.map((p) => ({
    r: Math.log1p(Math.max(0, p.recency)),
    f: Math.log1p(Math.max(0, p.frequency)),
    m: Math.log1p(Math.max(0, p.monetary)),
  }));
  const scale = (key: 'r' | 'f' | 'm', invert: boolean) => {
    const vals = logs.map((l) => l[key]);
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    return vals.map((v) => {
      if (!(hi - lo > 1e-12)) return 0.5;
      const s = (v - lo) / (hi - lo);
      return invert ? 1 - s : s;
    });
  };
  const r = scale('r', true);
  const f = scale('f', false);
  const m = scale('m', false);
  return points.map((_, i) => ({ r: r[i]!, f: f[i]!, m: m[i]! }));
}

/**
 * One unique name per segment, decided by relative recency / frequency / monetary: the optimal one-to-one
 * assignment of segments to name prototypes (weighted squared distance in relative-score space). More
 * segments than prototypes get "Segment N" names.
 */
export function nameSegments(points: readonly RfmPoint[]): string[] {
  const k = points.length;
  if (k === 0) return [];
  if (k === 1) return ['All customers'];
  const scores = relativeScores(points);
  const cost = scores.map((s) =>
    NAME_PROTOTYPES.map((p) => NAME_WEIGHTS.r * (s.r - p.r) ** 2 + NAME_WEIGHTS.f * (s.f - p.f) ** 2 + NAME_WEIGHTS.m * (s.m - p.m) ** 2),
  );
  const match = hungarian(cost);
  const names = match.map((j) => (j >= 0 ? NAME_PROTOTYPES[j]!.name : ''));
  let extra = 1;
  const used = new Set(names);
  for (let i = 0; i < k; i++) {
    if (names[i] !== '') continue;
    while (used.has(`Segment ${extra}`)) extra++;
    names[i] = `Segment ${extra}`;
    used.add(names[i]!);
  }
  return names;
}

export interface IdMatch {
  ids: string[];
  nextId: number;
  /** For every new centroid, the previous index it took its id from, or -1 for a fresh id. */
  matchedFrom: number[];
}

export function formatSegmentId(n: number): string {
  return `seg-${n}`;
}

/**
 * Stable ids: optimal one-to-one matching (Hungarian, squared Euclidean) of new centroids to previous
 * centroids, both given in the same space. Matched new centroids inherit the previous id; unmatched ones
 * (more segments than before, or farther than `maxDistance`) get fresh ids starting at `nextId`.
 */
export function matchSegmentIds(
  previous: readonly (readonly number[])[],
  previousIds: readonly string[],
  current: readonly (readonly number[])[],
  nextId: number,
  maxDistance = Number.POSITIVE_INFINITY,
): IdMatch {
  const ids = new Array<string>(current.length).fill('');
  const matchedFrom = new Array<number>(current.length).fill(-1);
  if (previous.length > 0 && current.length > 0) {
    const cost = current.map((c) => previous.map((p) => c.reduce((s, v, j) => s + (v - (p[j] ?? 0)) ** 2, 0)));
    const match = hungarian(cost);
    for (let i = 0; i < current.length; i++) {
      const j = match[i]!;
      if (j >= 0 && Math.sqrt(cost[i]![j]!) <= maxDistance) {
        ids[i] = previousIds[j]!;
        matchedFrom[i] = j;
      }
    }
  }
  let next = nextId;
  const used = new Set(ids.filter((x) => x !== ''));
  for (const id of previousIds) used.add(id);
  for (let i = 0; i < current.length; i++) {
    if (ids[i] !== '') continue;
    while (used.has(formatSegmentId(next))) next++;
    ids[i] = formatSegmentId(next);
    used.add(ids[i]!);
    next++;
  }
  return { ids, nextId: next, matchedFrom };
}
