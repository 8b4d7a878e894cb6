/**
 * Per-customer features for segmentation: RFM plus a few behavioural ones, a streaming accumulator
 * the graph store can keep per user, and a stored scaler (log1p + z-score) so that users who were not
 * in the fit can be placed later with exactly the same transformation.
 *
 * Pure and dependency-free.
 */

export const DAY_MS = 86_400_000;

export interface Purchase {
  /** Epoch milliseconds. */
  timestamp: number;
  itemId: string;
  quantity: number;
  unitPrice: number;
  category?: string;
  orderId?: string;
}

export interface CustomerActivity {
  userId: string;
  purchases: Purchase[];
  /** Item views (counts); optional. */
  views?: number;
  /** Add-to-cart events; optional. */
  carts?: number;
}

/** Raw (untransformed) features of one customer at a reference time. */
export interface CustomerFeatures {
  userId: string;
  /** Days since last purchase at `asOf` (>= 0). */
  recency: number;
  /** Distinct orders (orderId), or distinct UTC purchase days for lines without an orderId. */
  frequency: number;
  /** Sum of quantity * unitPrice over purchase lines. */
  monetary: number;
  /** Days since first purchase at `asOf`. */
  tenure: number;
  /** Distinct items bought. */
  breadth: number;
  /** Distinct categories bought (0 when no category is known). */
  categories: number;
  /** Orders per view, capped at 1; null when views are unknown or zero. */
  conversion: number | null;
  /** monetary / frequency. */
  averageOrderValue: number;
}

/** Per-item aggregate of one customer, used for a segment's top items. */
export interface ItemStat {
  quantity: number;
  revenue: number;
}

/**
 * What the segmentation needs of one customer: features plus item / category spend.
 * This is what `CustomerFeatureAccumulator.profile()` yields, so the graph store can keep accumulators
 * and refit without replaying raw events.
 */
export interface CustomerProfile {
  features: CustomerFeatures;
  items: Map<string, ItemStat>;
  /** Revenue per category. */
  categories: Map<string, number>;
}

export type FeatureName = 'recency' | 'frequency' | 'monetary' | 'tenure' | 'breadth' | 'categories' | 'conversion' | 'averageOrderValue';

export const ALL_FEATURES: readonly FeatureName[] = ['recency', 'frequency', 'monetary', 'tenure', 'breadth', 'categories', 'conversion', 'averageOrderValue'];

/**
 * Recommended clustering features: log-scaled, standardised RFM. On the online-retail back-test
 * (see /work/scratch/segments/RESULTS.md) adding tenure, breadth or average order value did not make the
 * segments more predictive of next-month purchase, so they are available but not used by default.
 */
export const DEFAULT_FEATURES: readonly FeatureName[] = ['recency', 'frequency', 'monetary'];

/** Transformation applied before z-scoring: log1p for counts/amounts/durations, identity for shares. */
export function transformFeature(name: FeatureName, f: CustomerFeatures): number {
  switch (name) {
    case 'conversion':
      return f.conversion === null ? Number.NaN : f.conversion;
    default: {
      const v = f[name];
      return Math.log1p(Math.max(0, v));
    }
  }
}

function isPurchaseLine(p: Purchase): boolean {
  return Number.isFinite(p.timestamp) && Number.isFinite(p.quantity) && p.quantity > 0 && Number.isFinite(p.unitPrice) && p.unitPrice >= 0;
}

function orderKey(p: Purchase): string {
  return p.orderId !== undefined && p.orderId !== '' ? `o:${p.orderId}` : `d:${Math.floor(p.timestamp / DAY_MS)}`;
}

/**
 * Streaming accumulator of one customer's features. Update per event; ask for features / a profile at any
 * reference time. Lines with quantity <= 0 or a negative price (returns, adjustments) are ignored: net them
 * out upstream if needed. It assumes `asOf` is not before the events it has seen (recency is clamped at 0);
 * for back-tests use `computeFeatures`, which drops purchases after `asOf`.
 */
export class CustomerFeatureAccumulator {
  readonly userId: string;
  private firstTs = Number.POSITIVE_INFINITY;
  private lastTs = Number.NEGATIVE_INFINITY;
  private monetary = 0;
  private readonly orders = new Set<string>();
  private readonly itemStats = new Map<string, ItemStat>();
  private readonly categoryRevenue = new Map<string, number>();
  private views = 0;
  private carts = 0;
  private viewsKnown = false;

  constructor(userId: string) {
    this.userId = userId;
  }

  /** Returns false when the line was ignored (not a purchase line). */
  addPurchase(p: Purchase): boolean {
    if (!isPurchaseLine(p)) return false;
    if (p.timestamp < this.firstTs) this.firstTs = p.timestamp;
    if (p.timestamp > this.lastTs) this.lastTs = p.timestamp;
    const revenue = p.quantity * p.unitPrice;
    this.monetary += revenue;
    this.orders.add(orderKey(p));
    const s = this.itemStats.get(p.itemId);
    if (s) {
      s.quantity += p.quantity;
      s.revenue += revenue;
    } else {
      this.itemStats.set(p.itemId, { quantity: p.quantity, revenue });
    }
    if (p.category !== undefined && p.category !== '') {
      this.categoryRevenue.set(p.category, (this.categoryRevenue.get(p.category) ?? 0) + revenue);
    }
    return true;
  }

  addViews(n = 1): void {
    this.views += n;
    this.viewsKnown = true;
  }

  addCarts(n = 1): void {
    this.carts += n;
  }

  get purchaseCount(): number {
    return this.orders.size;
  }

  get cartCount(): number {
    return this.carts;
  }

  hasPurchases(): boolean {
    return this.orders.size > 0;
  }

