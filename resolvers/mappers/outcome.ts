import type { OutcomeBucket, OutcomeTotals } from '../../src/outcomes/attribution';
import type { OutcomeBucketType, OutcomeMetricsType } from '../../graph-models/outcome.model';

const per = (x: number, n: number): number | null => (n > 0 ? x / n : null);

/** One group's totals and its buckets -> the GraphQL shape; rates are null where nothing was served. */
export function toOutcomeMetrics(t: OutcomeTotals, buckets: readonly OutcomeBucket[]): OutcomeMetricsType {
  return {
    strategy: t.strategy,
    experimentId: t.experimentId,
    variant: t.variant,
    impressions: t.impressions,
    itemsShown: t.itemsShown,
    users: t.users,
    clicks: t.clicks,
    addToCarts: t.addToCarts,
    purchases: t.purchases,
    revenue: t.revenue,
    clickThroughRate: per(t.clicks, t.impressions),
    itemClickThroughRate: per(t.clicks, t.itemsShown),
    addToCartRate: per(t.addToCarts, t.impressions),
    purchaseRate: per(t.purchases, t.impressions),
    revenuePerList: per(t.revenue, t.impressions),
    revenuePerUser: per(t.revenue, t.users),
    buckets: buckets.map(toOutcomeBucket),
  };
}

function toOutcomeBucket(b: OutcomeBucket): OutcomeBucketType {
  return { start: new Date(b.start), impressions: b.impressions, clicks: b.clicks, addToCarts: b.addToCarts, purchases: b.purchases, revenue: b.revenue };
}
