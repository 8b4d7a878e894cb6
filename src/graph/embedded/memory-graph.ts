import { actorId, type FlywheelEvent, type InteractionEvent, type InteractionType, type ItemUpsertEvent } from '../../events/event';
import { idempotencyKey } from '../../events/idempotency';
import {
  DEFAULT_TYPE_WEIGHTS,
  decodeCursor,
  emptyCounts,
  encodeCursor,
  type ApplySummary,
  type CategoryNode,
  type GraphStats,
  type GraphStore,
  type InteractionEdge,
  type ItemNeighbor,
  type ItemNode,
  type ItemPage,
  type ItemQuery,
  type PopularQuery,
  type PurchaseActivityBatch,
  type SegmentMemberPage,
  type ScoredItem,
  type TypeCounts,
  type UserNode,
  type AnomalyPage,
  type AnomalyQuery,
  type AnomalyRecord,
  type EraseOptions,
  type ErasureReport,
  redactIds,
} from '../graph-store';
import { AnomalyTable } from '../anomaly-table';
import { DEFAULT_SIMILARITY_OPTIONS, ItemSimilarity, type SimilarityGraph, type SimilarityOptions } from './item-similarity';
import { readSnapshot, writeSnapshot, type GraphSnapshot } from './snapshot';
import { buildActivity, recordOrder, SegmentMembership } from './segment-store';

/**
 * The embedded graph store: the whole user-item graph in memory, laid out for the recommendation read
 * paths. Users and items are interned to dense integer indexes; each keeps a Map of its edges keyed by
 * the other side's index, and both maps share the same edge objects (adjacency by user and by item).
 *
 * Durability comes from the event log: a snapshot records the log position it covers, and on start the
 * ingestor replays the log after that position. Between snapshots nothing is lost, only replayed.
 */
interface Edge {
  user: number;
  item: number;
  counts: TypeCounts;
  weight: number;
  quantity: number;
  revenue: number;
  first: number;
  last: number;
  lastType: InteractionType;
}

interface UserRecord {
  id: string;
  anonymous: boolean;
  first: number;
  last: number;
  events: number;
  edges: Map<number, Edge>;
  /** Item indexes with a positive edge, in the order they became positive (bounded reads sample it). */
  positive: number[];
  /** Sorted distinct purchase timestamps (one per checkout), for segmentation features. */
  orders?: number[];
}

interface ItemRecord {
  id: string;
  title: string | null;
  category: string | null;
  price: number | null;
  attributes: Record<string, string>;
  users: Map<number, Edge>;
  positive: number[];
}

export interface MemoryGraphOptions {
  /** Where snapshots go; no snapshots when undefined (tests, eval). */
  snapshotPath?: string;
  typeWeights?: TypeCounts;
  similarity?: Partial<SimilarityOptions>;
  /** How stale the cached popularity ranking may be before it is rebuilt. */
  popularityMaxAgeMs?: number;
  /** Anomaly findings kept (oldest dropped first). */
  maxAnomalies?: number;
}

export class MemoryGraph implements GraphStore, SimilarityGraph {
  readonly backend = 'embedded' as const;

  private readonly userIndex = new Map<string, number>();
  private readonly users: UserRecord[] = [];
  private readonly itemIndex = new Map<string, number>();
  private readonly items: ItemRecord[] = [];
  private readonly categories = new Map<string, Set<number>>();
  private readonly appliedIds = new Set<string>();
  private readonly weights: TypeCounts;
  private readonly similarity: ItemSimilarity;
  private edgeCount = 0;
  private eventsApplied = 0;
  private position = -1;
  private snapshotPosition = -1;

  private popularCache: { at: number; ranked: number[] } | null = null;
  private popularDirty = true;
  private readonly popularityMaxAgeMs: number;
  private sortedIds: string[] | null = null;
  /** Anomaly findings linked to users / items, and actors (bots) whose edges shape no one else's results. */
  private anomalyTable: AnomalyTable;
  private readonly excluded = new Set<number>();
  private excludedDirty = false;
  /** Erasure list: actor id -> erasure time; snapshotted, applied to events replayed later. */
  private readonly erased = new Map<string, number>();
  private erasureDirty = false;
  /** Snapshots are written one at a time, in call order (an erasure must not be overwritten by an older dump). */
  private checkpointChain: Promise<void> = Promise.resolve();

