import type { FoldInCounts } from './als-user-vectors';
import { graphEvents, type FlywheelEvent } from '../events/event';
import type { GraphReadStore, InteractionEdge } from '../graph/stores/graph-reads';
import { ContentIndex } from './content';
import { InteractionIndex, type TypeWeights } from './interactions';
import DataLoader from 'dataloader';
import { REPLICA_UNSERVED } from './config';
import { ItemModel, type ItemModelOptions } from './item-model';
import { ItemModelRowError, exportRows, installRows, parseRow, type ItemModelRow } from './item-model-rows';
import { topKPositive } from './linalg';
import { FROM_SEGMENT, SegmentPopularStrategy, segmentReason } from './segment-popular';
import { AlsStrategy, FROM_FACTORS, OnlineAls } from './als-online';
import type { AlsOptions } from './als';
import { BLEND_PARTS, DEFAULT_BLEND, blendOf, builtInStrategies } from './strategies';
import { Accumulator, EXPLAIN_LATER, type Seed, type SegmentTopItems, type Strategy } from './strategy';
import { FROM_NEIGHBOURS, UserKnnStrategy, type UserKnnOptions } from './user-knn';

/**
 * The recommendation service the GraphQL resolvers and `flywheel eval` share.
 *
 * Flow per request: the user's live history (every applied event is already in it) -> seeds weighted by
 * event type and recency -> the chosen strategy scores candidates -> business rules (remove bought,
 * exclude, category, price, diversity cap) -> fallbacks when the list is short (content similarity of
 * the history, then what the user's customer segment buys most, then trending) -> a reason per item.
 *
 * Learning happens off the request path: `ItemModel` re-solves items that events made dirty in small
 * time slices on the event loop (setImmediate), so requests never wait for it, and a user's own new
 * event changes their next list at once through the history side.
 */
export interface RecommenderOptions {
  /** Strategy served when a request names none (FLYWHEEL_RECOMMENDER). */
  defaultStrategy: string;
  /** A history item's weight halves for every this many days it is older than the user's latest event. */
  halfLifeDays: number;
  /** Most recent distinct history items that seed a recommendation. */
  historyCap: number;
  /** Background refresh: time slice per turn, and whether it runs at all (off for eval/bench, which drain it). */
  refreshSliceMs: number;
  backgroundRefresh: boolean;
  /**
   * Share of the event loop the refresh may take while events keep arriving (it runs flat out once they
   * stop). Under a sustained stream the items it would re-solve next are being dirtied again anyway, so
   * pausing between slices coalesces that work and leaves the loop to ingestion and requests.
   */
  refreshShare: number;
  /** Entries of the exact result cache; 0 turns it off (FLYWHEEL_RECOMMENDATION_CACHE). */
  cacheEntries: number;
  typeWeights?: TypeWeights;
  model?: Partial<ItemModelOptions>;
  /** The user-to-user neighbourhood strategy (`user-knn`). */
  userKnn?: Partial<UserKnnOptions>;
  /** Parts and weights of `blend` (default DEFAULT_BLEND in strategies.ts). */
  blend?: Record<string, number>;
  /** The matrix factorisation strategy `als` (hyperparameters, background refit period). */
  als?: Partial<AlsOptions>;
  /**
   * 'solve' (default): this recommender learns its item model from every user's history. 'replica': its item
   * model is shipped (`installModelRows`, from a publisher that solves it) and it holds at most
   * `residentUsers` users' histories, read from the graph store when first asked for (ARCHITECTURE.md,
   * "Past one machine"). A replica serves the item-item strategies, their blends, `popular` and
   * `segment-popular`; not `user-knn` or `als`, which need every user.
   */
  itemModel?: 'solve' | 'replica';
  residentUsers?: number;
}

/** A replica reads at most this many of a user's most recent interactions from the graph (its history cap, with room for bought items). */
export const HISTORY_READ_LIMIT = 1000;

/** Histories a replica keeps by default: about 100,000 x (50 entries x 21 B + 200 B) = 0.1-0.2 GB, whatever the number of users. */
export const DEFAULT_RESIDENT_USERS = 100_000;

export const DEFAULT_RECOMMENDER_OPTIONS: RecommenderOptions = {
  // blend: best on average over the Sep and Aug 2011 splits (see BENCHMARKS.md / flywheel eval)
  defaultStrategy: 'blend',
  halfLifeDays: 180,
  historyCap: 200,
  refreshSliceMs: 4,
  backgroundRefresh: true,
  refreshShare: 0.25,
  cacheEntries: 10_000,
};

