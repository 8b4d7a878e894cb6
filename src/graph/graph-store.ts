import type { FlywheelEvent, InteractionType } from '../events/event';

/**
 * The graph store seam: the user-item graph every read path works on. Users (and anonymous sessions),
 * items, categories, and one typed interaction edge per (user, item) pair carrying per-type counts, a
 * weight and first/last-seen times.
 *
 * Every read takes a list of keys and returns one answer per key in the same order, so DataLoader can
 * batch the reads of a whole GraphQL request into one call (one `UNWIND $ids` query on Neo4j).
 * Two implementations: the embedded in-memory graph (with snapshots) and Neo4j.
 */
export interface GraphStore {
  readonly backend: 'embedded' | 'neo4j';

  /**
   * Applies a batch of validated events in order. Idempotent per event id: an id that was applied
   * before changes nothing and is counted as a duplicate.
   */
  applyEvents(events: readonly FlywheelEvent[], logPosition?: number): Promise<ApplySummary>;

  getItems(ids: readonly string[]): Promise<(ItemNode | null)[]>;
  getCategories(names: readonly string[]): Promise<(CategoryNode | null)[]>;
  getUsers(ids: readonly string[]): Promise<(UserNode | null)[]>;
  /** Each user's interaction edges, most recent first, at most `first` per user. */
  getInteractions(userIds: readonly string[], first: number): Promise<InteractionEdge[][]>;
  listItems(query: ItemQuery): Promise<ItemPage>;

  /** Top-k most similar items per item (co-occurrence on shared users), best first. */
  getItemNeighbors(itemIds: readonly string[], k: number): Promise<ItemNeighbor[][]>;
  /** Items ranked by how many distinct users engaged positively, optionally within categories. */
  popularItems(query: PopularQuery): Promise<ScoredItem[]>;

  stats(): Promise<GraphStats>;

  /**
   * Every positive interaction edge, in batches: lets derived models (recommendation) rebuild after a
   * snapshot restore. Optional so backends can add it when they need it.
   */
  scanInteractions?(batchSize: number): AsyncIterable<InteractionEdge[]>;

  /**
   * The log position up to which this store's state survives a restart, when the store keeps its own
   * durable position (the embedded graph restores a snapshot and replays the log after it). Undefined
   * when the consumer group's committed offset is the source of truth (Neo4j).
   */
  durablePosition(): number | undefined;

  // ---- anomaly flags ----------------------------------------------------------------
  /** Stores findings (linked to their user / item); returns those not stored before (by id). */
  putAnomalies(records: readonly AnomalyRecord[]): Promise<AnomalyRecord[]>;
  getAnomalies(ids: readonly string[]): Promise<(AnomalyRecord | null)[]>;
  /** Newest first; `entityIds` matches the entity or the linked user / item. */
  listAnomalies(query: AnomalyQuery): Promise<AnomalyPage>;
  /** Marks a finding acknowledged; null when unknown. */
  acknowledgeAnomaly(id: string, acknowledged?: boolean): Promise<AnomalyRecord | null>;
  /**
   * Excludes (or re-includes) an actor's edges from what shapes other users' recommendations (item
   * similarity, popularity, userCount), whatever strategy reads them. Returns false when nothing changed.
   */
  setActorExcluded(actorId: string, excluded: boolean): Promise<boolean>;
  excludedActors(): Promise<string[]>;

  // ---- customer segments: (:User)-[:IN_SEGMENT]->(:Segment) ----------------------------
  /** Purchase activity (segmentation features) of these users, one row per id (orders 0 when unknown). */
  getPurchaseActivity(userIds: readonly string[]): Promise<PurchaseActivityBatch>;
  /** Every user's purchase activity, a batch at a time, yielding to the event loop between batches. */
  scanPurchaseActivity(batchSize?: number): AsyncIterable<PurchaseActivityBatch>;
  /** The segment model (JSON data: segments, scaler, centroids) the memberships refer to; null for none. */
  getSegmentModel(): Promise<unknown>;
  setSegmentModel(model: unknown): Promise<void>;
  /** Sets IN_SEGMENT of each user (null removes it); unknown users are skipped. */
  setUserSegments(userIds: readonly string[], segmentIds: readonly (string | null)[]): Promise<void>;
  getUserSegments(userIds: readonly string[]): Promise<(string | null)[]>;
  /**
   * A store that holds memberships in memory may answer one user's segment synchronously (undefined means
   * "ask getUserSegments"): the recommendation hot path reads it on every request.
   */
  peekUserSegment?(userId: string): string | null | undefined;
  /** Members of a segment, a page at a time (opaque cursor); live member counts per segment. */
  listSegmentMembers(segmentId: string, first: number, after?: string): Promise<SegmentMemberPage>;
  segmentSizes(): Promise<Map<string, number>>;

  // ---- privacy ------------------------------------------------------------------------
  /**
   * Right to erasure: removes the actors (the user and the anonymous sessions linked to them) with their
   * edges, segment membership, the anomaly findings linked to them (evidence naming them elsewhere is
   * redacted), and every derived count (item userCount, popularity, similarity) they contributed to. Records
   * the actors on a durable erasure list: interaction events of an erased actor with a timestamp up to the
   * erasure time are skipped when applied later (replay of a log that still holds them: Kafka).
   */
  eraseUser(userId: string, options?: EraseOptions): Promise<ErasureReport>;
  /** The erasure list: actor id -> erasure time (ms). */
  erasedActors(): Promise<Map<string, number>>;