  constructor(private readonly options: MemoryGraphOptions = {}) {
    this.weights = options.typeWeights ?? DEFAULT_TYPE_WEIGHTS;
    this.similarity = new ItemSimilarity(this, { ...DEFAULT_SIMILARITY_OPTIONS, ...options.similarity });
    this.popularityMaxAgeMs = options.popularityMaxAgeMs ?? 1000;
    this.anomalyTable = new AnomalyTable(options.maxAnomalies);
  }

  /** Loads the snapshot if there is one; returns the log position it covers (-1 for none). */
  async restore(): Promise<number> {
    if (!this.options.snapshotPath) return -1;
    const snap = await readSnapshot(this.options.snapshotPath);
    if (!snap) return -1;
    this.load(snap);
    return this.position;
  }

  durablePosition(): number | undefined {
    return this.snapshotPosition;
  }

  async checkpoint(): Promise<void> {
    const run = this.checkpointChain.then(() => this.checkpointNow());
    this.checkpointChain = run.catch(() => undefined);
    return run;
  }

  private async checkpointNow(): Promise<void> {
    if (!this.options.snapshotPath || (this.position === this.snapshotPosition && !this.anomalyTable.dirty && !this.excludedDirty && !this.segments.dirty && !this.erasureDirty)) return;
    const position = this.position;
    this.erasureDirty = false;
    await writeSnapshot(this.options.snapshotPath, this.dump());
    this.snapshotPosition = position;
    this.excludedDirty = false;
    this.segments.dirty = false;
  }

  async close(): Promise<void> {
    await this.checkpoint();
  }

  // ---- writes ---------------------------------------------------------------------------------

  async applyEvents(events: readonly FlywheelEvent[], logPosition?: number): Promise<ApplySummary> {
    return this.applySync(events, logPosition);
  }

  /** Synchronous core of applyEvents: the whole batch lands in one turn of the event loop. */
  applySync(events: readonly FlywheelEvent[], logPosition?: number): ApplySummary {
    let applied = 0;
    let duplicates = 0;
    const touchedUsers = new Set<string>();
    const touchedItems = new Set<string>();
    for (const e of events) {
      const key = idempotencyKey(e);
      if (this.appliedIds.has(key)) {
        duplicates++;
        continue;
      }
      // An erased actor's events from before the erasure (a replayed log) are not applied again.
      if (e.kind === 'interaction' && this.erased.size > 0) {
        const at = this.erased.get(actorId(e));
        if (at !== undefined && e.timestamp <= at) continue;
      }
      this.appliedIds.add(key);
      if (e.kind === 'item') this.applyItem(e);
      else touchedUsers.add(this.applyInteraction(e));
      touchedItems.add(e.itemId);
      applied++;
    }
    this.eventsApplied += applied;
    if (logPosition !== undefined && logPosition > this.position) this.position = logPosition;
    return { applied, duplicates, touchedUsers: [...touchedUsers], touchedItems: [...touchedItems] };
  }

  private applyItem(e: ItemUpsertEvent): void {
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
    this.popularDirty = true;
  }