/**
 * The user's segment and its top items: the answer when it is in memory (embedded), else a loader that reads
 * it from the store (Neo4j), which `recommend` calls only when the segment can change the list.
 */
export type SegmentSource = (userId: string) => SegmentTopItems | null | SegmentLoader;
export type SegmentLoader = () => Promise<SegmentTopItems | null>;

export interface RecommendRequest {
  userId: string;
  first: number;
  /** A name from `strategies()`; the configured default when absent. */
  strategy?: string;
  /**
   * The key of a blend set by `setVariantBlends` (an experiment variant's own weights): ranks with it instead
   * of `strategy`. Only the serving path sets it, for a user assigned to such a variant.
   */
  variantBlend?: string;
  excludeItemIds?: readonly string[];
  categories?: readonly string[];
  minPrice?: number;
  maxPrice?: number;
  /** At most this many items per category (items without a category count as one category). */
  maxPerCategory?: number;
  /** Recommend items the user already bought (repeat-purchase shops); off by default. */
  includePurchased?: boolean;
  /**
   * The user's customer segment and its top items; `recommend` looks it up through the segment source
   * (`setSegmentSource`) when absent. Used by the `segment-popular` strategy and as a fallback.
   */
  segment?: SegmentTopItems | null;
}

export interface Recommendation {
  itemId: string;
  score: number;
  reason: string;
}

export interface StrategyInfo {
  name: string;
  description: string;
  isDefault: boolean;
}

export class UnknownStrategyError extends Error {
  override readonly name = 'UnknownStrategyError';
}

const DAY_MS = 86_400_000;

export class Recommender {
  readonly options: RecommenderOptions;
  readonly index: InteractionIndex;
  readonly model: ItemModel;
  /** Item factors of `als` (served snapshot, background refits). */
  readonly als: OnlineAls;
  private readonly content: ContentIndex;
  private readonly byName = new Map<string, Strategy>();
  /**
   * The blends of the running experiment's weighted variants, by key (`setVariantBlends`): built once when the
   * experiment starts, not per request, and dropped when it ends. Not among `strategies()` and not reachable by a
   * strategy name: they rank only for requests that carry their key (users assigned to the variant).
   */
  private variantBlends = new Map<string, Strategy>();
  private readonly acc = new Accumulator();
  /** Lists computed without the segment whose fill reached the segment step (kept with the cached list, by identity). */
  private readonly shortBeforeSegment = new WeakSet<Recommendation[]>();
  private popularCache: { at: number; changes: number; byDegree: Int32Array; byTrend: Int32Array } | null = null;
  /** The pending refresh turn: an immediate, or a timeout while paced (each needs its own clear call). */
  private refreshTimer: { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout } | null = null;
  private eventsSinceSlice = 0;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private segmentSource: SegmentSource | null = null;
  /**
   * Exact result cache: an answer is reused only while nothing it depends on has changed. `version`
   * moves on every applied batch, forgotten user and model re-solve, so a cached list is never stale;
   * it pays off for repeated asks between changes (page reloads, paging, several widgets).
   */
  private version = 0;
  private readonly cache = new Map<string, { version: number; result: Recommendation[] }>();
  /** From the validated configuration (FLYWHEEL_RECOMMENDATION_CACHE, through createFlywheel), never process.env. */
  private readonly cacheEntries: number;
  private cacheHits = 0;
  private cacheMisses = 0;

  /** Replica: reads the histories of users not resident, batched per event-loop turn (one graph query). */
  private readonly historyReads: DataLoader<string, InteractionEdge[]> | null = null;

  constructor(
    private readonly store: GraphReadStore | null = null,
    options: Partial<RecommenderOptions> = {},
  ) {
    this.options = { ...DEFAULT_RECOMMENDER_OPTIONS, ...options };
    this.cacheEntries = this.options.cacheEntries;
    const replica = this.options.itemModel === 'replica';
    this.index = new InteractionIndex(this.options.typeWeights, undefined, replica ? (this.options.residentUsers ?? DEFAULT_RESIDENT_USERS) : Infinity);
    this.model = new ItemModel(this.index, this.options.model, replica);
    if (replica && store) this.historyReads = new DataLoader((ids) => store.getInteractions(ids, HISTORY_READ_LIMIT), { cache: false });
    this.content = new ContentIndex(this.index);
    // a new factor snapshot changes every answer of `als` (and blends with it): cached lists are dropped
    this.als = new OnlineAls(this.index, this.options.als, () => this.version++);
    this.als.setBackground(this.options.backgroundRefresh);
    const more = {
      halfLifeMs: () => this.options.halfLifeDays * DAY_MS,
      ...(this.options.userKnn ? { userKnn: this.options.userKnn } : {}),
      ...(this.options.blend ? { blend: this.options.blend } : {}),
      extra: [new AlsStrategy(this.als, this.index)],
    };
    for (const s of builtInStrategies(this.model, this.index, () => this.popular().byDegree, more)) this.byName.set(s.name, s);
    const segmentPopular = new SegmentPopularStrategy(this.index);
    this.byName.set(segmentPopular.name, segmentPopular);
    if (replica) for (const name of REPLICA_UNSERVED) this.byName.delete(name);
    if (!this.byName.has(this.options.defaultStrategy))
      throw new UnknownStrategyError(`unknown recommender "${this.options.defaultStrategy}"; choose one of ${[...this.byName.keys()].join(', ')}`);
    this.wantFactorsIfServed();
  }

