import { actorId, graphEvents, type FlywheelEvent, type InteractionType } from '../events/event';
import type { InteractionEdge, ItemNode } from '../graph/stores/graph-reads';

/**
 * The recommendation models' own compact view of the user-item graph, fed synchronously by every
 * applied batch (Ingestor.onApplied), so a request right after an event already sees it.
 *
 * Why a separate index instead of reading the GraphStore per request: the learned models need dense
 * integer ids and typed arrays (posting lists, histories) to stay fast at 50k items, and the store
 * seam is async and backend-specific. Everything here is plain arrays, so it can be rebuilt from any
 * store (see `bootstrap`) and handed to one.
 *
 * X (the implicit matrix) is binary: a (user, item) pair is "positive" once any non-negative event
 * links them. How strong it is (purchase > cart > click > view) is kept separately as `strength`
 * and only weighs the user's history at scoring time.
 */
export type TypeWeights = Record<InteractionType, number>;

/** History weight of an interaction by its strongest type (binary X, weighted affinity). */
export const DEFAULT_STRENGTH: TypeWeights = { PURCHASE: 1, ADD_TO_CART: 0.6, CLICK: 0.3, VIEW: 0.2, REMOVE_FROM_CART: 0 };

export interface UserHistory {
  id: string;
  anonymous: boolean;
  /** Item indexes in the order they became positive. */
  items: Int32Array;
  /** Latest interaction time per entry (ms). */
  last: Float64Array;
  /** Strongest type weight per entry. */
  strength: Float32Array;
  /** 1 when the user bought the item. */
  bought: Uint8Array;
  /**
   * How much evidence the entry has: the sum of the type weights of every positive event on it (3 purchases
   * = 3, a view = 0.2). The implicit matrix-factorisation model's confidence grows with it (als.ts).
   */
  count: Float32Array;
  n: number;
  latest: number;
  /** Bumped on every change of this history (an interaction applied, the user forgotten): what a cached fold-in was solved from. */
  version: number;
}

export interface ItemMeta {
  id: string;
  title: string | null;
  category: string | null;
  price: number | null;
}

export class InteractionIndex {
  readonly itemIndex = new Map<string, number>();
  readonly items: ItemMeta[] = [];
  /** Users positive on each item, as growable Int32 posting lists. */
  postings: Int32Array[] = [];
  postingLen: Int32Array = new Int32Array(1024);
  readonly userIndex = new Map<string, number>();
  readonly users: UserHistory[] = [];
  /** Exponentially decayed event count per item (trending), and when it was last decayed. */
  trend: Float64Array = new Float64Array(1024);
  trendAt: Float64Array = new Float64Array(1024);
  /** The latest event time seen: the clock that trending and cold-start decay against. */
  now = 0;
  interactions = 0;
  /** Bumped on every catalogue change, so derived indexes (content tokens) know to rebuild. */
  metaVersion = 0;
  private readonly listeners: ((user: number, item: number, isNew: boolean) => void)[] = [];

  constructor(
    readonly strengthOf: TypeWeights = DEFAULT_STRENGTH,
    private readonly trendHalfLifeMs = 7 * 86_400_000,
  ) {}

  /** Called once per interaction that reached the index (after it is visible). */
  onInteraction(listener: (user: number, item: number, isNew: boolean) => void): void {
    this.listeners.push(listener);
  }

  get itemCount(): number {
    return this.items.length;
  }

  apply(events: readonly FlywheelEvent[]): void {
    // The index mirrors the graph: it takes what the graph applies and nothing else (no impressions).
    for (const e of graphEvents(events)) {
      if (e.kind === 'item') {
        const m = this.items[this.internItem(e.itemId)]!;
        m.title = e.title;
        m.category = e.category ?? null;
        m.price = e.price ?? m.price;
        this.metaVersion++;
        continue;
      }
      const i = this.internItem(e.itemId);
      if (e.price !== undefined && this.items[i]!.price === null) this.items[i]!.price = e.price;
      this.addInteraction(actorId(e), e.userId === undefined, i, e.type, e.timestamp);
    }
  }

  /** Rebuilds from a store's edges (after a snapshot restore, when no events are replayed). */
  applyEdge(edge: InteractionEdge): void {
    if (edge.weight <= 0) return;
    const i = this.internItem(edge.itemId);
    const c = edge.counts;
    const type: InteractionType = c.PURCHASE > 0 ? 'PURCHASE' : c.ADD_TO_CART > 0 ? 'ADD_TO_CART' : c.CLICK > 0 ? 'CLICK' : 'VIEW';
    const w = this.strengthOf;
    // the edge's per-type counts give back the evidence its events added up to (one call, one sum)
    const count = c.PURCHASE * w.PURCHASE + c.ADD_TO_CART * w.ADD_TO_CART + c.CLICK * w.CLICK + c.VIEW * w.VIEW;
    this.addInteraction(edge.userId, edge.userId.startsWith('session:'), i, type, edge.lastSeenAt, count > 0 ? count : undefined);
  }

  applyItem(node: ItemNode): void {
    const m = this.items[this.internItem(node.id)]!;
    if (node.inCatalog) m.title = node.title;
    m.category = node.category;
    m.price = node.price;
    this.metaVersion++;
  }