  /** Returns the actor id. */
  private applyInteraction(e: InteractionEvent): string {
    const actor = actorId(e);
    const u = this.internUser(actor, e.userId === undefined);
    const i = this.internItem(e.itemId);
    const user = this.users[u]!;
    const item = this.items[i]!;
    user.events++;
    if (e.timestamp < user.first) user.first = e.timestamp;
    if (e.timestamp > user.last) user.last = e.timestamp;

    let edge = user.edges.get(i);
    if (!edge) {
      edge = { user: u, item: i, counts: emptyCounts(), weight: 0, quantity: 0, revenue: 0, first: e.timestamp, last: e.timestamp, lastType: e.type };
      user.edges.set(i, edge);
      item.users.set(u, edge);
      this.edgeCount++;
    }
    const wasPositive = edge.weight > 0;
    edge.counts[e.type]++;
    edge.weight = Math.max(0, edge.weight + this.weights[e.type]);
    if (e.type === 'PURCHASE') {
      user.orders = recordOrder(user.orders, e.timestamp);
      const q = e.quantity ?? 1;
      edge.quantity += q;
      edge.revenue += q * (e.price ?? item.price ?? 0);
      if (item.price === null && e.price !== undefined) item.price = e.price;
    }
    if (e.timestamp >= edge.last) {
      edge.last = e.timestamp;
      edge.lastType = e.type;
    }
    if (e.timestamp < edge.first) edge.first = e.timestamp;

    const isPositive = edge.weight > 0;
    if (isPositive !== wasPositive) {
      if (isPositive) {
        user.positive.push(i);
        if (!this.excluded.has(u)) item.positive.push(u);
      } else {
        removeValue(user.positive, i);
        removeValue(item.positive, u);
      }
      // The item's co-occurrence with everything this user touched has changed.
      this.similarity.invalidate(i);
      const hist = user.positive;
      for (let h = Math.max(0, hist.length - DEFAULT_SIMILARITY_OPTIONS.maxItemsPerUser); h < hist.length; h++) {
        this.similarity.invalidate(hist[h]!);
      }
      this.popularDirty = true;
    }
    return actor;
  }

  private internUser(id: string, anonymous: boolean): number {
    let idx = this.userIndex.get(id);
    if (idx === undefined) {
      idx = this.users.length;
      this.users.push({ id, anonymous, first: Infinity, last: -Infinity, events: 0, edges: new Map(), positive: [] });
      this.userIndex.set(id, idx);
    }
    return idx;
  }

  private internItem(id: string): number {
    let idx = this.itemIndex.get(id);
    if (idx === undefined) {
      idx = this.items.length;
      this.items.push({ id, title: null, category: null, price: null, attributes: {}, users: new Map(), positive: [] });
      this.itemIndex.set(id, idx);
      this.sortedIds = null;
    }
    return idx;
  }

  // ---- reads ----------------------------------------------------------------------------------

  async getItems(ids: readonly string[]): Promise<(ItemNode | null)[]> {
    return ids.map((id) => {
      const idx = this.itemIndex.get(id);
      return idx === undefined ? null : this.itemNode(idx);
    });
  }

  async getCategories(names: readonly string[]): Promise<(CategoryNode | null)[]> {
    return names.map((name) => {
      const set = this.categories.get(name);
      return set && set.size > 0 ? { name, itemCount: set.size } : null;
    });
  }

  async getUsers(ids: readonly string[]): Promise<(UserNode | null)[]> {
    return ids.map((id) => {
      const idx = this.userIndex.get(id);
      if (idx === undefined) return null;
      const u = this.users[idx]!;
      return { id: u.id, anonymous: u.anonymous, firstSeenAt: u.first, lastSeenAt: u.last, itemCount: u.edges.size, eventCount: u.events };
    });
  }

  async getInteractions(userIds: readonly string[], first: number): Promise<InteractionEdge[][]> {
    return userIds.map((id) => {
      const idx = this.userIndex.get(id);
      if (idx === undefined) return [];
      const edges = [...this.users[idx]!.edges.values()];
      edges.sort((a, b) => b.last - a.last);
      if (edges.length > first) edges.length = first;
      return edges.map((e) => this.edgeView(e));
    });
  }

