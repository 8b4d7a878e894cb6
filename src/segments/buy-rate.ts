/**
 * Next-period buy rate of each segment, by backtest: the question an analyst asks of a segmentation ("which
 * segment buys most?") answered with data the gateway already has, at every refit.
 *
 * The fitted model is applied to customers as they were one period before the fit (`cutoff = asOf - period`):
 * features at the cutoff place each customer who had ordered by then in a segment, and the customer counts as
 * a buyer when they ordered again in (cutoff, asOf]. A segment's rate is buyers / customers placed in it. This
 * is what the segments-quality bench measures on a real next month (fit at a date, count buyers after it),
 * with the period moved back so that it has already happened.
 *
 * Recency, frequency and tenure at the cutoff are exact (from the order instants). The graph keeps spend per
 * item, not per order, so spend, items and categories at the cutoff are estimated by the share of the
 * customer's orders placed before it (average order value is kept). Pure.
 */
import type { CustomerColumns } from './columns.js';
import { DAY_MS, scaleFeatures, type CustomerFeatures, type Scaler } from './features.js';
import { nearestCentroid } from './kmeans.js';

/** What the backtest needs of a fitted model: its scaler and each segment's standardised centroid. */
export interface FittedCentroids {
  scaler: Scaler;
  segments: readonly { id: string; vector: readonly number[] }[];
}

export interface NextPeriodBuyRate {
  periodDays: number;
  /** Customers are placed as they were at this instant (asOf - period) ... */
  cutoff: number;
  /** ... and count as buyers with an order in (cutoff, until]. */
  until: number;
  /** Customers with an order before the cutoff, and those of them who ordered in the period. */
  customers: number;
  buyers: number;
  /** The same counts per segment id (segments nobody was placed in are absent). */
  bySegment: Record<string, { customers: number; buyers: number }>;
}

/** Default length of the backtest period. */
export const DEFAULT_BUY_RATE_DAYS = 30;

/** Index of the first entry of sorted a[from..to) that is >= t (to when none). */
function lowerBound(a: Float64Array, from: number, to: number, t: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The backtest of `model` on the customers of `cols` (columns at `asOf` with their order instants, as the
 * refit worker builds them); null when the columns carry no order instants.
 */
export function nextPeriodBuyRate(model: FittedCentroids, cols: CustomerColumns, asOf: number, periodDays = DEFAULT_BUY_RATE_DAYS): NextPeriodBuyRate | null {
  const { orderStart, orderTimes } = cols;
  if (!orderStart || !orderTimes) return null;
  const cutoff = asOf - periodDays * DAY_MS;
  const k = model.segments.length;
  const d = model.scaler.features.length;
  const centroids = new Float64Array(k * d);
  model.segments.forEach((s, c) => centroids.set(s.vector, c * d));
  const perSegment = model.segments.map(() => ({ customers: 0, buyers: 0 }));
  const x = new Float64Array(d);
  const f = cols.features;
  let customers = 0;
  let buyers = 0;
  for (let i = 0; i < cols.n; i++) {
    const from = orderStart[i]!;
    const to = orderStart[i + 1]!;
    const before = lowerBound(orderTimes, from, to, cutoff + 1) - from; // orders at or before the cutoff
    if (before === 0) continue; // not a customer yet at the cutoff
    const upTo = lowerBound(orderTimes, from, to, asOf + 1); // orders after asOf are not counted (asOf may be set)
    const bought = upTo - from > before;
    const total = upTo - from;
    const share = before / total;
    const monetary = f.monetary[i]! * share;
    const conversion = f.conversion[i]!;
    const atCutoff: CustomerFeatures = {
      userId: cols.userIds[i]!,
      recency: (cutoff - orderTimes[from + before - 1]!) / DAY_MS,
      frequency: before,
      monetary,
      tenure: (cutoff - orderTimes[from]!) / DAY_MS,
      breadth: f.breadth[i]! * share,
      categories: f.categories[i]! * share,
      conversion: Number.isNaN(conversion) ? null : conversion * share,
      averageOrderValue: monetary / before,
    };
    const c = nearestCentroid(centroids, k, d, scaleFeatures(model.scaler, atCutoff, x));
    perSegment[c]!.customers++;
    customers++;
    if (bought) {
      perSegment[c]!.buyers++;
      buyers++;
    }
  }
  const bySegment: NextPeriodBuyRate['bySegment'] = {};
  model.segments.forEach((s, c) => {
    if (perSegment[c]!.customers > 0) bySegment[s.id] = perSegment[c]!;
  });
  return { periodDays, cutoff, until: asOf, customers, buyers, bySegment };
}