  private addInteraction(actor: string, anonymous: boolean, i: number, type: InteractionType, ts: number, evidence?: number): void {
    const w = this.strengthOf[type];
    if (!(w > 0)) return; // removals and zero-weight types do not create positive edges
    const u = this.internUser(actor, anonymous);
    const h = this.users[u]!;
    if (ts > h.latest) h.latest = ts;
    if (ts > this.now) this.now = ts;
    this.bumpTrend(i, ts);
    const at = h.items.subarray(0, h.n).lastIndexOf(i);
    if (at >= 0) {
      if (ts > h.last[at]!) h.last[at] = ts;
      if (w > h.strength[at]!) h.strength[at] = w;
      if (type === 'PURCHASE') h.bought[at] = 1;
      h.count[at]! += evidence ?? w;
      h.version++;
      for (const l of this.listeners) l(u, i, false);
      return;
    }
    if (h.n === h.items.length) growHistory(h);
    h.items[h.n] = i;
    h.last[h.n] = ts;
    h.strength[h.n] = w;
    h.bought[h.n] = type === 'PURCHASE' ? 1 : 0;
    h.count[h.n] = evidence ?? w;
    h.n++;
    h.version++;
    let p = this.postings[i]!;
    const len = this.postingLen[i]!;
    if (len === p.length) {
      const next = new Int32Array(Math.max(4, p.length * 2));
      next.set(p);
      this.postings[i] = p = next;
    }
    p[len] = u;
    this.postingLen[i] = len + 1;
    this.interactions++;
    for (const l of this.listeners) l(u, i, true);
  }

  private bumpTrend(i: number, ts: number): void {
    const at = this.trendAt[i]!;
    const decay = at > 0 ? Math.pow(0.5, Math.max(0, ts - at) / this.trendHalfLifeMs) : 1;
    this.trend[i] = this.trend[i]! * decay + 1;
    if (ts > at) this.trendAt[i] = ts;
  }

  /** Trending score at the index's clock (decayed event count). */
  trendScore(i: number): number {
    return this.trend[i]! * Math.pow(0.5, Math.max(0, this.now - this.trendAt[i]!) / this.trendHalfLifeMs);
  }

  internItem(id: string): number {
    let idx = this.itemIndex.get(id);
    if (idx === undefined) {
      idx = this.items.length;
      this.items.push({ id, title: null, category: null, price: null });
      this.itemIndex.set(id, idx);
      this.postings.push(EMPTY);
      if (idx >= this.postingLen.length) {
        this.postingLen = growInt(this.postingLen, idx + 1);
        this.trend = growFloat(this.trend, idx + 1);
        this.trendAt = growFloat(this.trendAt, idx + 1);
      }
    }
    return idx;
  }

  private internUser(id: string, anonymous: boolean): number {
    let idx = this.userIndex.get(id);
    if (idx === undefined) {
      idx = this.users.length;
      this.users.push({
        id,
        anonymous,
        items: new Int32Array(4),
        last: new Float64Array(4),
        strength: new Float32Array(4),
        bought: new Uint8Array(4),
        count: new Float32Array(4),
        n: 0,
        latest: -Infinity,
        version: 0,
      });
      this.userIndex.set(id, idx);
    }
    return idx;
  }

  /**
   * Forgets every interaction of a user (bot flagged, or erased): their history empties and they leave
   * every item's posting list. Returns the items whose co-occurrences changed.
   */
  removeUser(id: string): number[] {
    const u = this.userIndex.get(id);
    if (u === undefined) return [];
    const h = this.users[u]!;
    const touched = Array.from(h.items.subarray(0, h.n));
    for (const i of touched) {
      const p = this.postings[i]!;
      const len = this.postingLen[i]!;
      const at = p.subarray(0, len).indexOf(u);
      if (at < 0) continue;
      p[at] = p[len - 1]!; // order within a posting list carries no meaning
      this.postingLen[i] = len - 1;
      this.interactions--;
    }
    h.n = 0;
    h.latest = -Infinity;
    h.version++;
    return touched;
  }

  user(id: string): UserHistory | undefined {
    const u = this.userIndex.get(id);
    return u === undefined ? undefined : this.users[u];
  }

  degree(i: number): number {
    return this.postingLen[i]!;
  }
}

const EMPTY = new Int32Array(0);

function growHistory(h: UserHistory): void {
  const cap = h.items.length * 2;
  const items = new Int32Array(cap);
  items.set(h.items);
  const last = new Float64Array(cap);
  last.set(h.last);
  const strength = new Float32Array(cap);
  strength.set(h.strength);
  const bought = new Uint8Array(cap);
  bought.set(h.bought);
  const count = new Float32Array(cap);
  count.set(h.count);
  h.items = items;
  h.last = last;
  h.strength = strength;
  h.bought = bought;
  h.count = count;
}

export function growInt(a: Int32Array, min: number): Int32Array {
  const b = new Int32Array(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}

export function growFloat(a: Float64Array, min: number): Float64Array {
  const b = new Float64Array(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}
