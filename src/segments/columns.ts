/**
 * Columnar customer data for a segment fit: one typed array per feature (no object per customer) and the
 * customers' purchases in CSR form with interned item / category numbers. A fit of 1M customers then
 * allocates a few dozen arrays instead of a million profiles and two million Maps.
 *
 * Two ways in, one fit:
 * - `ActivityColumnsBuilder` appends the graph's columnar purchase-activity batches as they arrive (the
 *   refit worker does this while the main thread is still scanning) and yields the features at `asOf`
 *   with exactly the formulas of graph-features.ts;
 * - `columnsFromProfiles` turns `CustomerProfile`s (the pure-model API, tests) into the same columns.
 *
 * Pure and dependency-free.
 */
import type { PurchaseActivityBatch } from '../graph/stores/segments';
import { DAY_MS, type CustomerProfile, type FeatureName } from './features.js';

export interface CustomerColumns {
  n: number;
  userIds: string[];
  /** Raw (untransformed) features, one entry per customer; conversion NaN = unknown. */
  features: Record<FeatureName, Float64Array>;
  /** Purchases of customer i: edges edgeStart[i]..edgeStart[i+1]. */
  edgeStart: Int32Array;
  edgeItem: Int32Array;
  edgeQuantity: Float64Array;
  edgeRevenue: Float64Array;
  /** Category number of the purchase, -1 for none. */
  edgeCategory: Int32Array;
  itemIds: string[];
  categoryIds: string[];
  /** Order instants of customer i, ascending: orderTimes[orderStart[i]..orderStart[i+1]] (absent for profiles). */
  orderStart?: Int32Array;
  orderTimes?: Float64Array;
}

