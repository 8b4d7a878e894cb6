/**
 * Customer segmentation model: features -> stored scaler -> k-means (fixed k or chosen by silhouette) ->
 * named segments with stable ids, per-segment profile (RFM centroid, average order value, top categories
 * and items) and membership. Plain data, serialisable to JSON (`serializeModel`) and structured-cloneable
 * (it only holds plain objects, arrays and one Map), so it can be fitted in a worker thread.
 *
 * Pure and dependency-free.
 */
import { columnsFromProfiles, permuteColumns, type CustomerColumns } from './columns.js';
import {
  DEFAULT_FEATURES,
  computeProfile,
  fitScalerFromMatrix,
  scaleFeatures,
  standardiseInPlace,
  type CustomerActivity,
  type CustomerFeatures,
  type CustomerProfile,
  type FeatureName,
  type Scaler,
} from './features.js';
import { chooseK, kmeans, nearestCentroid, silhouette, silhouetteSample, type KMeansResult, type KScore } from './kmeans.js';
import { nextPeriodBuyRate, type NextPeriodBuyRate } from './buy-rate.js';
import { matchSegmentIds, nameSegments, type RfmPoint } from './naming.js';

export interface FitSegmentsOptions {
  /** Reference time (epoch ms) for recency/tenure; purchases after it are ignored. */
  asOf: number;
  /** Fixed number of segments. When absent, k is chosen by silhouette over `kRange`. */
  k?: number;
  /** Default [3, 6]. */
  kRange?: [number, number];
  /** Default 42. */
  seed?: number;
  /** k-means++ restarts per k. Default 8. */
  restarts?: number;
  /** Previous fit: segment ids are carried over by matching centroids. */
  previous?: SegmentModel;
  /** Clustering features (default recency, frequency, monetary). */
  features?: readonly FeatureName[];
  /** Silhouette sample size (default 2000; exact when n is at most this). */
  silhouetteSampleSize?: number;
  /** Restarts/seeding on a sample of this many users when n is larger (default 50,000). */
  sampleSize?: number;
  maxIter?: number;
  /** Entries in topItems / topCategories. Default 5. */
  topN?: number;
  /** A new centroid farther than this (standardised units) from every previous one gets a fresh id. */
  maxMatchDistance?: number;
  /**
   * Sort users by id first so the fit does not depend on input order (default true). Callers with an
   * already deterministic order (the graph store's user order) pass false to skip the sort at 1M users.
   */
  sortByUserId?: boolean;
  /** Build the `members` map (default true); a worker returning `labels` instead passes false. */
  memberMap?: boolean;
  /** Length of the next-period buy-rate backtest (buy-rate.ts; default 30 days). */
  buyRateDays?: number;
}

/** A fit plus each input user's segment as an index into `model.segments` (input order). */
export interface LabelledFit {
  model: SegmentModel;
  labels: Int32Array;
}

export interface TopItem {
  itemId: string;
  /** Members who bought it. */
  customers: number;
  quantity: number;
  revenue: number;
}

export interface TopCategory {
  category: string;
  customers: number;
  revenue: number;
}

export interface Segment {
  /** Stable across refits (see `previous`). */
  id: string;
  name: string;
  size: number;
  /** size / customers. */
  share: number;
  /** Member medians in original units: days since last purchase, orders, spend. */
  centroid: RfmPoint;
  /** Back-transformed k-means centroid (expm1 of the mean log value) for the RFM features clustered on. */
  meanCentroid: Partial<Record<FeatureName, number>>;
  /** Total spend / total orders of the members. */
  averageOrderValue: number;
  topCategories: TopCategory[];
  topItems: TopItem[];
  /** Centroid in standardised feature space (what assignment uses). */
  vector: number[];
}

