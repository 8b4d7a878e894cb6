import type { ItemUpsertEvent } from '../../events/event';
import { AnomalyTable } from '../anomaly-table';
import { AppliedIds } from './applied-ids';
import type { EdgeState } from '../edge-rule';
import type { InteractionEdge, ItemNode } from '../stores/graph-reads';
import { SegmentMembership } from './segment-store';

/**
 * The state of the embedded graph that every concern works on (writes.ts, reads.ts, anomalies.ts,
 * segments.ts, erasure.ts, snapshot.ts): the whole user-item graph in memory, laid out for the read
 * paths. Users and items are interned to dense integer indexes; each keeps a Map of its edges keyed by
 * the other side's index, and both maps share the same edge objects (adjacency by user and by item).
 */
export interface Edge extends EdgeState {
  user: number;
  item: number;
}

export interface UserRecord {
  id: string;
  anonymous: boolean;
  first: number;
  last: number;
  events: number;
  edges: Map<number, Edge>;
  /** Item indexes with a positive edge, in the order they became positive. */
  positive: number[];
  /** Sorted distinct purchase timestamps (one per checkout), for segmentation features. */
  orders?: number[];
}

export interface ItemRecord {
  id: string;
  title: string | null;
  category: string | null;
  price: number | null;
  attributes: Record<string, string>;
  users: Map<number, Edge>;
  /** User indexes with a positive edge, excluded actors left out: the item's userCount. */
  positive: number[];
}

export class GraphState {
  readonly userIndex = new Map<string, number>();
  readonly users: UserRecord[] = [];
  readonly itemIndex = new Map<string, number>();
  readonly items: ItemRecord[] = [];
  readonly categories = new Map<string, Set<number>>();
  /** Idempotency keys of the events applied within the idempotency window (applied-ids.ts). */
  readonly appliedIds: AppliedIds;
  edgeCount = 0;
  eventsApplied = 0;
  /** Last log position whose events are applied. */
  position = -1;
  /** Item ids in order, for listItems; null when an item was added since. */
  sortedIds: string[] | null = null;
  /** Anomaly findings linked to users / items, and actors (bots) whose edges shape no one else's results. */
  anomalyTable: AnomalyTable;
  readonly excluded = new Set<number>();
  excludedDirty = false;
  segments = new SegmentMembership();
  /** Erasure list: actor id -> erasure time; snapshotted, applied to events replayed later. */
  readonly erased = new Map<string, number>();
  erasureDirty = false;

  constructor(
    readonly maxAnomalies?: number,
    idempotencyWindowMs?: number,
    clock?: () => number,
  ) {
    this.anomalyTable = new AnomalyTable(maxAnomalies);
    this.appliedIds = new AppliedIds(idempotencyWindowMs, clock);
  }

  internUser(id: string, anonymous: boolean): number {
    let idx = this.userIndex.get(id);
    if (idx === undefined) {
      idx = this.users.length;
      this.users.push({ id, anonymous, first: Infinity, last: -Infinity, events: 0, edges: new Map(), positive: [] });
      this.userIndex.set(id, idx);
    }
    return idx;
  }

  internItem(id: string): number {
    let idx = this.itemIndex.get(id);
    if (idx === undefined) {
      idx = this.items.length;
      this.items.push({ id, title: null, category: null, price: null, attributes: {}, users: new Map(), positive: [] });
      this.itemIndex.set(id, idx);
      this.sortedIds = null;
    }
    return idx;
  }

  /** A catalog upsert: the item's descriptive fields and its category set. */
  upsertItem(e: ItemUpsertEvent): void {
    const idx = this.internItem(e.itemId);
    const rec = this.items[idx]!;
    if (rec.category !== null && rec.category !== (e.category ?? null)) this.categories.get(rec.category)?.delete(idx);
    rec.title = e.title;
    rec.category = e.category ?? null;
    rec.price = e.price ?? null;
    rec.attributes = e.attributes ?? {};
    if (rec.category !== null) {
      let set = this.categories.get(rec.category);
      if (!set) this.categories.set(rec.category, (set = new Set()));
      set.add(idx);
    }
  }

  /** Links a new edge into both adjacency maps. */
  addEdge(user: number, item: number, s: EdgeState): Edge {
    const edge: Edge = {
      user,
      item,
      counts: s.counts,
      weight: s.weight,
      quantity: s.quantity,
      revenue: s.revenue,
      firstSeenAt: s.firstSeenAt,
      lastSeenAt: s.lastSeenAt,
      lastType: s.lastType,
    };
    this.users[user]!.edges.set(item, edge);
    this.items[item]!.users.set(user, edge);
    this.edgeCount++;
    return edge;
  }

  itemNode(idx: number): ItemNode {
    const r = this.items[idx]!;
    return {
      id: r.id,
      title: r.title ?? r.id,
      category: r.category,
      price: r.price,
      attributes: r.attributes,
      inCatalog: r.title !== null,
      userCount: r.positive.length,
    };
  }

  edgeView(e: Edge): InteractionEdge {
    return {
      userId: this.users[e.user]!.id,
      itemId: this.items[e.item]!.id,
      counts: { ...e.counts },
      weight: e.weight,
      quantity: e.quantity,
      revenue: e.revenue,
      firstSeenAt: e.firstSeenAt,
      lastSeenAt: e.lastSeenAt,
      lastType: e.lastType,
    };
  }

  /** Empties every structure (erasure reloads a filtered dump into it); the erasure list stays. */
  reset(): void {
    this.userIndex.clear();
    this.users.length = 0;
    this.itemIndex.clear();
    this.items.length = 0;
    this.categories.clear();
    this.appliedIds.clear();
    this.excluded.clear();
    this.edgeCount = 0;
    this.sortedIds = null;
    this.anomalyTable = new AnomalyTable(this.maxAnomalies);
    this.segments = new SegmentMembership();
  }
}

export function removeValue(arr: number[], v: number): void {
  const i = arr.lastIndexOf(v);
  if (i >= 0) arr.splice(i, 1);
}