/** A typed array that grows by doubling; `done()` returns the filled part. */
class Growable<A extends Float64Array | Int32Array> {
  a: A;
  n = 0;
  constructor(
    private readonly make: (length: number) => A,
    cap = 1024,
  ) {
    this.a = make(cap);
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = this.make(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  done(): A {
    return this.a.slice(0, this.n) as A;
  }
}

const f64 = (cap?: number) => new Growable((n) => new Float64Array(n), cap);
const i32 = (cap?: number) => new Growable((n) => new Int32Array(n), cap);

class Interner {
  readonly ids: string[] = [];
  private readonly index = new Map<string, number>();
  get(id: string): number {
    let t = this.index.get(id);
    if (t === undefined) {
      t = this.ids.length;
      this.index.set(id, t);
      this.ids.push(id);
    }
    return t;
  }
}

/**
 * Accumulates purchase-activity batches into columns. Only rows with a purchase become customers;
 * `rowOf` maps every appended row (in order) to its customer number or -1.
 */
export class ActivityColumnsBuilder {
  private readonly userIds: string[] = [];
  private readonly orders = f64();
  private readonly firstAt = f64();
  private readonly lastAt = f64();
  private readonly views = f64();
  private readonly monetary = f64();
  private readonly categories = f64();
  private readonly edgeStart = i32();
  private readonly edgeItem = i32(4096);
  private readonly edgeCategory = i32(4096);
  private readonly edgeQuantity = f64(4096);
  private readonly edgeRevenue = f64(4096);
  private readonly items = new Interner();
  private readonly cats = new Interner();
  private readonly rows = i32();
  private readonly orderStart = i32();
  private readonly orderTimes = f64(4096);
  private catSeen = new Int32Array(64).fill(-1);
  /** The latest purchase seen (the default reference time of a fit). */
  latest = 0;

  get customers(): number {
    return this.userIds.length;
  }

  get rowCount(): number {
    return this.rows.n;
  }

  /** Customers by row: -1 for rows without a purchase. */
  rowOf(): Int32Array {
    return this.rows.done();
  }

  add(b: PurchaseActivityBatch): void {
    for (let r = 0; r < b.userIds.length; r++) {
      const orders = b.orders[r]!;
      if (!(orders > 0)) {
        this.rows.push(-1);
        continue;
      }
      const i = this.userIds.length;
      this.rows.push(i);
      this.userIds.push(b.userIds[r]!);
      this.orders.push(orders);
      this.firstAt.push(b.firstPurchaseAt[r]!);
      this.lastAt.push(b.lastPurchaseAt[r]!);
      if (b.lastPurchaseAt[r]! > this.latest) this.latest = b.lastPurchaseAt[r]!;
      this.views.push(b.views[r]!);
      this.orderStart.push(this.orderTimes.n);
      for (let o = b.orderStart[r]!; o < b.orderStart[r + 1]!; o++) this.orderTimes.push(b.orderTimes[o]!);
      this.edgeStart.push(this.edgeItem.n);
      let monetary = 0;
      let categories = 0;
      for (let e = b.edgeStart[r]!; e < b.edgeStart[r + 1]!; e++) {
        monetary += b.edgeRevenue[e]!;
        this.edgeItem.push(this.items.get(b.edgeItem[e]!));
        this.edgeQuantity.push(b.edgeQuantity[e]!);
        this.edgeRevenue.push(b.edgeRevenue[e]!);
        const c = b.edgeCategory[e];
        if (c !== null && c !== undefined && c !== '') {
          const t = this.cats.get(c);
          this.edgeCategory.push(t);
          if (t >= this.catSeen.length) {
            const next = new Int32Array(Math.max(t + 1, this.catSeen.length * 2)).fill(-1);
            next.set(this.catSeen);
            this.catSeen = next;
          }
          if (this.catSeen[t] !== i) {
            this.catSeen[t] = i;
            categories++;
          }
        } else this.edgeCategory.push(-1);
      }
      this.monetary.push(monetary);
      this.categories.push(categories);
    }
  }

  /** The customers' features at `asOf` (same formulas as graph-features.ts `featuresFromActivity`). */
  build(asOf: number): CustomerColumns {
    const n = this.userIds.length;
    const f = {} as Record<FeatureName, Float64Array>;
    for (const name of ['recency', 'frequency', 'monetary', 'tenure', 'breadth', 'categories', 'conversion', 'averageOrderValue'] as const)
      f[name] = new Float64Array(n);
    const orders = this.orders.a;
    const first = this.firstAt.a;
    const last = this.lastAt.a;
    const views = this.views.a;
    const mon = this.monetary.a;
    const cats = this.categories.a;
    const starts = this.edgeStart.a;
    const edges = this.edgeItem.n;
    for (let i = 0; i < n; i++) {
      const o = orders[i]!;
      const m = Math.max(0, mon[i]!);
      f.recency[i] = Math.max(0, (asOf - last[i]!) / DAY_MS);
      f.frequency[i] = o;
      f.monetary[i] = m;
      f.tenure[i] = Math.max(0, (asOf - first[i]!) / DAY_MS);
      f.breadth[i] = (i + 1 < n ? starts[i + 1]! : edges) - starts[i]!;
      f.categories[i] = cats[i]!;
      f.conversion[i] = views[i]! > 0 ? Math.min(1, o / views[i]!) : Number.NaN;
      f.averageOrderValue[i] = m / o;
    }
    const edgeStart = new Int32Array(n + 1);
    edgeStart.set(starts.subarray(0, n));
    edgeStart[n] = edges;
    const orderStart = new Int32Array(n + 1);
    orderStart.set(this.orderStart.a.subarray(0, n));
    orderStart[n] = this.orderTimes.n;
    return {
      n,
      userIds: this.userIds,
      features: f,
      edgeStart,
      edgeItem: this.edgeItem.done(),
      edgeQuantity: this.edgeQuantity.done(),
      edgeRevenue: this.edgeRevenue.done(),
      edgeCategory: this.edgeCategory.done(),
      itemIds: this.items.ids,
      categoryIds: this.cats.ids,
      orderStart,
      orderTimes: this.orderTimes.done(),
    };
  }
}

/**
 * Columns of profiles (features already at their asOf). A profile's category spend becomes one
 * pseudo-purchase line per category at the end of its edges, with no item, so per-category sums are the
 * profile's own (edgeItem -1 for those lines; item aggregates skip them).
 */
export function columnsFromProfiles(profiles: readonly CustomerProfile[]): CustomerColumns {
  const n = profiles.length;
  const f = {} as Record<FeatureName, Float64Array>;
  for (const name of ['recency', 'frequency', 'monetary', 'tenure', 'breadth', 'categories', 'conversion', 'averageOrderValue'] as const)
    f[name] = new Float64Array(n);
  const edgeStart = new Int32Array(n + 1);
  const edgeItem = i32(4096);
  const edgeCategory = i32(4096);
  const edgeQuantity = f64(4096);
  const edgeRevenue = f64(4096);
  const items = new Interner();
  const cats = new Interner();
  const userIds = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const p = profiles[i]!;
    const x = p.features;
    userIds[i] = x.userId;
    f.recency[i] = x.recency;
    f.frequency[i] = x.frequency;
    f.monetary[i] = x.monetary;
    f.tenure[i] = x.tenure;
    f.breadth[i] = x.breadth;
    f.categories[i] = x.categories;
    f.conversion[i] = x.conversion === null ? Number.NaN : x.conversion;
    f.averageOrderValue[i] = x.averageOrderValue;
    edgeStart[i] = edgeItem.n;
    p.items.forEach((s, itemId) => {
      edgeItem.push(items.get(itemId));
      edgeQuantity.push(s.quantity);
      edgeRevenue.push(s.revenue);
      edgeCategory.push(-1);
    });
    p.categories.forEach((revenue, category) => {
      edgeItem.push(-1);
      edgeQuantity.push(0);
      edgeRevenue.push(revenue);
      edgeCategory.push(cats.get(category));
    });
  }
  edgeStart[n] = edgeItem.n;
  return {
    n,
    userIds,
    features: f,
    edgeStart,
    edgeItem: edgeItem.done(),
    edgeQuantity: edgeQuantity.done(),
    edgeRevenue: edgeRevenue.done(),
    edgeCategory: edgeCategory.done(),
    itemIds: items.ids,
    categoryIds: cats.ids,
  };
}

/** The columns with customers in `order` (order[i] = old customer number of new customer i). */
export function permuteColumns(c: CustomerColumns, order: ArrayLike<number>): CustomerColumns {
  const n = c.n;
  const features = {} as Record<FeatureName, Float64Array>;
  for (const name of Object.keys(c.features) as FeatureName[]) {
    const src = c.features[name];
    const dst = new Float64Array(n);
    for (let i = 0; i < n; i++) dst[i] = src[order[i]!]!;
    features[name] = dst;
  }
  const m = c.edgeItem.length;
  const edgeStart = new Int32Array(n + 1);
  const edgeItem = new Int32Array(m);
  const edgeQuantity = new Float64Array(m);
  const edgeRevenue = new Float64Array(m);
  const edgeCategory = new Int32Array(m);
  const userIds = new Array<string>(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const o = order[i]!;
    userIds[i] = c.userIds[o]!;
    edgeStart[i] = at;
    const s = c.edgeStart[o]!;
    const e = c.edgeStart[o + 1]!;
    edgeItem.set(c.edgeItem.subarray(s, e), at);
    edgeQuantity.set(c.edgeQuantity.subarray(s, e), at);
    edgeRevenue.set(c.edgeRevenue.subarray(s, e), at);
    edgeCategory.set(c.edgeCategory.subarray(s, e), at);
    at += e - s;
  }
  edgeStart[n] = at;
  return { n, userIds, features, edgeStart, edgeItem, edgeQuantity, edgeRevenue, edgeCategory, itemIds: c.itemIds, categoryIds: c.categoryIds };
}