  /** The factors are kept fresh from the start when the served default uses them; otherwise on first ask. */
  private wantFactorsIfServed(): void {
    const blend = this.options.blend ?? DEFAULT_BLEND;
    if (this.options.defaultStrategy === 'als' || (this.options.defaultStrategy === 'blend' && (blend['als'] ?? 0) > 0)) this.als.demand();
  }

  // ---- feeding ---------------------------------------------------------------------------------

  /** Applies events the graph just applied (wire to Ingestor.onApplied); schedules a background refresh. */
  applyEvents(events: readonly FlywheelEvent[]): void {
    // Only behaviour and the catalog change an answer. A batch of impressions (every served list is one)
    // must not move `version`: it would empty the result cache after every answer it served.
    const graph = graphEvents(events);
    if (graph.length === 0) return;
    this.version++;
    this.eventsSinceSlice += graph.length;
    this.index.apply(graph);
    this.scheduleRefresh();
    this.als.schedule();
  }

  /**
   * Forgets everything a user did (a bot flag, an erasure): their interactions stop shaping anyone's
   * recommendations at once for the co-occurrence strategies, and the learned weights of the items
   * they touched are re-solved in the background.
   */
  forgetUser(actorId: string): void {
    const u = this.index.userIndex.get(actorId);
    const touched = this.index.removeUser(actorId);
    this.version++;
    this.als.noteChange(u);
    this.als.schedule();
    if (touched.length === 0) return;
    this.model.markDirty(touched);
    this.scheduleRefresh();
  }

  /** Rebuilds the index from the store (after a snapshot restore, before ingestion replays the tail). */
  async bootstrap(): Promise<void> {
    const store = this.store;
    if (!store) return;
    // A replica reads the catalogue only: its item model is shipped, and histories are read when asked for.
    if (this.index.isReplica) return this.readCatalogue(store);
    // The edges in the order they arrived (as near as the stored times tell), not the store's scan order: the
    // index is order-sensitive (which users are an item's most recent, ties between items, float sums), and
    // the scan order differs between backends (Neo4j: by user id; embedded: insertion). So every gateway that
    // starts on the same graph builds the same index, on either backend (bench/join.ts). It is not the live
    // index exactly: trending counts, for one, are rebuilt once per edge rather than once per event.
    const edges: InteractionEdge[] = [];
    if (store.scanInteractions) for await (const batch of store.scanInteractions(5000)) for (const e of batch) if (e.weight > 0) edges.push(e);
    edges.sort(byArrival);
    for (const e of edges) this.index.applyEdge(e);
    edges.length = 0;
    await this.readCatalogue(store);
    this.model.invalidateAll();
    // The dirty set iterates in insertion order, so the first `warmOwed` items re-solved are these.
    this.warmFrom = this.model.refreshed;
    this.warmOwed = this.model.pending();
    this.scheduleRefresh();
    this.als.schedule();
  }