  async *scanInteractions(batchSize: number): AsyncIterable<InteractionEdge[]> {
    let batch: InteractionEdge[] = [];
    for (const u of this.users) {
      for (const e of u.edges.values()) {
        if (e.weight <= 0 || this.excluded.has(e.user)) continue;
        batch.push(this.edgeView(e));
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield batch;
  }

  async listItems(query: ItemQuery): Promise<ItemPage> {
    if (!this.sortedIds) this.sortedIds = [...this.itemIndex.keys()].sort();
    const cats = query.categories && query.categories.length > 0 ? new Set(query.categories) : null;
    const needle = query.search?.toLowerCase();
    const matches = (id: string): boolean => {
      const rec = this.items[this.itemIndex.get(id)!]!;
      if (cats && (rec.category === null || !cats.has(rec.category))) return false;
      if (needle && !id.toLowerCase().includes(needle) && !(rec.title ?? '').toLowerCase().includes(needle)) return false;
      return true;
    };
    const ids = cats || needle ? this.sortedIds.filter(matches) : this.sortedIds;
    let start = 0;
    if (query.after) start = upperBound(ids, decodeCursor(query.after));
    const page = ids.slice(start, start + query.first);
    return {
      items: page.map((id) => this.itemNode(this.itemIndex.get(id)!)),
      totalCount: ids.length,
      hasNextPage: start + query.first < ids.length,
      endCursor: page.length > 0 ? encodeCursor(page[page.length - 1]!) : null,
    };
  }

  async getItemNeighbors(itemIds: readonly string[], k: number): Promise<ItemNeighbor[][]> {
    return itemIds.map((id) => {
      const idx = this.itemIndex.get(id);
      return idx === undefined ? [] : this.similarity.neighborsOf(idx, k);
    });
  }

  async popularItems(query: PopularQuery): Promise<ScoredItem[]> {
    const now = Date.now();
    if (!this.popularCache || (this.popularDirty && now - this.popularCache.at > this.popularityMaxAgeMs)) {
      const ranked = this.items.map((_, i) => i).filter((i) => this.items[i]!.positive.length > 0);
      ranked.sort((a, b) => this.items[b]!.positive.length - this.items[a]!.positive.length || (this.items[a]!.id < this.items[b]!.id ? -1 : 1));
      this.popularCache = { at: now, ranked };
      this.popularDirty = false;
    }
    const cats = query.categories && query.categories.length > 0 ? new Set(query.categories) : null;
    const exclude = new Set(query.excludeItemIds ?? []);
    const out: ScoredItem[] = [];
    for (const i of this.popularCache.ranked) {
      const rec = this.items[i]!;
      if (exclude.has(rec.id)) continue;
      if (cats && (rec.category === null || !cats.has(rec.category))) continue;
      out.push({ itemId: rec.id, score: rec.positive.length });
      if (out.length >= query.first) break;
    }
    return out;
  }

  async stats(): Promise<GraphStats> {
    let categories = 0;
    for (const set of this.categories.values()) if (set.size > 0) categories++;
    return { users: this.users.length, items: this.items.length, categories, edges: this.edgeCount, eventsApplied: this.eventsApplied };
  }

  /** Counters for tests and metrics: how many neighbour lists were (re)computed. */
  similarityComputations(): number {
    return this.similarity.computations;
  }

  // ---- anomaly flags ------------------------------------------------------------------------

  async putAnomalies(records: readonly AnomalyRecord[]): Promise<AnomalyRecord[]> {
    return this.anomalyTable.put(records);
  }

  async getAnomalies(ids: readonly string[]): Promise<(AnomalyRecord | null)[]> {
    return ids.map((id) => this.anomalyTable.get(id));
  }

  async listAnomalies(query: AnomalyQuery): Promise<AnomalyPage> {
    return this.anomalyTable.list(query);
  }

  async acknowledgeAnomaly(id: string, acknowledged = true): Promise<AnomalyRecord | null> {
    return this.anomalyTable.acknowledge(id, acknowledged);
  }

  async setActorExcluded(actorId: string, excluded: boolean): Promise<boolean> {
    return this.setActorExcludedSync(actorId, excluded);
  }

  /** An excluded actor's positive edges leave the items' user lists (similarity, popularity, userCount). */
  setActorExcludedSync(actorId: string, excluded: boolean): boolean {
    const u = this.internUser(actorId, actorId.startsWith('session:'));
    if (this.excluded.has(u) === excluded) return false;
    if (excluded) this.excluded.add(u);
    else this.excluded.delete(u);
    for (const i of this.users[u]!.positive) {
      if (excluded) removeValue(this.items[i]!.positive, u);
      else this.items[i]!.positive.push(u);
      this.similarity.invalidate(i);
    }
    this.popularCache = null;
    this.excludedDirty = true;
    return true;
  }

  async excludedActors(): Promise<string[]> {
    return [...this.excluded].map((u) => this.users[u]!.id);
  }

  // ---- customer segments -------------------------------------------------------------

  private segments = new SegmentMembership();

  async getPurchaseActivity(userIds: readonly string[]): Promise<PurchaseActivityBatch> {
    return buildActivity(this.users, this.items, userIds.map((id) => this.userIndex.get(id) ?? -1), userIds);
  }

  async *scanPurchaseActivity(batchSize = 20_000): AsyncIterable<PurchaseActivityBatch> {
    for (let start = 0; start < this.users.length; start += batchSize) {
      if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const end = Math.min(this.users.length, start + batchSize);
      const rows = new Int32Array(end - start);
      for (let r = 0; r < rows.length; r++) rows[r] = start + r;
      yield buildActivity(this.users, this.items, rows);
    }
  }

  async getSegmentModel(): Promise<unknown> {
    return this.segments.model;
  }

  async setSegmentModel(model: unknown): Promise<void> {
    this.segments.model = model;
    this.segments.dirty = true;
  }

  async setUserSegments(userIds: readonly string[], segmentIds: readonly (string | null)[]): Promise<void> {
    userIds.forEach((id, r) => {
      const u = this.userIndex.get(id);
      if (u !== undefined) this.segments.set(u, segmentIds[r] ?? null, this.users.length);
    });
  }

  async getUserSegments(userIds: readonly string[]): Promise<(string | null)[]> {
    return userIds.map((id) => this.peekUserSegment(id));
  }

  peekUserSegment(userId: string): string | null {
    const u = this.userIndex.get(userId);
    return u === undefined ? null : this.segments.get(u);
  }

  async listSegmentMembers(segmentId: string, first: number, after?: string): Promise<SegmentMemberPage> {
    return this.segments.page(segmentId, first, after, (id) => this.userIndex.get(id), (u) => this.users[u]!.id);
  }

  async segmentSizes(): Promise<Map<string, number>> {
    return this.segments.sizes();
  }

  // ---- privacy ------------------------------------------------------------------------

  async eraseUser(userId: string, options: EraseOptions = {}): Promise<ErasureReport> {
    return this.eraseSync(userId, options);
  }

  async erasedActors(): Promise<Map<string, number>> {
    return new Map(this.erased);
  }

  /**
   * Erasure rebuilds the graph from its own dump without the actors: every derived structure (item user
   * lists, popularity, similarity caches, category sets, segment arrays, anomaly indexes) is rebuilt the
   * way a snapshot restore builds it, so nothing they contributed survives. O(graph), synchronous (no
   * event is applied half-way), rare (an admin request).
   */
  eraseSync(userId: string, options: EraseOptions = {}): ErasureReport {
    const at = options.at ?? Date.now();
    const actors = [userId, ...(options.sessions ?? []).map((s) => `session:${s}`)];
    for (const a of actors) this.erased.set(a, Math.max(at, this.erased.get(a) ?? 0));
    this.erasureDirty = true;
    const drop = new Set<number>();
    for (const a of actors) {
      const u = this.userIndex.get(a);
      if (u !== undefined) drop.add(u);
    }
    const actorSet = new Set(actors);
    const snap = this.dump();
    const itemsAffected = new Set<string>();
    let interactionsRemoved = 0;
    let segmentMemberships = 0;
    let anomaliesRemoved = 0;
    let anomaliesRedacted = 0;
    let eventsRemoved = 0;
    for (const u of drop) {
      eventsRemoved += this.users[u]!.events;
      for (const e of this.users[u]!.edges.values()) {
        interactionsRemoved++;
        itemsAffected.add(this.items[e.item]!.id);
      }
      if (this.segments.get(u) !== null) segmentMemberships++;
    }
    const remap = new Int32Array(this.users.length);
    let next = 0;
    for (let u = 0; u < this.users.length; u++) remap[u] = drop.has(u) ? -1 : next++;
    snap.users = snap.users.filter((_, u) => !drop.has(u));
    snap.edges = snap.edges.filter((e) => !drop.has(e[0])).map((e) => {
      e[0] = remap[e[0]]!;
      return e;
    });
    snap.orders = (snap.orders ?? []).filter(([u]) => !drop.has(u)).map(([u, o]) => [remap[u]!, o]);
    if (snap.segments) snap.segments = { ...snap.segments, of: snap.segments.of.filter((_, u) => !drop.has(u)) };
    if (snap.anomalies) {
      const records: typeof snap.anomalies.records = [];
      for (const [seq, rec] of snap.anomalies.records) {
        if ((rec.userId !== null && actorSet.has(rec.userId)) || actorSet.has(rec.entityId)) {
          anomaliesRemoved++;
          continue;
        }
        const message = redactIds(rec.message, actors);
        const evidence = rec.evidence === null ? null : redactIds(rec.evidence, actors);
        if (message !== rec.message || evidence !== rec.evidence) anomaliesRedacted++;
        records.push([seq, { ...rec, message, evidence }]);
      }
      snap.anomalies = { ...snap.anomalies, records, excludedActors: snap.anomalies.excludedActors.filter((a) => !actorSet.has(a)) };
    }
    if (options.eventIds && options.eventIds.length > 0) {
      const ids = new Set(options.eventIds);
      snap.appliedIds = snap.appliedIds.filter((id) => !ids.has(id));
    }
    snap.eventsApplied = Math.max(0, snap.eventsApplied - eventsRemoved);
    const snapshotPosition = this.snapshotPosition;
    this.reset();
    this.load(snap);
    this.snapshotPosition = snapshotPosition;
    return {
      actors,
      found: drop.size > 0,
      interactionsRemoved,
      itemsAffected: [...itemsAffected].sort(),
      segmentMemberships,
      anomaliesRemoved,
      anomaliesRedacted,
    };
  }

  /** Empties every structure (erasure reloads a filtered dump into it); the erasure list stays. */
  private reset(): void {
    this.userIndex.clear();
    this.users.length = 0;
    this.itemIndex.clear();
    this.items.length = 0;
    this.categories.clear();
    this.appliedIds.clear();
    this.excluded.clear();
    this.edgeCount = 0;
    this.popularCache = null;
    this.popularDirty = true;
    this.sortedIds = null;
    this.anomalyTable = new AnomalyTable(this.options.maxAnomalies);
    this.segments = new SegmentMembership();
    this.similarity.invalidateAll();
  }

  // ---- SimilarityGraph ------------------------------------------------------------------------

  itemCount(): number {
    return this.items.length;
  }
  itemId(item: number): string {
    return this.items[item]!.id;
  }
  positiveUsers(item: number): number {
    return this.items[item]!.positive.length;
  }
  forEachPositiveUser(item: number, cap: number, visit: (user: number) => void): number {
    return strided(this.items[item]!.positive, cap, visit);
  }
  forEachPositiveItem(user: number, cap: number, visit: (item: number) => void): void {
    strided(this.users[user]!.positive, cap, visit);
  }

  // ---- views and snapshots --------------------------------------------------------------------

  private itemNode(idx: number): ItemNode {
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

  private edgeView(e: Edge): InteractionEdge {
    return {
      userId: this.users[e.user]!.id,
      itemId: this.items[e.item]!.id,
      counts: { ...e.counts },
      weight: e.weight,
      quantity: e.quantity,
      revenue: e.revenue,
      firstSeenAt: e.first,
      lastSeenAt: e.last,
      lastType: e.lastType,
    };
  }

  private dump(): GraphSnapshot {
    return {
      format: 1,
      position: this.position,
      eventsApplied: this.eventsApplied,
      items: this.items.map((r) => [r.id, r.title, r.category, r.price, r.attributes]),
      users: this.users.map((u) => [u.id, u.anonymous, u.first, u.last, u.events]),
      edges: this.users.flatMap((u) =>
        [...u.edges.values()].map((e) => [e.user, e.item, countsToArray(e.counts), e.weight, e.quantity, e.revenue, e.first, e.last, e.lastType] as GraphSnapshot['edges'][number]),
      ),
      appliedIds: [...this.appliedIds],
      orders: this.users.flatMap((u, i) => (u.orders ? [[i, u.orders] as [number, number[]]] : [])),
      segments: this.segments.dump(this.users.length),
      anomalies: { ...this.anomalyTable.dump(), excludedActors: [...this.excluded].map((u) => this.users[u]!.id) },
      ...(this.erased.size > 0 ? { erased: [...this.erased] } : {}),
    } as GraphSnapshot;
  }

  private load(s: GraphSnapshot & { erased?: [string, number][] }): void {
    for (const [actor, at] of s.erased ?? []) this.erased.set(actor, at);
    for (const [id, title, category, price, attributes] of s.items) {
      this.applyItem({ kind: 'item', v: 1, id: '', itemId: id, title: title ?? id, category: category ?? undefined, price: price ?? undefined, attributes, timestamp: 0 });
      if (title === null) this.items[this.itemIndex.get(id)!]!.title = null;
    }
    for (const [id, anonymous, first, last, events] of s.users) {
      const u = this.users[this.internUser(id, anonymous)]!;
      u.first = first;
      u.last = last;
      u.events = events;
    }
    for (const actor of s.anomalies?.excludedActors ?? []) this.excluded.add(this.internUser(actor, actor.startsWith('session:')));
    if (s.anomalies) this.anomalyTable.load(s.anomalies);
    for (const [u, i, counts, weight, quantity, revenue, first, last, lastType] of s.edges) {
      const edge: Edge = { user: u, item: i, counts: arrayToCounts(counts), weight, quantity, revenue, first, last, lastType };
      this.users[u]!.edges.set(i, edge);
      this.items[i]!.users.set(u, edge);
      if (weight > 0) {
        this.users[u]!.positive.push(i);
        if (!this.excluded.has(u)) this.items[i]!.positive.push(u);
      }
      this.edgeCount++;
    }
    for (const id of s.appliedIds) this.appliedIds.add(id);
    for (const [u, orders] of s.orders ?? []) this.users[u]!.orders = orders;
    this.segments.load(s.segments, this.users.length);
    this.eventsApplied = s.eventsApplied;
    this.position = s.position;
    this.snapshotPosition = s.position;
    this.similarity.invalidateAll();
    this.popularDirty = true;
  }
}

const TYPES: InteractionType[] = ['VIEW', 'CLICK', 'ADD_TO_CART', 'REMOVE_FROM_CART', 'PURCHASE'];
function countsToArray(c: TypeCounts): number[] {
  return TYPES.map((t) => c[t]);
}
function arrayToCounts(a: number[]): TypeCounts {
  const c = emptyCounts();
  TYPES.forEach((t, i) => (c[t] = a[i] ?? 0));
  return c;
}

/** Visits up to `cap` elements spread evenly over the array (all of them when it is small). */
function strided(arr: readonly number[], cap: number, visit: (v: number) => void): number {
  const n = arr.length;
  if (n <= cap) {
    for (let i = 0; i < n; i++) visit(arr[i]!);
    return n;
  }
  const step = n / cap;
  for (let k = 0; k < cap; k++) visit(arr[Math.floor(k * step)]!);
  return cap;
}

function removeValue(arr: number[], v: number): void {
  const i = arr.lastIndexOf(v);
  if (i >= 0) arr.splice(i, 1);
}

/** First index whose value is greater than `key` in a sorted array. */
function upperBound(arr: readonly string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
