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
 *
 * A replica (`residentUsers` finite; ARCHITECTURE.md, "Past one machine") keeps the item side only, plus the
 * histories of at most `residentUsers` users, least recently asked for evicted first: it learns nothing
 * itself (its item model is shipped), so it needs no postings (an item's degree is shipped too,
 * `setDegree`), and a user's history is read from the graph when first asked for (`admitUser`). Events of
 * users not resident are kept for a short while (`RECENT_MS`), so a history read from a graph that has not
 * applied them yet still gets them.
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
  /**
   * Per item, a hash of its id: how rankings break ties between equal scores (linalg `topK`'s `tie`). Dense
   * indexes follow the order each process met the items in; the id is the same everywhere, so a replica and
   * its publisher (or two gateways) rank tied items alike.
   */
  tieRank: Uint32Array = new Uint32Array(1024);
  /** The latest event time seen: the clock that trending and cold-start decay against. */
  now = 0;
  interactions = 0;
  /** Bumped on every catalogue change, so derived indexes (content tokens) know to rebuild. */
  metaVersion = 0;
  /** Bumped on every positive event and shipped degree: what popularity rankings depend on changed. */
  changes = 0;
  private readonly listeners: ((user: number, item: number, isNew: boolean) => void)[] = [];
  /** Replica: recent events of users not resident, oldest first, for `admitUser` (bounded by RECENT_MS and RECENT_MAX). */
  private readonly recent: { at: number; actor: string; anonymous: boolean; item: number; type: InteractionType; ts: number }[] = [];
  private recentHead = 0;

  /**
   * @param residentUsers Infinity: every user's history, and the postings the item model learns from. A
   * number: a replica's bound on resident histories (see the class comment).
   */
  /** Whether this index keeps some users only (a replica) rather than every user and the postings. */
  readonly isReplica: boolean;

  constructor(
    readonly strengthOf: TypeWeights = DEFAULT_STRENGTH,
    private readonly trendHalfLifeMs = 7 * 86_400_000,
    readonly residentUsers = Infinity,
  ) {
    this.isReplica = Number.isFinite(residentUsers);
  }

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
    const { type, count } = this.edgeEvidence(edge);
    this.addInteraction(edge.userId, edge.userId.startsWith('session:'), i, type, edge.lastSeenAt, count);
  }

  /** An edge's strongest type, and the evidence its events added up to (from its per-type counts, one sum). */
  private edgeEvidence(edge: InteractionEdge): { type: InteractionType; count: number | undefined } {
    const c = edge.counts;
    const type: InteractionType = c.PURCHASE > 0 ? 'PURCHASE' : c.ADD_TO_CART > 0 ? 'ADD_TO_CART' : c.CLICK > 0 ? 'CLICK' : 'VIEW';
    const w = this.strengthOf;
    const count = c.PURCHASE * w.PURCHASE + c.ADD_TO_CART * w.ADD_TO_CART + c.CLICK * w.CLICK + c.VIEW * w.VIEW;
    return { type, count: count > 0 ? count : undefined };
  }

  applyItem(node: ItemNode): void {
    const m = this.items[this.internItem(node.id)]!;
    if (node.inCatalog) m.title = node.title;
    m.category = node.category;
    m.price = node.price;
    this.metaVersion++;
  }

  private addInteraction(actor: string, anonymous: boolean, i: number, type: InteractionType, ts: number, evidence?: number, trend = true): void {
    const w = this.strengthOf[type];
    if (!(w > 0)) {
      // Removals and zero-weight types create no positive edge, but they are the pair's latest event, as on
      // the graph's edge (its lastSeenAt, edge-rule.ts): a history read back from the graph then decays the
      // entry from the same time as the live one did.
      if (this.isReplica && !this.userIndex.has(actor)) this.remember(actor, anonymous, i, type, ts);
      else this.touchEntry(actor, i, ts);
      return;
    }
    this.changes++;
    if (ts > this.now) this.now = ts;
    if (trend) this.bumpTrend(i, ts);
    if (this.isReplica && !this.userIndex.has(actor)) {
      this.remember(actor, anonymous, i, type, ts);
      return;
    }
    const u = this.internUser(actor, anonymous);
    const h = this.users[u]!;
    if (ts > h.latest) h.latest = ts;
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
    this.interactions++;
    if (this.isReplica) return; // no postings: the item model is shipped
    let p = this.postings[i]!;
    const len = this.postingLen[i]!;
    if (len === p.length) {
      const next = new Int32Array(Math.max(4, p.length * 2));
      next.set(p);
      this.postings[i] = p = next;
    }
    p[len] = u;
    this.postingLen[i] = len + 1;
    for (const l of this.listeners) l(u, i, true);
  }

  private touchEntry(actor: string, i: number, ts: number): void {
    const u = this.userIndex.get(actor);
    if (u === undefined) return;
    const h = this.users[u]!;
    const at = h.items.subarray(0, h.n).lastIndexOf(i);
    if (at < 0 || ts <= h.last[at]!) return;
    h.last[at] = ts;
    if (ts > h.latest) h.latest = ts;
    h.version++;
  }

  /** Replica: an item's popularity (distinct shoppers) as its publisher counted it. */
  setDegree(i: number, degree: number): void {
    if (this.postingLen[i] === degree) return;
    this.postingLen[i] = degree;
    this.changes++;
  }

  /** Replica: whether the user's history is held (and marks it recently used). */
  touchUser(id: string): boolean {
    const u = this.userIndex.get(id);
    if (u === undefined) return false;
    this.userIndex.delete(id);
    this.userIndex.set(id, u); // a Map iterates in insertion order: the first key is the least recently used
    return true;
  }

  /**
   * Replica: makes a user resident with the history the graph holds (`edges`, in arrival order), then the
   * events of theirs seen meanwhile that the graph may not have applied yet (applying one twice changes
   * nothing a replica serves: latest time, strongest type and bought are idempotent). Evicts the least
   * recently used user when full. A no-op for a resident user.
   */
  admitUser(id: string, anonymous: boolean, edges: readonly InteractionEdge[]): void {
    if (this.userIndex.has(id)) return;
    this.internUser(id, anonymous);
    for (const e of edges) {
      if (e.weight <= 0) continue;
      const i = this.internItem(e.itemId);
      const { type, count } = this.edgeEvidence(e);
      this.addInteraction(id, anonymous, i, type, e.lastSeenAt, count, false);
    }
    for (let r = this.recentHead; r < this.recent.length; r++) {
      const e = this.recent[r]!;
      if (e.actor === id) this.addInteraction(id, anonymous, e.item, e.type, e.ts, undefined, false);
    }
  }

  /** Replica: keeps an event of a user not resident for RECENT_MS (at most RECENT_MAX events). */
  private remember(actor: string, anonymous: boolean, item: number, type: InteractionType, ts: number): void {
    const now = Date.now();
    this.recent.push({ at: now, actor, anonymous, item, type, ts });
    while (this.recentHead < this.recent.length && (this.recent.length - this.recentHead > RECENT_MAX || this.recent[this.recentHead]!.at < now - RECENT_MS))
      this.recentHead++;
    if (this.recentHead > 4096 && this.recentHead * 2 > this.recent.length) {
      this.recent.splice(0, this.recentHead);
      this.recentHead = 0;
    }
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
        const tie = new Uint32Array(this.postingLen.length);
        tie.set(this.tieRank);
        this.tieRank = tie;
      }
      this.tieRank[idx] = fnv1a(id);
    }
    return idx;
  }

  private internUser(id: string, anonymous: boolean): number {
    let idx = this.userIndex.get(id);
    if (idx === undefined && this.userIndex.size >= this.residentUsers) {
      // replica, full: the least recently used user's slot is reused
      const [evicted, slot] = this.userIndex.entries().next().value!;
      this.userIndex.delete(evicted);
      const h = this.users[slot]!;
      h.id = id;
      h.anonymous = anonymous;
      emptyHistory(h);
      this.userIndex.set(id, slot);
      return slot;
    }
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
    if (this.isReplica) {
      // no postings to leave; the history goes with the user's recent events (a later ask reads the graph again)
      for (let r = this.recentHead; r < this.recent.length; r++) if (this.recent[r]!.actor === id) this.recent[r]!.actor = '';
      const u = this.userIndex.get(id);
      if (u !== undefined) emptyHistory(this.users[u]!);
      return [];
    }
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
    emptyHistory(h);
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

/** Replica: how long, and for at most how many events, events of users not resident are kept (`admitUser`). */
export const RECENT_MS = 30_000;
export const RECENT_MAX = 200_000;

/** A history with no entries (its arrays kept for reuse); its version moves, so anything solved from it is stale. */
function emptyHistory(h: UserHistory): void {
  h.n = 0;
  h.latest = -Infinity;
  h.version++;
}

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

/** FNV-1a, 32 bits, over the UTF-16 code units of `s`: a cheap hash that is the same in every process. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < s.length; k++) {
    h ^= s.charCodeAt(k);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
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