  private async readCatalogue(store: GraphReadStore): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await store.listItems({ first: 1000, ...(after ? { after } : {}) });
      for (const item of page.items) this.index.applyItem(item);
      if (!page.hasNextPage || !page.endCursor) break;
      after = page.endCursor;
    }
    this.version++;
  }

  // ---- the shipped item model (ARCHITECTURE.md, "Past one machine") -----------------------------

  /**
   * Publisher: the rows of the items whose lists changed since the last call (every solved item at the
   * first call), to ship to replicas (src/recommend/item-model-rows.ts).
   */
  takeChangedModelRows(): ItemModelRow[] {
    this.model.trackChanges();
    return exportRows(this.index, this.model, this.model.takeChanged());
  }

  /** Publisher: the rows of every solved item (a publisher elected after another ships the whole model). */
  allModelRows(): ItemModelRow[] {
    return exportRows(this.index, this.model, this.model.solvedItems());
  }

  /**
   * Replica: installs shipped rows (already decoded); a value that is not a row of this version is
   * skipped and reported, not installed.
   */
  installModelRows(values: readonly unknown[]): { installed: number; rejected: { item: unknown; reason: string }[] } {
    const rows: ItemModelRow[] = [];
    const rejected: { item: unknown; reason: string }[] = [];
    for (const v of values) {
      try {
        rows.push(parseRow(v));
      } catch (err) {
        if (!(err instanceof ItemModelRowError)) throw err;
        rejected.push({ item: (v as { item?: unknown } | null)?.item, reason: err.message });
      }
    }
    installRows(this.index, this.model, rows);
    if (rows.length > 0) this.version++;
    return { installed: rows.length, rejected };
  }

  /**
   * `compute`, with the user's history resident: on a replica that does not hold it, once it was read from the
   * graph store. The history is admitted and `compute` runs in the same synchronous stretch: requests whose
   * reads come back together (one graph read per event-loop turn) would otherwise admit each other's histories
   * before any of them computes, and with more of them than `residentUsers` evict the first ones unused.
   */
  private withHistory<T>(userId: string, compute: () => T): T | Promise<T> {
    // Synchronous when the history is at hand (every request of a gateway that holds the whole index).
    if (!this.historyReads || this.index.touchUser(userId)) return compute();
    return this.historyReads.load(userId).then((edges) => {
      if (!this.index.touchUser(userId)) {
        this.index.admitUser(userId, userId.startsWith('session:'), [...edges].sort(byArrival));
        this.version++;
      }
      return compute();
    });
  }

  /**
   * Whether the item model has re-solved every item the last bootstrap left unsolved. Until then answers come
   * from a partly solved model (at 1M interactions the solve takes tens of seconds), so a gateway that joins
   * or restarts on a large shop is not ready before it (/readyz). Events arriving meanwhile do not postpone it.
   */
  isWarm(): boolean {
    return this.model.refreshed - this.warmFrom >= this.warmOwed || this.model.pending() === 0;
  }

  /** Re-solves everything dirty now, synchronously, and refits the ALS factors when stale (eval, bench, tests). */
  refreshNow(): void {
    if (this.model.pending() > 0) this.version++;
    this.model.refreshSome(Infinity);
    this.als.fitNow();
  }

  /**
   * Replaces `blend`'s parts and weights (e.g. with the ones `flywheel eval --tune` picked) and, when given,
   * the default strategy. Cached lists are dropped.
   */
  configure(choice: { blend?: Readonly<Record<string, number>>; defaultStrategy?: string }): void {
    if (choice.blend) {
      this.byName.set(
        'blend',
        blendOf('blend', choice.blend, this.blendParts(), () => this.index.itemCount),
      );
      this.options.blend = { ...choice.blend };
    }
    if (choice.defaultStrategy !== undefined) {
      if (!this.byName.has(choice.defaultStrategy))
        throw new UnknownStrategyError(`unknown recommender "${choice.defaultStrategy}"; choose one of ${[...this.byName.keys()].join(', ')}`);
      this.options.defaultStrategy = choice.defaultStrategy;
    }
    this.wantFactorsIfServed();
    this.version++;
  }

  /** Adds (or replaces) a named blend that requests can ask for by name (tuning compares many). */
  defineBlend(name: string, weights: Record<string, number>, parts?: ReadonlyMap<string, Strategy>): void {
    this.byName.set(
      name,
      blendOf(name, weights, parts ?? this.blendParts(), () => this.index.itemCount),
    );
    this.version++;
  }

  /**
   * Replaces the blends of experiment variants (`RecommendRequest.variantBlend`) with these: each built once
   * here over the same parts as `blend`, and named `blend` (its reasons read as the default blend's). A blend
   * that cannot be built (a part this gateway does not serve) is left out and reported; the others are built.
   */
  setVariantBlends(blends: readonly { key: string; weights: Readonly<Record<string, number>> }[]): { key: string; error: string }[] {
    const built = new Map<string, Strategy>();
    const failed: { key: string; error: string }[] = [];
    for (const { key, weights } of blends) {
      try {
        built.set(
          key,
          blendOf('blend', weights, this.blendParts(), () => this.index.itemCount),
        );
        if ((weights['als'] ?? 0) > 0) this.als.demand();
      } catch (err) {
        failed.push({ key, error: (err as Error).message });
      }
    }
    this.variantBlends = built;
    return failed;
  }

  /** Whether `setVariantBlends` built a blend under this key. */
  hasVariantBlend(key: string): boolean {
    return this.variantBlends.has(key);
  }

  /** The names of the strategies a blend may be made of (BLEND_PARTS that this recommender serves). */
  blendPartNames(): string[] {
    return [...this.blendParts().keys()];
  }

  /** The strategies a blend may be made of (BLEND_PARTS), as this recommender holds them. */
  private blendParts(): Map<string, Strategy> {
    return new Map([...this.byName].filter(([n]) => (BLEND_PARTS as readonly string[]).includes(n)));
  }

  /** Registers (or replaces) a strategy under its name (tuning compares variants side by side). */
  addStrategy(s: Strategy): void {
    this.byName.set(s.name, s);
    this.version++;
  }

  /** A strategy by name (tuning wraps parts). */
  strategyByName(name: string): Strategy | undefined {
    return this.byName.get(name);
  }

  private warmFrom = 0;
  private warmOwed = 0;

  /** Resolves when the background refresh has caught up. */
  whenFresh(): Promise<void> {
    if (this.model.pending() === 0) return Promise.resolve();
    this.scheduleRefresh(true);
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Pauses (false) or resumes (true) the background refresh, e.g. while a bulk load replays. */
  setBackgroundRefresh(on: boolean): void {
    this.options.backgroundRefresh = on;
    this.als.setBackground(on);
    if (on) this.scheduleRefresh();
  }

  close(): void {
    this.closed = true;
    this.cancelRefresh();
    void this.als.close();
  }

  private scheduleRefresh(force = false): void {
    if (this.refreshTimer || this.closed || (!this.options.backgroundRefresh && !force)) return;
    const tick = () => {
      this.refreshTimer = null;
      if (this.model.pending() > 0) this.version++;
      const started = performance.now();
      const left = this.model.refreshSome(this.options.refreshSliceMs);
      if (left > 0 && !this.closed) {
        // Paced while the stream is busy (see refreshShare), unless someone waits for freshness.
        const busy = this.eventsSinceSlice > 0 && this.idleWaiters.length === 0;
        this.eventsSinceSlice = 0;
        const share = this.options.refreshShare;
        const pauseMs = busy && share < 1 ? ((performance.now() - started) * (1 - share)) / share : 0;
        this.refreshTimer = pauseMs >= 1 ? { timeout: setTimeout(tick, pauseMs) } : { immediate: setImmediate(tick) };
      } else for (const w of this.idleWaiters.splice(0)) w();
    };
    this.eventsSinceSlice = 0;
    this.refreshTimer = { immediate: setImmediate(tick) };
  }

  private cancelRefresh(): void {
    // clearImmediate on a Timeout (or the reverse) corrupts Node's timer queues, hence the tagged union.
    if (this.refreshTimer && 'immediate' in this.refreshTimer) clearImmediate(this.refreshTimer.immediate);
    else if (this.refreshTimer) clearTimeout(this.refreshTimer.timeout);
    this.refreshTimer = null;
  }

  // ---- reading ---------------------------------------------------------------------------------

  strategies(): StrategyInfo[] {
    return [...this.byName.values()].map((s) => ({ name: s.name, description: s.description, isDefault: s.name === this.options.defaultStrategy }));
  }

  get defaultStrategy(): string {
    return this.options.defaultStrategy;
  }

  /**
   * Where `recommend` finds a user's segment (the SegmentService, wired by the composition root). Without
   * one, `segment-popular` has no candidates and the segment fallback is skipped.
   */
  setSegmentSource(source: SegmentSource | null): void {
    this.segmentSource = source;
    this.version++;
  }

  /** Items whose learned weights wait for a background re-solve. */
  /** How requests' ALS user vectors were obtained: kept, warm-started, solved cold (UserVectorCache). */
  alsFoldIns(): FoldInCounts {
    return this.als.userVectors.counts;
  }

  /** Kept ALS user vectors solved again after their user's events, off the request path. */
  alsVectorRefreshes(): number {
    return this.als.userVectors.refreshed;
  }

  /** ALS user vectors kept by priming after a snapshot was served (a refit, a model loaded at start). */
  alsVectorsPrimed(): number {
    return this.als.userVectors.primed;
  }

  pendingItems(): number {
    return this.model.pending();
  }

  /** Exact result cache counters (benchmarks report the hit rate, so a cache cannot pass for speed). */
  cacheStats(): { hits: number; misses: number; hitRate: number } {
    const total = this.cacheHits + this.cacheMisses;
    return { hits: this.cacheHits, misses: this.cacheMisses, hitRate: total > 0 ? Math.round((this.cacheHits / total) * 10_000) / 10_000 : 0 };
  }

  async recommend(req: RecommendRequest): Promise<Recommendation[]> {
    // A replica reads a history it does not hold (one graph read per event-loop turn for all such users); it
    // may have been evicted again while a segment read below was awaited, hence `withHistory` at each step.
    if (req.segment !== undefined || !this.segmentSource) return this.withHistory(req.userId, () => this.recommendSync(req));
    const source = this.segmentSource(req.userId);
    if (typeof source !== 'function') return this.withHistory(req.userId, () => this.recommendSync({ ...req, segment: source }));
    // A store read (Neo4j: a round trip per request set the production path's latency, BENCHMARKS.md issue
    // 16). A strategy that does not score from the segment uses it only in the fill, after its own
    // candidates and content similarity: a list that is full before that step is the same list with or
    // without it, so the segment is read only when the fill reached it (`shortBeforeSegment`).
    if (!this.strategyOf(req).readsSegment) {
      const pending = this.withHistory(req.userId, () => this.recommendSync({ ...req, segment: null }));
      const without = pending instanceof Promise ? await pending : pending;
      if (!this.shortBeforeSegment.has(without)) return without;
    }
    const segment = await source();
    return this.withHistory(req.userId, () => this.recommendSync({ ...req, segment }));
  }

  /** The whole request is synchronous over in-memory arrays: no awaits, no allocation per candidate. */
  recommendSync(req: RecommendRequest): Recommendation[] {
    if (this.cacheEntries <= 0) return this.computeRecommendations(req);
    const key = JSON.stringify([
      req.userId,
      req.first,
      req.strategy ?? null,
      req.variantBlend ?? null,
      req.excludeItemIds ?? null,
      req.categories ?? null,
      req.minPrice ?? null,
      req.maxPrice ?? null,
      req.maxPerCategory ?? null,
      req.includePurchased ?? false,
      req.segment ? `${req.segment.id}@${req.segment.version}` : null,
    ]);
    const hit = this.cache.get(key);
    if (hit && hit.version === this.version) {
      this.cacheHits++;
      return hit.result;
    }
    this.cacheMisses++;
    const result = this.computeRecommendations(req);
    this.cache.delete(key);
    if (this.cache.size >= this.cacheEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { version: this.version, result });
    return result;
  }

  private computeRecommendations(req: RecommendRequest): Recommendation[] {
    const first = Math.max(0, Math.floor(req.first));
    if (first === 0) return [];
    const strategy = this.strategyOf(req);
    const idx = this.index;
    const history = idx.user(req.userId);
    const seeds = history ? this.seeds(history) : [];
    const acc = this.acc;
    acc.reset(idx.itemCount);
    const segment = req.segment ?? null;
    strategy.score(seeds, acc, { userId: req.userId, segment });

    const rules = new Rules(this, req, history);
    const out: Recommendation[] = [];
    const picked = new Set<number>();
    // Rank order without sorting every candidate: the best `m` first (a bounded heap), and the whole
    // ranking only if the rules reject so many that those run out (same order either way).
    const m = 4 * first + 64 + (history ? Math.min(history.n, 1000) : 0);
    let order = topKPositive(acc.touched, acc.n, acc.score, m, idx.tieRank);
    let partial = order.length === m;
    for (let t = 0; t < order.length && out.length < first; t++) {
      const j = order[t]!;
      if (rules.admit(j)) {
        picked.add(j);
        out.push({ itemId: idx.items[j]!.id, score: acc.score[j]!, reason: this.reason(strategy, acc.from[j]!, j, history, segment) });
      }
      if (t === order.length - 1 && partial && out.length < first) {
        order = topKPositive(acc.touched, acc.n, acc.score, acc.n, idx.tieRank); // its first m entries are the ones already seen, in the same order
        partial = false;
      }
    }
    if (out.length < first) this.fill(out, picked, first, seeds, rules, segment);
    return out;
  }

  async similarItems(itemId: string, first: number): Promise<Recommendation[]> {
    const i = this.index.itemIndex.get(itemId);
    if (i === undefined) return [];
    const l = this.model.knn[i];
    if (!l || l.j.length === 0) {
      // no shoppers yet: fall back to text similarity, so new catalogue items still get neighbours
      return this.content
        .similar(i, first)
        .map((c) => ({ itemId: this.index.items[c.item]!.id, score: c.score, reason: `similar title/category (text similarity ${c.score.toFixed(2)})` }));
    }
    const out: Recommendation[] = [];
    for (let t = 0; t < Math.min(first, l.j.length); t++) {
      const j = l.j[t]!;
      out.push({
        itemId: this.index.items[j]!.id,
        score: l.w[t]!,
        reason: `shoppers who engaged with this also engaged with it (${this.model.options.similarity} ${l.w[t]!.toFixed(3)})`,
      });
    }
    return out;
  }

  /** What scores this request: an experiment variant's blend, else the named strategy, else the default. */
  private strategyOf(req: RecommendRequest): Strategy {
    return req.variantBlend !== undefined ? this.variantBlend(req.variantBlend) : this.strategy(req.strategy);
  }

  private variantBlend(key: string): Strategy {
    const s = this.variantBlends.get(key);
    if (!s) throw new UnknownStrategyError(`no variant blend ${key} (the running experiment's weighted variants are set by setVariantBlends)`);
    return s;
  }

  private strategy(name: string | undefined): Strategy {
    const s = this.byName.get(name ?? this.options.defaultStrategy);
    if (!s) throw new UnknownStrategyError(`unknown strategy "${name}"; choose one of ${[...this.byName.keys()].join(', ')}`);
    return s;
  }

  /**
   * Latest `historyCap` distinct items, weighted by strength x 0.5^(age / half-life), age from the user's latest
   * event; newest first, ties by item id. That order is the history's content, not the order its entries
   * arrived in, so a history read back from the graph (a replica, a restart) sums scores in the same order
   * as the live one and gives the same floats and the same reasons.
   */
  private seeds(h: NonNullable<ReturnType<InteractionIndex['user']>>): Seed[] {
    const halfLifeMs = this.options.halfLifeDays * DAY_MS;
    const items = this.index.items;
    const before = (x: number, y: number) => h.last[y]! - h.last[x]! || (items[h.items[x]!]!.id < items[h.items[y]!]!.id ? -1 : 1);
    // Newest last in arrival order, so taken from the end the entries are nearly sorted already: an insertion
    // sort is about one comparison per entry there (a general sort cost 5 % of a list, bench in BENCHMARKS.md).
    let entries = Array.from({ length: h.n }, (_, t) => h.n - 1 - t);
    if (entries.length > 64) entries.sort(before);
    else
      for (let a = 1; a < entries.length; a++) {
        const e = entries[a]!;
        let b = a - 1;
        for (; b >= 0 && before(entries[b]!, e) > 0; b--) entries[b + 1] = entries[b]!;
        entries[b + 1] = e;
      }
    if (entries.length > this.options.historyCap) entries = entries.slice(0, this.options.historyCap);
    return entries.map((t) => ({ item: h.items[t]!, a: h.strength[t]! * Math.pow(0.5, (h.latest - h.last[t]!) / halfLifeMs) }));
  }

  private fill(out: Recommendation[], picked: Set<number>, first: number, seeds: Seed[], rules: Rules, segment: SegmentTopItems | null): void {
    const idx = this.index;
    // 1. Text similarity to the most recent history items: the only signal for never-bought items.
    const recent = [...seeds].sort((a, b) => b.a - a.a).slice(0, 5);
    for (const s of recent) {
      for (const c of this.content.similar(s.item, first * 2)) {
        if (out.length >= first) return;
        if (picked.has(c.item) || !rules.admit(c.item)) continue;
        picked.add(c.item);
        const fromTitle = idx.items[s.item]!.title ?? idx.items[s.item]!.id;
        out.push({ itemId: idx.items[c.item]!.id, score: 0, reason: `similar title/category to "${fromTitle}" (${idx.items[s.item]!.id}) in your history` });
      }
    }
    // 2. What the user's customer segment buys most, before anything global.
    if (out.length < first && !segment) this.shortBeforeSegment.add(out);
    if (segment) {
      for (const t of segment.items) {
        if (out.length >= first) return;
        const j = idx.itemIndex.get(t.itemId);
        if (j === undefined || picked.has(j) || !rules.admit(j)) continue;
        picked.add(j);
        out.push({ itemId: t.itemId, score: 0, reason: segmentReason(segment, t.itemId) });
      }
    }
    // 3. Trending (time-decayed event counts), for cold users and narrow filters.
    for (const j of this.popular().byTrend) {
      if (out.length >= first) return;
      if (picked.has(j) || !rules.admit(j)) continue;
      picked.add(j);
      out.push({
        itemId: idx.items[j]!.id,
        score: 0,
        reason: `popular right now (trending): ${idx.trendScore(j).toFixed(1)} recent weighted events, ${idx.degree(j)} shoppers in total`,
      });
    }
  }

  private reason(strategy: Strategy, from: number, j: number, history: ReturnType<InteractionIndex['user']>, segment: SegmentTopItems | null): string {
    const idx = this.index;
    if (from === EXPLAIN_LATER) from = strategy.explainLater?.(j) ?? FROM_FACTORS;
    if (from === FROM_SEGMENT && segment) return segmentReason(segment, idx.items[j]!.id);
    if (from === FROM_NEIGHBOURS) {
      const knn = this.byName.get('user-knn');
      const v = knn instanceof UserKnnStrategy ? knn.votes(j) : { voters: 0, bought: 0, neighbours: 0 };
      const did = v.bought > 0 ? 'bought' : 'engaged with';
      return `shoppers with baskets like yours ${did} it: ${v.bought > 0 ? v.bought : v.voters} of your ${v.neighbours} nearest shoppers (${strategy.name})`;
    }
    if (from === FROM_FACTORS)
      return `matches the taste profile learned from your history (${strategy.name}: latent factors of ${idx.degree(j)} shoppers' choices)`;
    if (from < 0) return `popular: ${idx.degree(j)} shoppers engaged with it`;
    const item = idx.items[from]!;
    let verb = 'engaged with';
    if (history) {
      let t = history.n - 1;
      while (t >= 0 && history.items[t] !== from) t--;
      if (t >= 0) verb = verbOf(history.bought[t] === 1, history.strength[t]!, idx.strengthOf);
    }
    return `because you ${verb} "${item.title ?? item.id}" (${item.id}): ${strategy.signal} it (${strategy.name})`;
  }

  /** Popularity rankings (top 2,000), rebuilt at most once a second and only when something changed. */
  popular(): { byDegree: Int32Array; byTrend: Int32Array } {
    const idx = this.index;
    const c = this.popularCache;
    if (c && (c.changes === idx.changes || Date.now() - c.at < 1000)) return c;
    const n = idx.itemCount;
    const all = Int32Array.from({ length: n }, (_, i) => i);
    const deg = Float64Array.from({ length: n }, (_, i) => idx.degree(i));
    const trend = Float64Array.from({ length: n }, (_, i) => idx.trendScore(i));
    // a bounded heap, not a comparator sort of every item (which boxes a double per comparison)
    const top = (key: Float64Array) => topKPositive(all, n, key, 2000, idx.tieRank);
    this.popularCache = { at: Date.now(), changes: idx.changes, byDegree: top(deg), byTrend: top(trend) };
    return this.popularCache;
  }
}