export interface SegmentModel {
  version: 1;
  asOf: number;
  seed: number;
  k: number;
  features: FeatureName[];
  scaler: Scaler;
  /** Sorted by id. */
  segments: Segment[];
  /** Mean silhouette of the fit (on a sample for large n). */
  silhouette: number;
  inertia: number;
  /** Silhouette per k when k was chosen from a range; one entry otherwise. */
  kScores: KScore[];
  /** userId -> segment id. */
  members: Map<string, string>;
  /** Next fresh segment number. */
  nextId: number;
  /** Customers segmented / skipped (no purchase up to asOf). */
  customers: number;
  skipped: number;
  /** Each segment's next-period buy rate, by backtest (buy-rate.ts); absent for fits without order instants. */
  nextPeriod?: NextPeriodBuyRate;
}

/** Median of `values` (reordered in place: quickselect, O(n) instead of a sort per cluster). */
function median(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return 0;
  const h = n >> 1;
  const hi = select(values, h);
  if (n % 2 === 1) return hi;
  // The lower middle is the largest value left of position h after the selection.
  let lo = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < h; i++) if (values[i]! > lo) lo = values[i]!;
  return (lo + hi) / 2;
}

/** The value of rank `kth` (0-based); partitions `a` around it (Hoare/Floyd-Rivest-style quickselect). */
function select(a: Float64Array, kth: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    // median-of-three pivot keeps sorted / constant inputs linear
    const mid = (left + right) >>> 1;
    const x = a[left]!,
      y = a[mid]!,
      z = a[right]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (kth <= j) right = j;
    else if (kth >= i) left = i;
    else return a[kth]!;
  }
  return a[kth]!;
}

/** Fits segments from raw activity (features computed at `asOf`). */
export function fitSegments(activities: Iterable<CustomerActivity>, opts: FitSegmentsOptions): SegmentModel {
  const profiles: CustomerProfile[] = [];
  let skipped = 0;
  for (const a of activities) {
    const p = computeProfile(a, opts.asOf);
    if (p) profiles.push(p);
    else skipped++;
  }
  return fitSegmentsFromProfiles(profiles, opts, skipped);
}

/**
 * Fits segments from per-user profiles (e.g. `CustomerFeatureAccumulator.profile(asOf)` kept by the graph
 * store). Input order does not matter: users are sorted by id before fitting.
 */
export function fitSegmentsFromProfiles(input: readonly CustomerProfile[], opts: FitSegmentsOptions, skipped = 0): SegmentModel {
  return fitSegmentsWithLabels(input, opts, skipped).model;
}

/** `fitSegmentsFromProfiles` that also returns every input user's segment (index into model.segments). */
export function fitSegmentsWithLabels(input: readonly CustomerProfile[], opts: FitSegmentsOptions, skipped = 0): LabelledFit {
  const order = opts.sortByUserId === false ? null : canonicalOrder(input.map((p) => p.features.userId));
  const profiles = order ? order.map((i) => input[i]!) : input;
  const fit = fitSegmentsFromColumns(columnsFromProfiles(profiles), { ...opts, sortByUserId: false }, skipped);
  if (!order) return fit;
  const labels = new Int32Array(fit.labels.length);
  for (let i = 0; i < order.length; i++) labels[order[i]!] = fit.labels[i]!;
  return { model: fit.model, labels };
}

/**
 * The fit itself, on columnar customers (src/segments/columns.ts): what the refit worker and the CLI run.
 * Labels are in the input's customer order.
 */
