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
  /**
   * The order instants themselves, ascending, in CSR form (orderStart[i]..orderStart[i+1]): what a backtest
   * needs to place a customer as they were at an earlier date (src/segments/buy-rate.ts).
   */
  orderStart: Int32Array;
  orderTimes: Float64Array;
  firstPurchaseAt: Float64Array;
  lastPurchaseAt: Float64Array;
  views: Float64Array;
  edgeStart: Int32Array;
  edgeItem: string[];
  edgeCategory: (string | null)[];
  edgeQuantity: Float64Array;
  edgeRevenue: Float64Array;
}

/**
 * Builds a PurchaseActivityBatch row by row, the one way both backends assemble it: `user` opens row r
 * (rows in order; a row left without a call stays empty), `purchase` adds a purchase edge to the open row.
 */
export class PurchaseActivityBuilder {
  private readonly b: PurchaseActivityBatch;
  private readonly qty: number[] = [];
  private readonly rev: number[] = [];
  private readonly times: number[] = [];
  private row = -1;

  constructor(private readonly n: number) {
    this.b = {
      userIds: new Array<string>(n).fill(''),
      orders: new Float64Array(n),
      orderStart: new Int32Array(n + 1),
      orderTimes: new Float64Array(0),
      firstPurchaseAt: new Float64Array(n),
      lastPurchaseAt: new Float64Array(n),
      views: new Float64Array(n),
      edgeStart: new Int32Array(n + 1),
      edgeItem: [],
      edgeCategory: [],
      edgeQuantity: new Float64Array(0),
      edgeRevenue: new Float64Array(0),
    };
  }

  /** Opens row r for a user; `orders`: the user's distinct purchase instants, ascending. */
  user(r: number, userId: string, orders: readonly number[] | null | undefined, views: number): void {
    this.seek(r);
    const b = this.b;
    b.userIds[r] = userId;
    if (orders && orders.length > 0) {
      b.orders[r] = orders.length;
      b.firstPurchaseAt[r] = orders[0]!;
      b.lastPurchaseAt[r] = orders[orders.length - 1]!;
      for (const t of orders) this.times.push(t);
    }
    b.views[r] = views;
  }

  /** Names row r without activity (an unknown user). */
  empty(r: number, userId: string): void {
    this.seek(r);
    this.b.userIds[r] = userId;
  }

  purchase(itemId: string, category: string | null, quantity: number, revenue: number): void {
    this.b.edgeItem.push(itemId);
    this.b.edgeCategory.push(category);
    this.qty.push(quantity);
    this.rev.push(revenue);
  }

  finish(): PurchaseActivityBatch {
    this.seek(this.n);
    const b = this.b;
    b.edgeQuantity = Float64Array.from(this.qty);
    b.edgeRevenue = Float64Array.from(this.rev);
    b.orderTimes = Float64Array.from(this.times);
    return b;
  }

  /** Closes the rows before r: their edges end where row r's begin. */
  private seek(r: number): void {
    for (let t = this.row + 1; t <= r; t++) {
      this.b.edgeStart[t] = this.b.edgeItem.length;
      this.b.orderStart[t] = this.times.length;
    }
    this.row = r;
  }
}

export interface SegmentMemberPage {
  userIds: string[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}