/** Edges by when they were first seen, then last seen, then by user and item id (a total order on any backend). */
function byArrival(a: InteractionEdge, b: InteractionEdge): number {
  return (
    a.firstSeenAt - b.firstSeenAt ||
    a.lastSeenAt - b.lastSeenAt ||
    (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0) ||
    (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0)
  );
}

/** The strongest interaction type behind a history entry (strength is the max type weight seen). */
function verbOf(bought: boolean, strength: number, w: TypeWeights): string {
  if (bought) return 'bought';
  if (Math.fround(w.ADD_TO_CART) <= strength) return 'added to cart';
  if (Math.fround(w.CLICK) <= strength) return 'clicked';
  return 'viewed';
}

/** Business rules, checked per candidate in rank order (so the diversity cap keeps the best per category). */
class Rules {
  private readonly excluded: Set<string> | null;
  private readonly categories: Set<string> | null;
  private readonly perCategory = new Map<string | null, number>();
  private readonly bought: Set<number>;

  constructor(
    private readonly rec: Recommender,
    private readonly req: RecommendRequest,
    history: ReturnType<InteractionIndex['user']>,
  ) {
    this.excluded = req.excludeItemIds && req.excludeItemIds.length > 0 ? new Set(req.excludeItemIds) : null;
    this.categories = req.categories && req.categories.length > 0 ? new Set(req.categories) : null;
    this.bought = new Set();
    if (history && !req.includePurchased) for (let t = 0; t < history.n; t++) if (history.bought[t]) this.bought.add(history.items[t]!);
  }

  admit(j: number): boolean {
    if (this.bought.has(j)) return false;
    const m = this.rec.index.items[j]!;
    if (this.excluded?.has(m.id)) return false;
    if (this.categories && (m.category === null || !this.categories.has(m.category))) return false;
    const { minPrice, maxPrice, maxPerCategory } = this.req;
    if (minPrice !== undefined && (m.price === null || m.price < minPrice)) return false;
    if (maxPrice !== undefined && (m.price === null || m.price > maxPrice)) return false;
    if (maxPerCategory !== undefined && maxPerCategory > 0) {
      const n = this.perCategory.get(m.category) ?? 0;
      if (n >= maxPerCategory) return false;
      this.perCategory.set(m.category, n + 1);
    }
    return true;
  }
}
