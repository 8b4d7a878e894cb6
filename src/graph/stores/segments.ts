/**
 * Customer segments on the graph: `(:User)-[:IN_SEGMENT]->(:Segment)`, the segment model the memberships
 * refer to, and the purchase activity segmentation features are computed from (see src/segments/).
 */
export interface SegmentStore {
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
