import { decodeCursor, encodeCursor, type PurchaseActivityBatch, type SegmentMemberPage, type TypeCounts } from '../graph-store';
import { PurchaseActivityBuilder } from '../stores/segments';

/**
 * Segment storage of the embedded graph: the `(:User)-[:IN_SEGMENT]->(:Segment)` relation as one
 * dense array of segment numbers indexed by the graph's user index, the segment model blob, and the
 * columnar purchase-activity reads segmentation features are computed from. Kept apart from
 * memory-graph.ts, which only delegates to it.
 */

/** The parts of the graph's user / item records these reads need. */
export interface ActivityUser {
  id: string;
  /** Sorted distinct purchase timestamps (one per checkout). */
  orders?: number[];
  edges: Map<number, { item: number; counts: TypeCounts; quantity: number; revenue: number }>;
}
export interface ActivityItem {
  id: string;
  category: string | null;
}

/** Activity rows for user indexes (-1: unknown user, an empty row with `unknownId`). */
export function buildActivity(
  users: readonly ActivityUser[],
  items: readonly ActivityItem[],
  indexes: ArrayLike<number>,
  unknownIds?: readonly string[],
): PurchaseActivityBatch {
  const b = new PurchaseActivityBuilder(indexes.length);
  for (let r = 0; r < indexes.length; r++) {
    const u = indexes[r]!;
    if (u < 0) {
      b.empty(r, unknownIds?.[r] ?? '');
      continue;
    }
    const user = users[u]!;
    let views = 0;
    for (const e of user.edges.values()) views += e.counts.VIEW;
    b.user(r, user.id, user.orders, views);
    for (const e of user.edges.values())
      if (e.counts.PURCHASE > 0) {
        const item = items[e.item]!;
        b.purchase(item.id, item.category, e.quantity, e.revenue);
      }
  }
  return b.finish();
}

/** Snapshot form of the segment data (see GraphSnapshot.segments). */
export interface SegmentSnapshot {
  model: unknown;
  ids: string[];
  /** Segment number per user index (-1: none). */
  of: number[];
}

export class SegmentMembership {
  private ids: string[] = [];
  private readonly index = new Map<string, number>();
  private of: Int32Array = new Int32Array(0);
  private counts: number[] = [];
  model: unknown = null;
  /** Changed since the last snapshot. */
  dirty = false;

  private lastId: string | null = null;
  private lastNumber = -1;

  private number(segmentId: string): number {
    // Bulk writes repeat a handful of ids: skip the map for a repeat of the previous one.
    if (segmentId === this.lastId) return this.lastNumber;
    let s = this.index.get(segmentId);
    if (s === undefined) {
      s = this.ids.length;
      this.ids.push(segmentId);
      this.index.set(segmentId, s);
      this.counts.push(0);
    }
    this.lastId = segmentId;
    this.lastNumber = s;
    return s;
  }

  private ensure(userCount: number): void {
    if (this.of.length >= userCount) return;
    const next = new Int32Array(Math.max(userCount, Math.ceil(this.of.length * 1.5), 1024)).fill(-1);
    next.set(this.of);
    this.of = next;
  }

  set(user: number, segmentId: string | null, userCount: number): void {
    this.ensure(userCount);
    const s = segmentId === null ? -1 : this.number(segmentId);
    const old = this.of[user]!;
    if (old === s) return;
    if (old >= 0) this.counts[old]!--;
    if (s >= 0) this.counts[s]!++;
    this.of[user] = s;
    this.dirty = true;
  }

  get(user: number): string | null {
    const s = user < this.of.length ? this.of[user]! : -1;
    return s >= 0 ? this.ids[s]! : null;
  }

  sizes(): Map<string, number> {
    const out = new Map<string, number>();
    this.ids.forEach((id, s) => {
      if (this.counts[s]! > 0) out.set(id, this.counts[s]!);
    });
    return out;
  }

  /** Members in user-index (first seen) order: stable under inserts; the cursor is the last user's id. */
  page(
    segmentId: string,
    first: number,
    after: string | undefined,
    userIndex: (id: string) => number | undefined,
    userId: (u: number) => string,
  ): SegmentMemberPage {
    const s = this.index.get(segmentId);
    const total = s === undefined ? 0 : this.counts[s]!;
    if (s === undefined || total === 0) return { userIds: [], totalCount: 0, hasNextPage: false, endCursor: null };
    let start = 0;
    if (after !== undefined) {
      const u = userIndex(decodeCursor(after));
      start = u === undefined ? this.of.length : u + 1;
    }
    const out: string[] = [];
    let u = start;
    for (; u < this.of.length && out.length < first; u++) if (this.of[u] === s) out.push(userId(u));
    let hasNextPage = false;
    for (; u < this.of.length; u++) {
      if (this.of[u] === s) {
        hasNextPage = true;
        break;
      }
    }
    return { userIds: out, totalCount: total, hasNextPage, endCursor: out.length > 0 ? encodeCursor(out[out.length - 1]!) : null };
  }

  dump(userCount: number): SegmentSnapshot | undefined {
    if (this.model === null && this.ids.length === 0) return undefined;
    const of = new Array<number>(userCount);
    for (let u = 0; u < userCount; u++) of[u] = u < this.of.length ? this.of[u]! : -1;
    return { model: this.model, ids: [...this.ids], of };
  }

  load(snap: SegmentSnapshot | undefined, userCount: number): void {
    if (!snap) return;
    this.model = snap.model;
    snap.ids.forEach((id) => this.number(id));
    this.ensure(userCount);
    snap.of.forEach((s, u) => {
      if (s >= 0 && s < this.ids.length) this.set(u, this.ids[s]!, userCount);
    });
    this.dirty = false;
  }
}
