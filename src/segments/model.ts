/**
 * Customer segmentation model: features -> stored scaler -> k-means (fixed k or chosen by silhouette) ->
 * named segments with stable ids, per-segment profile (RFM centroid, average order value, top categories
 * and items) and membership. Plain data, serialisable to JSON (`serializeModel`) and structured-cloneable
 * (it only holds plain objects, arrays and one Map), so it can be fitted in a worker thread.
 *
 * Pure and dependency-free.
 */
import {
  DEFAULT_FEATURES,
  computeProfile,
  fitScalerFromMatrix,
  scaleFeatures,
  standardiseInPlace,
  transformMatrix,
  type CustomerActivity,
  type CustomerFeatures,
  type CustomerProfile,
  type FeatureName,
  type Scaler,
} from './features.js';
import { chooseK, kmeans, nearestCentroid, silhouette, silhouetteSample, type KMeansResult, type KScore } from './kmeans.js';
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
}

function median(values: Float64Array): number {
  if (values.length === 0) return 0;
  const s = values.slice().sort();
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
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
  const order = opts.sortByUserId === false ? null : canonicalOrder(input);
  const profiles = order ? order.map((i) => input[i]!) : input;
  const n = profiles.length;
  const seed = opts.seed ?? 42;
  const features = [...(opts.features ?? DEFAULT_FEATURES)];
  if (features.length === 0) throw new Error('fitSegments: no features');
  const rows = profiles.map((p) => p.features);
  const data = transformMatrix(rows, features);
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

  const segments = describeClusters(profiles, res, scaler, opts.topN ?? 5);

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
    const m = matchSegmentIds(prevVecs, prev.segments.map((s) => s.id), curVecs, prev.nextId, opts.maxMatchDistance);
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
  if (opts.memberMap !== false) for (let i = 0; i < n; i++) members.set(profiles[i]!.features.userId, ids[res.labels[i]!]!);

  const sorted = [...segments].sort((a, b) => idNumber(a.id) - idNumber(b.id) || (a.id < b.id ? -1 : 1));
  const position = new Map(sorted.map((s, i) => [s.id, i] as const));
  const clusterToSorted = ids.map((id) => position.get(id)!);
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
  return { model, labels };
}

/** Indexes of the users sorted by id (so the fit does not depend on input order); null when already sorted. */
function canonicalOrder(input: readonly CustomerProfile[]): number[] | null {
  const n = input.length;
  const keys = new Array<string>(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    keys[i] = input[i]!.features.userId;
    if (i > 0 && keys[i - 1]! > keys[i]!) sorted = false;
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

function describeClusters(profiles: readonly CustomerProfile[], res: KMeansResult, scaler: Scaler, topN: number): Segment[] {
  const { k, d } = res;
  const n = profiles.length;
  const sizes = res.sizes;
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
  // Item / category aggregates per segment in flat typed arrays over one global index (no per-segment objects).
  const itemIndex = new Map<string, number>();
  const catIndex = new Map<string, number>();
  let itemCust: Float64Array = new Float64Array(1024 * k);
  let itemQty: Float64Array = new Float64Array(1024 * k);
  let itemRev: Float64Array = new Float64Array(1024 * k);
  let catCust: Float64Array = new Float64Array(64 * k);
  let catRev: Float64Array = new Float64Array(64 * k);
  const grow = (a: Float64Array, need: number): Float64Array => {
    if (need <= a.length) return a;
    const b = new Float64Array(Math.max(need, a.length * 2));
    b.set(a);
    return b;
  };
  for (let i = 0; i < n; i++) {
    const c = res.labels[i]!;
    const p = profiles[i]!;
    const f = p.features;
    const at = fill[c]!++;
    rec[c]![at] = f.recency;
    freq[c]![at] = f.frequency;
    mon[c]![at] = f.monetary;
    totalSpend[c]! += f.monetary;
    totalOrders[c]! += f.frequency;
    p.items.forEach((s, itemId) => {
      let t = itemIndex.get(itemId);
      if (t === undefined) {
        t = itemIndex.size;
        itemIndex.set(itemId, t);
        const need = (t + 1) * k;
        itemCust = grow(itemCust, need);
        itemQty = grow(itemQty, need);
        itemRev = grow(itemRev, need);
      }
      const o = t * k + c;
      itemCust[o]!++;
      itemQty[o]! += s.quantity;
      itemRev[o]! += s.revenue;
    });
    p.categories.forEach((revenue, category) => {
      let t = catIndex.get(category);
      if (t === undefined) {
        t = catIndex.size;
        catIndex.set(category, t);
        catCust = grow(catCust, (t + 1) * k);
        catRev = grow(catRev, (t + 1) * k);
      }
      const o = t * k + c;
      catCust[o]!++;
      catRev[o]! += revenue;
    });
  }
  const itemIds = [...itemIndex.keys()];
  const catIds = [...catIndex.keys()];
  const topIndices = (count: number, cust: Float64Array, rev: Float64Array, c: number): number[] => {
    // Partial selection of the topN by (customers, revenue): fine for topN << number of items.
    const best: number[] = [];
    for (let t = 0; t < count; t++) {
      const o = t * k + c;
      if (cust[o] === 0) continue;
      if (best.length === topN) {
        const w = best[topN - 1]! * k + c;
        if (cust[o]! < cust[w]! || (cust[o] === cust[w] && rev[o]! <= rev[w]!)) continue;
        best.pop();
      }
      let pos = best.length;
      while (pos > 0) {
        const w = best[pos - 1]! * k + c;
        if (cust[o]! > cust[w]! || (cust[o] === cust[w] && rev[o]! > rev[w]!)) pos--;
        else break;
      }
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
      topItems: topN > 0
        ? topIndices(itemIds.length, itemCust, itemRev, c).map((t) => ({
            itemId: itemIds[t]!,
            customers: itemCust[t * k + c]!,
            quantity: itemQty[t * k + c]!,
            revenue: itemRev[t * k + c]!,
          }))
        : [],
      topCategories: topN > 0
        ? topIndices(catIds.length, catCust, catRev, c).map((t) => ({
            category: catIds[t]!,
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