export function fitSegmentsFromColumns(input: CustomerColumns, opts: FitSegmentsOptions, skipped = 0): LabelledFit {
  const order = opts.sortByUserId === false ? null : canonicalOrder(input.userIds);
  const cols = order ? permuteColumns(input, order) : input;
  const n = cols.n;
  const seed = opts.seed ?? 42;
  const features = [...(opts.features ?? DEFAULT_FEATURES)];
  if (features.length === 0) throw new Error('fitSegments: no features');
  const data = transformColumns(cols, features);
  const scaler = fitScalerFromMatrix(data, features);
  standardiseInPlace(scaler, data);
  const d = features.length;
  const silSize = opts.silhouetteSampleSize ?? 2000;
  const common = { seed, restarts: opts.restarts ?? 8, sampleSize: opts.sampleSize ?? 50_000, maxIter: opts.maxIter ?? 100 };

  let res: KMeansResult;
  let sil: number;
  let kScores: KScore[];
  if (n === 0) throw new Error('fitSegments: no customer with a purchase up to asOf');
  const range = opts.kRange ?? [3, 6];
  // Tiny populations (a fresh deployment): never ask for more segments than customers.
  const fixedK = opts.k !== undefined ? Math.min(Math.max(1, Math.floor(opts.k)), n) : Math.min(Math.max(range[0], range[1]), n) < 2 ? 1 : undefined;
  if (fixedK !== undefined) {
    const k = fixedK;
    res = kmeans(data, d, { ...common, k });
    sil = k >= 2 ? silhouette(data, d, res.labels, k, { indices: silhouetteSample(n, silSize, seed) }) : 0;
    kScores = [{ k, silhouette: sil, inertia: res.inertia }];
  } else {
    const lo = Math.min(Math.min(range[0], range[1]), n);
    const hi = Math.min(Math.max(range[0], range[1]), n);
    const chosen = chooseK(data, d, { ...common, kRange: [lo, hi], silhouetteSampleSize: silSize });
    res = chosen.best;
    sil = chosen.silhouette;
    kScores = chosen.scores;
  }

  const segments = describeClusters(cols, res, scaler, opts.topN ?? 5);

  // Stable ids: compare in the new standardised space.
  let nextId = 1;
  let ids: string[];
  const prev = opts.previous;
  if (prev && prev.segments.length > 0) {
    const sameFeatures = prev.features.length === features.length && prev.features.every((f, j) => f === features[j]);
    let prevVecs: number[][];
    let curVecs: number[][];
    if (sameFeatures) {
      prevVecs = prev.segments.map((s) => s.vector.map((z, j) => (prev.scaler.mean[j]! + z * prev.scaler.std[j]! - scaler.mean[j]!) / scaler.std[j]!));
      curVecs = segments.map((s) => s.vector);
    } else {
      const logRfm = (c: RfmPoint) => [Math.log1p(c.recency), Math.log1p(c.frequency), Math.log1p(c.monetary)];
      prevVecs = prev.segments.map((s) => logRfm(s.centroid));
      curVecs = segments.map((s) => logRfm(s.centroid));
    }
    const m = matchSegmentIds(
      prevVecs,
      prev.segments.map((s) => s.id),
      curVecs,
      prev.nextId,
      opts.maxMatchDistance,
    );
    ids = m.ids;
    nextId = m.nextId;
  } else {
    ids = segments.map((_, i) => `seg-${i + 1}`);
    nextId = segments.length + 1;
  }
  const names = nameSegments(segments.map((s) => s.centroid));
  segments.forEach((s, i) => {
    s.id = ids[i]!;
    s.name = names[i]!;
  });

  const members = new Map<string, string>();
  if (opts.memberMap !== false) for (let i = 0; i < n; i++) members.set(cols.userIds[i]!, ids[res.labels[i]!]!);

  const sorted = [...segments].sort((a, b) => idNumber(a.id) - idNumber(b.id) || (a.id < b.id ? -1 : 1));
  const position = new Map(sorted.map((s, i) => [s.id, i] as const));
  const clusterToSorted = Int32Array.from(ids, (id) => position.get(id)!);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[order ? order[i]! : i] = clusterToSorted[res.labels[i]!]!;
  const model: SegmentModel = {
    version: 1,
    asOf: opts.asOf,
    seed,
    k: res.k,
    features,
    scaler,
    segments: sorted,
    silhouette: sil,
    inertia: res.inertia,
    kScores,
    members,
    nextId,
    customers: n,
    skipped,
  };
  const backtest = nextPeriodBuyRate(model, input, opts.asOf, opts.buyRateDays);
  if (backtest) model.nextPeriod = backtest;
  return { model, labels };
}

/** Row-major n x d matrix of transformed (log1p / identity, NaN = unknown) features: as `transformMatrix`. */
function transformColumns(cols: CustomerColumns, features: readonly FeatureName[]): Float64Array {
  const d = features.length;
  const n = cols.n;
  const out = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const name = features[j]!;
    const col = cols.features[name];
    if (name === 'conversion') for (let i = 0; i < n; i++) out[i * d + j] = col[i]!;
    else
      for (let i = 0; i < n; i++) {
        const v = col[i]!;
        out[i * d + j] = Math.log1p(v > 0 ? v : 0);
      }
  }
  return out;
}

