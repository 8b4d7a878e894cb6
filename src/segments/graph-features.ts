/**
 * Segmentation features from the graph store's purchase activity (`SegmentStore.getPurchaseActivity` /
 * `scanPurchaseActivity`): where graph data becomes `CustomerFeatures` / `CustomerProfile` for one user (the
 * service's incremental assignment). Whole fits (the refit worker, the `flywheel segments` CLI) use the
 * columnar twin in columns.ts (`ActivityColumnsBuilder`), which applies the same formulas to typed arrays;
 * test/unit/segments/columns.test.ts checks that both give the same features and the same fit.
 *
 * - recency: days from the last purchase to `asOf`; tenure: days from the first purchase;
 * - frequency: distinct purchase instants (the events of one checkout share a timestamp; on the online
 *   retail import one instant is one invoice);
 * - monetary: sum of revenue on the purchase edges; breadth: items bought; categories: distinct categories;
 * - conversion: orders per item view when views are known.
 */
import type { PurchaseActivityBatch } from '../graph/stores/segments';
import { DAY_MS, type CustomerFeatures, type CustomerProfile, type ItemStat } from './features.js';

export type { PurchaseActivityBatch };

/** Features of row `r` at `asOf`, or null when the user has no purchase. */
export function featuresFromActivity(b: PurchaseActivityBatch, r: number, asOf: number): CustomerFeatures | null {
  const orders = b.orders[r]!;
  if (!(orders > 0)) return null;
  let monetary = 0;
  let categories = 0;
  const start = b.edgeStart[r]!;
  const end = b.edgeStart[r + 1]!;
  let seen: Set<string> | null = null;
  for (let e = start; e < end; e++) {
    monetary += b.edgeRevenue[e]!;
    const c = b.edgeCategory[e];
    if (c !== null && c !== undefined && c !== '') {
      if (!seen) seen = new Set();
      if (!seen.has(c)) {
        seen.add(c);
        categories++;
      }
    }
  }
  monetary = Math.max(0, monetary);
  const views = b.views[r]!;
  return {
    userId: b.userIds[r]!,
    recency: Math.max(0, (asOf - b.lastPurchaseAt[r]!) / DAY_MS),
    frequency: orders,
    monetary,
    tenure: Math.max(0, (asOf - b.firstPurchaseAt[r]!) / DAY_MS),
    breadth: end - start,
    categories,
    conversion: views > 0 ? Math.min(1, orders / views) : null,
    averageOrderValue: monetary / orders,
  };
}

/** Features plus item / category spend of row `r` (what a fit needs), or null without purchases. */
export function profileFromActivity(b: PurchaseActivityBatch, r: number, asOf: number): CustomerProfile | null {
  const features = featuresFromActivity(b, r, asOf);
  if (!features) return null;
  const items = new Map<string, ItemStat>();
  const categories = new Map<string, number>();
  for (let e = b.edgeStart[r]!; e < b.edgeStart[r + 1]!; e++) {
    const revenue = b.edgeRevenue[e]!;
    items.set(b.edgeItem[e]!, { quantity: b.edgeQuantity[e]!, revenue });
    const c = b.edgeCategory[e];
    if (c !== null && c !== undefined && c !== '') categories.set(c, (categories.get(c) ?? 0) + revenue);
  }
  return { features, items, categories };
}

/** The latest purchase in a batch (0 when none): the default reference time of a fit. */
export function latestPurchase(b: PurchaseActivityBatch): number {
  let t = 0;
  for (let r = 0; r < b.userIds.length; r++) if (b.orders[r]! > 0 && b.lastPurchaseAt[r]! > t) t = b.lastPurchaseAt[r]!;
  return t;
}
