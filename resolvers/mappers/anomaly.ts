import type { AnomalyPage, AnomalyQuery, AnomalyRecord } from '../../src/graph/graph-store';
import { SEVERITY_RANK } from '../../src/graph/anomaly-table';
import { AnomalyType, type AnomalyConnection, type AnomalyFilterInput, type AnomalyKind, type Severity } from '../../graph-models/anomaly.model';
import { toConnection } from './connection';

export function toAnomaly(r: AnomalyRecord): AnomalyType {
  return Object.assign(new AnomalyType(), {
    id: r.id,
    kind: r.kind as AnomalyKind,
    severity: r.severity as Severity,
    entityType: r.entityType,
    entityId: r.entityId,
    score: r.score,
    detectedAt: new Date(r.detectedAt),
    message: r.message,
    acknowledged: r.acknowledged,
    evidence: r.evidence,
  });
}

export function toAnomalyConnection(page: AnomalyPage): AnomalyConnection {
  return toConnection(page.anomalies, page, (_r, i) => page.cursors[i]!, toAnomaly);
}

/** The GraphQL filter -> the store's query. */
export function toAnomalyQuery(filter: AnomalyFilterInput | undefined, first: number, after?: string): AnomalyQuery {
  return {
    first,
    after,
    kinds: filter?.kinds,
    minSeverity: filter?.minSeverity,
    entityIds: filter?.entityIds,
    acknowledged: filter?.acknowledged ?? undefined,
  };
}

/** The GraphQL filter as a predicate on records (the subscription's filter): the same rules as the anomalies query. */
export function matchesAnomalyFilter(r: AnomalyRecord, filter: AnomalyFilterInput | undefined | null): boolean {
  if (!filter) return true;
  if (filter.kinds && filter.kinds.length > 0 && !filter.kinds.includes(r.kind as AnomalyKind)) return false;
  if (filter.minSeverity && SEVERITY_RANK[r.severity] < SEVERITY_RANK[filter.minSeverity]) return false;
  if (filter.acknowledged !== undefined && filter.acknowledged !== null && r.acknowledged !== filter.acknowledged) return false;
  if (filter.entityIds && filter.entityIds.length > 0) {
    const ids = new Set(filter.entityIds);
    if (!ids.has(r.entityId) && !(r.userId && ids.has(r.userId)) && !(r.itemId && ids.has(r.itemId))) return false;
  }
  return true;
}
