import type { SegmentRefitResult, SegmentView } from '../../src/segments/service';
import { SegmentType, type SegmentRefitResultType } from '../../graph-models/segment.model';

function toSegment(v: SegmentView, total: number): SegmentType {
  return Object.assign(new SegmentType(), {
    id: v.id,
    name: v.name,
    size: v.size,
    share: total > 0 ? v.size / total : 0,
    centroid: { ...v.centroid },
    averageOrderValue: v.averageOrderValue,
    nextPeriod: v.nextPeriod
      ? {
          periodDays: v.nextPeriod.periodDays,
          since: new Date(v.nextPeriod.cutoff),
          until: new Date(v.nextPeriod.until),
          customers: v.nextPeriod.customers,
          buyers: v.nextPeriod.buyers,
          rate: v.nextPeriod.rate,
          baseRate: v.nextPeriod.baseRate,
        }
      : null,
    topItemIds: v.topItems.map((t) => t.itemId),
    categories: v.topCategories.map((c) => ({ category: c.category, customers: c.customers, revenue: c.revenue })),
  });
}

/** All segments of the fit; each one's share is of the members of all of them. */
export function toSegments(views: readonly SegmentView[]): SegmentType[] {
  const total = views.reduce((s, v) => s + v.size, 0);
  return views.map((v) => toSegment(v, total));
}

export function toRefitResult(r: SegmentRefitResult, segments: SegmentType[]): SegmentRefitResultType {
  return {
    k: r.k,
    silhouette: r.silhouette,
    durationMs: r.durationMs,
    customers: r.customers,
    asOf: new Date(r.asOf),
    kScores: r.kScores,
    segments,
  };
}