  /** Features at `asOf`, or null when the customer has no purchase yet (not segmentable by RFM). */
  features(asOf: number): CustomerFeatures | null {
    if (this.orders.size === 0) return null;
    const frequency = this.orders.size;
    const monetary = Math.max(0, this.monetary);
    return {
      userId: this.userId,
      recency: Math.max(0, (asOf - this.lastTs) / DAY_MS),
      frequency,
      monetary,
      tenure: Math.max(0, (asOf - this.firstTs) / DAY_MS),
      breadth: this.itemStats.size,
      categories: this.categoryRevenue.size,
      conversion: this.viewsKnown && this.views > 0 ? Math.min(1, frequency / this.views) : null,
      averageOrderValue: monetary / frequency,
    };
  }

  /** Features plus item / category spend (copies), or null without purchases. */
  profile(asOf: number): CustomerProfile | null {
    const features = this.features(asOf);
    if (!features) return null;
    const items = new Map<string, ItemStat>();
    for (const [k, v] of this.itemStats) items.set(k, { quantity: v.quantity, revenue: v.revenue });
    return { features, items, categories: new Map(this.categoryRevenue) };
  }

  static fromActivity(activity: CustomerActivity, asOf = Number.POSITIVE_INFINITY): CustomerFeatureAccumulator {
    const acc = new CustomerFeatureAccumulator(activity.userId);
    for (const p of activity.purchases) if (p.timestamp <= asOf) acc.addPurchase(p);
    if (activity.views !== undefined) acc.addViews(activity.views);
    if (activity.carts !== undefined) acc.addCarts(activity.carts);
    return acc;
  }
}

/** Features of a customer at `asOf`, counting only purchases at or before `asOf`; null without purchases. */
export function computeFeatures(activity: CustomerActivity, asOf: number): CustomerFeatures | null {
  return CustomerFeatureAccumulator.fromActivity(activity, asOf).features(asOf);
}

/** Profile of a customer at `asOf` (purchases at or before `asOf`); null without purchases. */
export function computeProfile(activity: CustomerActivity, asOf: number): CustomerProfile | null {
  return CustomerFeatureAccumulator.fromActivity(activity, asOf).profile(asOf);
}

/** Stored standardisation: z = (transform(x) - mean) / std, per feature. Plain JSON. */
export interface Scaler {
  features: FeatureName[];
  mean: number[];
  std: number[];
}

/** Row-major n x d matrix of transformed (log1p / identity, NaN = unknown) but not yet standardised values. */
export function transformMatrix(rows: readonly CustomerFeatures[], features: readonly FeatureName[]): Float64Array {
  const d = features.length;
  const n = rows.length;
  const out = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const name = features[j]!;
    if (name === 'conversion') {
      for (let i = 0; i < n; i++) {
        const v = rows[i]!.conversion;
        out[i * d + j] = v === null ? Number.NaN : v;
      }
    } else {
      const get = GETTERS[name];
      for (let i = 0; i < n; i++) {
        const v = get(rows[i]!);
        out[i * d + j] = Math.log1p(v > 0 ? v : 0);
      }
    }
  }
  return out;
}

const GETTERS: Record<Exclude<FeatureName, 'conversion'>, (f: CustomerFeatures) => number> = {
  recency: (f) => f.recency,
  frequency: (f) => f.frequency,
  monetary: (f) => f.monetary,
  tenure: (f) => f.tenure,
  breadth: (f) => f.breadth,
  categories: (f) => f.categories,
  averageOrderValue: (f) => f.averageOrderValue,
};

/** Means/stds per column of a transformed matrix (NaN skipped; Welford). */
export function fitScalerFromMatrix(matrix: Float64Array, features: readonly FeatureName[]): Scaler {
  const d = features.length;
  const n = Math.floor(matrix.length / d);
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(1);
  for (let j = 0; j < d; j++) {
    let count = 0;
    let m = 0;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const v = matrix[i * d + j]!;
      if (!Number.isFinite(v)) continue;
      count++;
      const delta = v - m;
      m += delta / count;
      s += delta * (v - m);
    }
    mean[j] = count > 0 ? m : 0;
    const sd = count > 1 ? Math.sqrt(s / count) : 0;
    std[j] = sd > 1e-12 ? sd : 1;
  }
  return { features: [...features], mean, std };
}

/** Standardises a transformed matrix in place (unknown values become 0, i.e. the mean). */
export function standardiseInPlace(scaler: Scaler, matrix: Float64Array): Float64Array {
  const d = scaler.features.length;
  for (let i = 0; i < matrix.length; i++) {
    const j = i % d;
    const v = matrix[i]!;
    matrix[i] = Number.isFinite(v) ? (v - scaler.mean[j]!) / scaler.std[j]! : 0;
  }
  return matrix;
}

/** Fits means/stds of the transformed features (NaN, i.e. unknown conversion, is skipped). */
export function fitScaler(rows: readonly CustomerFeatures[], features: readonly FeatureName[] = DEFAULT_FEATURES): Scaler {
  return fitScalerFromMatrix(transformMatrix(rows, features), features);
}

/** Standardised vector of one customer; unknown values are imputed with the mean (z = 0). */
export function scaleFeatures(scaler: Scaler, f: CustomerFeatures, out?: Float64Array, offset = 0): Float64Array {
  const d = scaler.features.length;
  const o = out ?? new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const v = transformFeature(scaler.features[j]!, f);
    o[offset + j] = Number.isFinite(v) ? (v - scaler.mean[j]!) / scaler.std[j]! : 0;
  }
  return o;
}

/** Row-major n x d matrix of standardised features. */
export function scaleMatrix(scaler: Scaler, rows: readonly CustomerFeatures[]): Float64Array {
  return standardiseInPlace(scaler, transformMatrix(rows, scaler.features));
}
