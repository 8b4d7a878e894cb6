/**
 * Anomaly findings stored on the graph (see src/anomaly/), linked to their user and / or item, and the
 * actors (bots) whose edges are kept out of what shapes other users' results.
 */
export interface AnomalyStore {
  /** Stores findings (linked to their user / item); returns those not stored before (by id). */
  putAnomalies(records: readonly AnomalyRecord[]): Promise<AnomalyRecord[]>;
  getAnomalies(ids: readonly string[]): Promise<(AnomalyRecord | null)[]>;
  /** Newest first; `entityIds` matches the entity or the linked user / item. */
  listAnomalies(query: AnomalyQuery): Promise<AnomalyPage>;
  /**
   * Counts of the findings matching the query's filters, by UTC day of `detectedAt`, kind and severity
   * (dashboards chart these instead of paging every record); `since` (ms) leaves out older findings.
   */
  countAnomalies(query: AnomalyCountQuery): Promise<AnomalyCountRow[]>;
  /** Marks a finding acknowledged; null when unknown. */
  acknowledgeAnomaly(id: string, acknowledged?: boolean): Promise<AnomalyRecord | null>;
  /**
   * Excludes (or re-includes) an actor's edges from what shapes other users' results (item userCount; the
   * embedded graph's `scanInteractions` leaves them out too). Returns false when nothing changed.
   */
  setActorExcluded(actorId: string, excluded: boolean): Promise<boolean>;
  excludedActors(): Promise<string[]>;
}

/** A stored anomaly finding (see src/anomaly/): the graph keeps it linked to its user and / or item. */
export interface AnomalyRecord {
  id: string;
  kind: string;
  severity: 'INFO' | 'WARNING' | 'CRITICAL';
  entityType: string;
  entityId: string;
  score: number;
  /** Event time (ms). */
  detectedAt: number;
  message: string;
  /** JSON text of the detector's evidence. */
  evidence: string | null;
  acknowledged: boolean;
  /** Linked actor (graph user id: the userId, or "session:<id>") and item, when the finding has one. */
  userId: string | null;
  itemId: string | null;
}

export interface AnomalyQuery {
  first: number;
  /** Opaque cursor from a previous page's `endCursor`. */
  after?: string;
  kinds?: readonly string[];
  minSeverity?: AnomalyRecord['severity'];
  entityIds?: readonly string[];
  acknowledged?: boolean;
}

export type AnomalyCountQuery = Omit<AnomalyQuery, 'first' | 'after'> & { since?: number };

export interface AnomalyCountRow {
  /** Start of the UTC day (ms). */
  day: number;
  kind: string;
  severity: AnomalyRecord['severity'];
  count: number;
}

export interface AnomalyPage {
  anomalies: AnomalyRecord[];
  /** One opaque cursor per record (pass as `after` to continue after it). */
  cursors: string[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}