/** Indexes of the users sorted by id (so the fit does not depend on input order); null when already sorted. */
function canonicalOrder(keys: readonly string[]): number[] | null {
  const n = keys.length;
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (keys[i - 1]! > keys[i]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return null;
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
  return order;
}

function idNumber(id: string): number {
  const m = /(\d+)$/.exec(id);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

function describeClusters(cols: CustomerColumns, res: KMeansResult, scaler: Scaler, topN: number): Segment[] {
  const { k, d } = res;
  const n = cols.n;
  const sizes = res.sizes;
  const labels = res.labels;
  const rec: Float64Array[] = [];
  const freq: Float64Array[] = [];
  const mon: Float64Array[] = [];
  for (let c = 0; c < k; c++) {
    rec.push(new Float64Array(sizes[c]!));
    freq.push(new Float64Array(sizes[c]!));
    mon.push(new Float64Array(sizes[c]!));
  }
  const fill = new Int32Array(k);
  const totalSpend = new Float64Array(k);
  const totalOrders = new Float64Array(k);
  const fr = cols.features.recency;
  const ff = cols.features.frequency;
  const fm = cols.features.monetary;
  // Item / category aggregates per segment in flat typed arrays over the interned numbers.
  const nItems = cols.itemIds.length;
  const nCats = cols.categoryIds.length;
  const itemCust = new Float64Array(nItems * k);
  const itemQty = new Float64Array(nItems * k);
  const itemRev = new Float64Array(nItems * k);
  const catCust = new Float64Array(nCats * k);
  const catRev = new Float64Array(nCats * k);
  // One customer's revenue per category (a customer counts once per category).
  const catScratch = new Float64Array(nCats);
  const catStamp = new Int32Array(nCats).fill(-1);
  const catTouched = new Int32Array(nCats);
  const { edgeStart, edgeItem, edgeQuantity, edgeRevenue, edgeCategory } = cols;
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    const at = fill[c]!++;
    rec[c]![at] = fr[i]!;
    freq[c]![at] = ff[i]!;
    mon[c]![at] = fm[i]!;
    totalSpend[c]! += fm[i]!;
    totalOrders[c]! += ff[i]!;
    let touched = 0;
    for (let e = edgeStart[i]!; e < edgeStart[i + 1]!; e++) {
      const t = edgeItem[e]!;
      if (t >= 0) {
        const o = t * k + c;
        itemCust[o]!++;
        itemQty[o]! += edgeQuantity[e]!;
        itemRev[o]! += edgeRevenue[e]!;
      }
      const g = edgeCategory[e]!;
      if (g >= 0) {
        if (catStamp[g] !== i) {
          catStamp[g] = i;
          catScratch[g] = 0;
          catTouched[touched++] = g;
        }
        catScratch[g]! += edgeRevenue[e]!;
      }
    }
    for (let q = 0; q < touched; q++) {
      const g = catTouched[q]!;
      const o = g * k + c;
      catCust[o]!++;
      catRev[o]! += catScratch[g]!;
    }
  }
  const topIndices = (count: number, ids: readonly string[], cust: Float64Array, rev: Float64Array, c: number): number[] => {
    // Partial selection of the topN by (customers, revenue, id): fine for topN << number of items.
    const better = (o: number, t: number, w: number, u: number) =>
      cust[o]! > cust[w]! || (cust[o] === cust[w] && (rev[o]! > rev[w]! || (rev[o] === rev[w] && ids[t]! < ids[u]!)));
    const best: number[] = [];
    for (let t = 0; t < count; t++) {
      const o = t * k + c;
      if (cust[o] === 0) continue;
      if (best.length === topN) {
        const u = best[topN - 1]!;
        if (!better(o, t, u * k + c, u)) continue;
        best.pop();
      }
      let pos = best.length;
      while (pos > 0 && better(o, t, best[pos - 1]! * k + c, best[pos - 1]!)) pos--;
      best.splice(pos, 0, t);
    }
    return best;
  };
  const out: Segment[] = [];
  for (let c = 0; c < k; c++) {
    const vector = Array.from(res.centroids.subarray(c * d, c * d + d));
    const meanCentroid: Partial<Record<FeatureName, number>> = {};
    scaler.features.forEach((name, j) => {
      const raw = scaler.mean[j]! + vector[j]! * scaler.std[j]!;
      meanCentroid[name] = name === 'conversion' ? raw : Math.expm1(raw);
    });
    out.push({
      id: '',
      name: '',
      size: sizes[c]!,
      share: n > 0 ? sizes[c]! / n : 0,
      centroid: { recency: median(rec[c]!), frequency: median(freq[c]!), monetary: median(mon[c]!) },
      meanCentroid,
      averageOrderValue: totalOrders[c]! > 0 ? totalSpend[c]! / totalOrders[c]! : 0,
      topItems:
        topN > 0
          ? topIndices(nItems, cols.itemIds, itemCust, itemRev, c).map((t) => ({
              itemId: cols.itemIds[t]!,
              customers: itemCust[t * k + c]!,
              quantity: itemQty[t * k + c]!,
              revenue: itemRev[t * k + c]!,
            }))
          : [],
      topCategories:
        topN > 0
          ? topIndices(nCats, cols.categoryIds, catCust, catRev, c).map((t) => ({
              category: cols.categoryIds[t]!,
              customers: catCust[t * k + c]!,
              revenue: catRev[t * k + c]!,
            }))
          : [],
      vector,
    });
  }
  return out;
}

export interface SegmentAssignment {
  segmentId: string;
  name: string;
  /** Euclidean distance to the segment centroid in standardised units. */
  distance: number;
  features: CustomerFeatures;
}

/** Segment of a feature vector (standardised with the model's stored scaler). */
export function assignFeatures(model: SegmentModel, features: CustomerFeatures): SegmentAssignment {
  const d = model.scaler.features.length;
  const x = scaleFeatures(model.scaler, features);
  const k = model.segments.length;
  const cents = new Float64Array(k * d);
  model.segments.forEach((s, c) => cents.set(s.vector, c * d));
  const c = nearestCentroid(cents, k, d, x);
  const seg = model.segments[c]!;
  let s2 = 0;
  for (let j = 0; j < d; j++) s2 += (x[j]! - seg.vector[j]!) ** 2;
  return { segmentId: seg.id, name: seg.name, distance: Math.sqrt(s2), features };
}

/**
 * Segment of a new or changed user between refits, without changing the model (the caller updates
 * `members` if it wants). Features are computed at `asOf` (default: the model's asOf, so the user is
 * placed on the same footing as the fitted users). Null when the user has no purchase up to `asOf`.
 */
export function assignUser(model: SegmentModel, activity: CustomerActivity, asOf = model.asOf): SegmentAssignment | null {
  const p = computeProfile(activity, asOf);
  return p ? assignFeatures(model, p.features) : null;
}

/** JSON-safe form of a model: members as parallel arrays (user ids, index into `segments`). */
export interface SerializedSegmentModel extends Omit<SegmentModel, 'members'> {
  memberIds: string[];
  memberSegments: number[];
}

export function serializeModel(model: SegmentModel): SerializedSegmentModel {
  const index = new Map(model.segments.map((s, i) => [s.id, i] as const));
  const memberIds: string[] = [];
  const memberSegments: number[] = [];
  for (const [u, s] of model.members) {
    memberIds.push(u);
    memberSegments.push(index.get(s) ?? -1);
  }
  const { members: _members, ...rest } = model;
  return { ...rest, memberIds, memberSegments };
}

export function deserializeModel(json: SerializedSegmentModel): SegmentModel {
  if (json.version !== 1) throw new Error(`segment model: unsupported version ${String(json.version)}`);
  const members = new Map<string, string>();
  for (let i = 0; i < json.memberIds.length; i++) {
    const seg = json.segments[json.memberSegments[i]!];
    if (seg) members.set(json.memberIds[i]!, seg.id);
  }
  const { memberIds: _ids, memberSegments: _segs, ...rest } = json;
  return { ...rest, members };
}