  /** Persists what must survive a restart (a snapshot for the embedded graph). */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}

export interface ApplySummary {
  applied: number;
  duplicates: number;
  /** Ids of actors whose edges changed, for live subscriptions. */
  touchedUsers: string[];
  touchedItems: string[];
}

export interface ItemNode {
  id: string;
  /** Items named by events before the catalog knows them get their id as a placeholder title. */
  title: string;
  category: string | null;
  price: number | null;
  attributes: Record<string, string>;
  /** Whether the catalog has described this item (false for items only seen in events). */
  inCatalog: boolean;
  /** Distinct users with a positive interaction. */
  userCount: number;
}

export interface CategoryNode {
  name: string;
  itemCount: number;
}

export interface UserNode {
  id: string;
  anonymous: boolean;
  firstSeenAt: number;
  lastSeenAt: number;
  /** Distinct items interacted with. */
  itemCount: number;
  eventCount: number;
}

export type TypeCounts = Record<InteractionType, number>;

export interface InteractionEdge {
  userId: string;
  itemId: string;
  counts: TypeCounts;
  /** Sum of event-type weights (purchase > cart > click > view), floored at 0. */
  weight: number;
  /** Units bought. */
  quantity: number;
  /** Money spent (quantity x unit price). */
  revenue: number;
  firstSeenAt: number;
  lastSeenAt: number;
  lastType: InteractionType;
}

export interface ItemNeighbor {
  itemId: string;
  score: number;
  /** Users the two items share. */
  support: number;
}

export interface ScoredItem {
  itemId: string;
  score: number;
}

export interface ItemQuery {
  first: number;
  /** Opaque cursor from a previous page's `endCursor`. */
  after?: string;
  categories?: readonly string[];
  /** Case-insensitive substring of the title or id. */
  search?: string;
}

export interface ItemPage {
  items: ItemNode[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface PopularQuery {
  first: number;
  categories?: readonly string[];
  excludeItemIds?: readonly string[];
}

export interface GraphStats {
  users: number;
  items: number;
  categories: number;
  edges: number;
  eventsApplied: number;
}

/** Event-type weights on the interaction edge (configuration can override). */
export const DEFAULT_TYPE_WEIGHTS: TypeCounts = {
  VIEW: 1,
  CLICK: 2,
  ADD_TO_CART: 3,
  REMOVE_FROM_CART: -3,
  PURCHASE: 5,
};

export function emptyCounts(): TypeCounts {
  return { VIEW: 0, CLICK: 0, ADD_TO_CART: 0, REMOVE_FROM_CART: 0, PURCHASE: 0 };
}

/** Cursors are the base64url of the last item id: stable under inserts, opaque to clients. */
export function encodeCursor(itemId: string): string {
  return Buffer.from(itemId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString('utf8');
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

export interface AnomalyPage {
  anomalies: AnomalyRecord[];
  /** One opaque cursor per record (pass as `after` to continue after it). */
  cursors: string[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

/**
 * Columnar purchase activity of a batch of users (what segmentation features are computed from): per user
 * the distinct purchase instants (orders: events of one checkout share a timestamp), first/last purchase,
 * views, and the purchase edges in CSR form (edgeStart[i]..edgeStart[i+1]).
 */
export interface PurchaseActivityBatch {
  userIds: string[];
  orders: Float64Array;
  firstPurchaseAt: Float64Array;
  lastPurchaseAt: Float64Array;
  views: Float64Array;
  edgeStart: Int32Array;
  edgeItem: string[];
  edgeCategory: (string | null)[];
  edgeQuantity: Float64Array;
  edgeRevenue: Float64Array;
}

export interface SegmentMemberPage {
  userIds: string[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface EraseOptions {
  /** Anonymous session ids linked to the user (their events carried both ids); erased as "session:<id>". */
  sessions?: readonly string[];
  /** Idempotency keys (`idempotencyKey`) of the user's events known to the embedded log, forgotten by the idempotency set too. */
  eventIds?: readonly string[];
  /** Erasure time (ms); events of the actors up to this time are skipped if they are applied again. */
  at?: number;
}

export interface ErasureReport {
  /** Graph actor ids erased (the user, then "session:<id>" for linked sessions). */
  actors: string[];
  /** Whether the graph knew any of them. */
  found: boolean;
  interactionsRemoved: number;
  /** Items whose counts / neighbour lists changed because the actors left them. */
  itemsAffected: string[];
  segmentMemberships: number;
  anomaliesRemoved: number;
  anomaliesRedacted: number;
}

/** The backing database cannot be reached (thrown fast instead of hanging); clients see code UNAVAILABLE. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly extensions = { code: 'UNAVAILABLE' as const };
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Replaces every occurrence of an erased id in free text (anomaly messages, evidence JSON). */
export function redactIds(text: string, ids: readonly string[]): string {
  let out = text;
  for (const id of ids) {
    if (id.length === 0) continue;
    // Whole ids only: erasing "u1" must not touch "u10".
    const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(?<![\\w:.-])${escaped}(?![\\w.-])`, 'g'), '[erased]');
  }
  return out;
}
