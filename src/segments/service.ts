import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { GraphReadStore } from '../graph/stores/graph-reads';
import type { PurchaseActivityBatch, SegmentMemberPage, SegmentStore } from '../graph/stores/segments';
import type { SegmentTopItems } from '../recommend/strategy';
import { DEFAULT_BUY_RATE_DAYS, type NextPeriodBuyRate } from './buy-rate.js';
import { featuresFromActivity, latestPurchase } from './graph-features.js';
import { assignFeatures, type Segment, type SegmentModel } from './model.js';
import { batchTransferList, type RefitRequest, type SegmentModelMeta, type WorkerReply } from './refit-protocol.js';

/**
 * Keeps customer segments current on the graph.
 *
 * - Full refits on a schedule (`refitMinutes`) and on demand (`refit()`, GraphQL `refreshSegments`), off the
 *   request path: the main thread only streams the store's purchase activity to a worker thread in batches
 *   (yielding between them) and writes the resulting memberships back in batches; features, k-means,
 *   silhouette and naming run in the worker. Segment ids stay stable across refits (the previous model is
 *   passed to the fit, which matches centroids).
 * - Between refits, users touched by ingestion are re-assigned to the nearest centroid of the current model
 *   (`noteApplied`, a few microseconds per user).
 * - Memberships and the model live in the graph store (IN_SEGMENT), so they survive restarts with the
 *   snapshot; the service keeps the model in memory for reads.
 */
export interface SegmentServiceOptions {
  /** Fixed number of segments; undefined or 0: chosen by silhouette in kRange. */
  k?: number;
  kRange?: [number, number];
  /** Scheduled full refit period; 0 disables the schedule (on demand only). */
  refitMinutes?: number;
  seed?: number;
  restarts?: number;
  /** Top items / categories kept per segment (popular-in-segment recommendations read these). */
  topN?: number;
  /** Users per batch streamed to the worker / written back. */
  batchSize?: number;
  /** Period of the next-period buy-rate backtest run with every fit (buy-rate.ts). */
  buyRateDays?: number;
  /** Reference time of a fit; default: the latest purchase in the graph (right for imports and live shops). */
  asOf?: () => number | undefined;
  /** Fit on first start / first events when there is no model yet (default true). */
  bootstrap?: boolean;
  logger?: Logger;
  /** Worker script; default the compiled refit-worker.js next to this file. */
  workerPath?: string;
}

export interface SegmentRefitResult {
  k: number;
  silhouette: number;
  /** Wall time of the whole refit (scan, fit in the worker, write-back). */
  durationMs: number;
  /** Time spent in the worker: appending the streamed batches to feature columns (overlapping the scan) and the fit. */
  fitMs: number;
  /** Main thread: scanning the store and posting batches (wall, interleaved with requests). */
  scanMs: number;
  /** From the last batch posted until the worker's answer. */
  waitMs: number;
  /** Main thread: writing memberships back (wall, interleaved with requests). */
  writeMs: number;
  /** CPU time of the worker thread (Linux; null elsewhere). */
  workerCpuMs: number | null;
  customers: number;
  asOf: number;
  kScores: { k: number; silhouette: number }[];
}

export interface SegmentView extends Omit<Segment, 'vector'> {
  /** Live member count (fit size plus incremental assignments since). */
  size: number;
  fittedSize: number;
  /** The segment's next-period buy rate from the fit's backtest; null when nobody was placed in it. */
  nextPeriod: SegmentBuyRate | null;
}

/** One segment's line of the fit's next-period backtest (buy-rate.ts), with the rate of all customers beside it. */
export interface SegmentBuyRate {
  periodDays: number;
  cutoff: number;
  until: number;
  customers: number;
  buyers: number;
  rate: number;
  /** Buyers / customers over every segment: what a segment's rate is compared with. */
  baseRate: number;
}

export class NoCustomersError extends Error {
  override readonly name = 'NoCustomersError';
  constructor() {
    super('no customer with a purchase yet: nothing to segment');
  }
}

const DEFAULT_WORKER = path.join(__dirname, 'refit-worker.js');

export class SegmentService {
  private model: SegmentModel | null = null;
  private inFlight: Promise<SegmentRefitResult> | null = null;
  private queued: Promise<SegmentRefitResult> | null = null;
  private worker: Worker | null = null;
  private readonly pending = new Set<string>();
  private touchedDuringRefit: Set<string> | null = null;
  private draining: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private bootstrapTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private lastResult: SegmentRefitResult | null = null;
  /** Moves whenever the model is replaced (recommendation caches key on it). */
  private modelVersion = 0;
  private readonly refitCounts = { ok: 0, failed: 0 };
  private topItemsCache = new WeakMap<Segment, SegmentTopItems>();
  private readonly opts: Required<Omit<SegmentServiceOptions, 'k' | 'logger' | 'asOf'>> & Pick<SegmentServiceOptions, 'k' | 'logger' | 'asOf'>;

  constructor(
    private readonly store: SegmentStore & Pick<GraphReadStore, 'stats'>,
    options: SegmentServiceOptions = {},
  ) {
    this.opts = {
      kRange: [3, 6],
      refitMinutes: 60,
      seed: 42,
      restarts: 8,
      topN: 50,
      batchSize: 5_000,
      buyRateDays: DEFAULT_BUY_RATE_DAYS,
      bootstrap: true,
      workerPath: DEFAULT_WORKER,
      ...options,
    };
  }

  /** Loads the stored model and starts the schedule (and a first fit when there is none). */
  async start(): Promise<void> {
    const stored = (await this.store.getSegmentModel()) as SegmentModelMeta | null;
    if (stored && stored.version === 1) {
      this.model = { ...stored, members: new Map() };
      this.modelVersion++;
    }
    if (this.opts.refitMinutes > 0) {
      this.timer = setInterval(() => this.refitInBackground('schedule'), this.opts.refitMinutes * 60_000);
      this.timer.unref();
    }
    if (!this.model && this.opts.bootstrap && (await this.store.stats()).users > 0) this.refitInBackground('bootstrap');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.bootstrapTimer) clearTimeout(this.bootstrapTimer);
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
    await Promise.allSettled([this.inFlight, this.queued, this.draining]);
  }

  /** The current model (null before the first fit). Members are in the store, not in `members`. */
  current(): SegmentModel | null {
    return this.model;
  }

  lastRefit(): SegmentRefitResult | null {
    return this.lastResult;
  }

  /** Full refits since start: done, and failed (no customers yet is neither). For /metrics. */
  refitStats(): { ok: number; failed: number } {
    return { ...this.refitCounts };
  }

  /**
   * Runs a full refit now. If one is running, a new one starts after it (so the answer covers everything
   * ingested before this call); concurrent callers share the queued run.
   */
  refit(): Promise<SegmentRefitResult> {
    if (this.stopped) return Promise.reject(new Error('segment service stopped'));
    if (this.queued) return this.queued;
    if (this.inFlight) {
      const next = this.inFlight.then(
        () => this.runRefit(),
        () => this.runRefit(),
      );
      this.queued = next;
      const clear = () => {
        if (this.queued === next) this.queued = null;
      };
      next.then(clear, clear);
      return next;
    }
    const run = this.runRefit();
    this.inFlight = run;
    const clear = () => {
      if (this.inFlight === run) this.inFlight = null;
    };
    run.then(clear, clear);
    return run;
  }

  private refitInBackground(reason: string): void {
    if (this.stopped || this.inFlight) return;
    this.refit().then(
      (r) => this.opts.logger?.info({ reason, k: r.k, silhouette: r.silhouette, customers: r.customers, ms: Math.round(r.durationMs) }, 'segments refitted'),
      (err: unknown) => {
        if (err instanceof NoCustomersError) this.opts.logger?.debug({ reason }, err.message);
        else if (!this.stopped) this.opts.logger?.error({ err, reason }, 'segment refit failed');
      },
    );
  }

  /** Pipeline stage `assign-segments`: queue touched users for incremental assignment. */
  noteApplied(summary: { readonly touchedUsers: readonly string[] }): void {
    if (this.stopped || summary.touchedUsers.length === 0) return;
    for (const u of summary.touchedUsers) {
      this.pending.add(u);
      this.touchedDuringRefit?.add(u);
    }
    if (!this.model) {
      if (this.opts.bootstrap && !this.bootstrapTimer && !this.inFlight) {
        this.bootstrapTimer = setTimeout(() => {
          this.bootstrapTimer = null;
          if (!this.model) this.refitInBackground('bootstrap');
        }, 5_000);
        this.bootstrapTimer.unref();
      }
      return;
    }
    this.scheduleDrain();
  }

  /** Resolves when every queued incremental assignment is written. */
  async whenIdle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private scheduleDrain(): void {
    if (this.draining || this.pending.size === 0 || !this.model) return;
    this.draining = (async () => {
      try {
        while (this.pending.size > 0 && this.model && !this.stopped) {
          const ids: string[] = [];
          for (const u of this.pending) {
            ids.push(u);
            this.pending.delete(u);
            if (ids.length >= 5000) break;
          }
          await this.assign(ids);
        }
      } catch (err) {
        this.opts.logger?.error({ err }, 'incremental segment assignment failed');
      } finally {
        this.draining = null;
      }
    })();
  }

  /** Assigns users to the nearest segment of the current model (between refits); returns their segment ids. */
  async assign(userIds: readonly string[]): Promise<(string | null)[]> {
    const model = this.model;
    if (!model || userIds.length === 0) return userIds.map(() => null);
    const batch = await this.store.getPurchaseActivity(userIds);
    const out = assignBatch(model, batch);
    await this.store.setUserSegments(batch.userIds, out);
    return out;
  }

  private async runRefit(): Promise<SegmentRefitResult> {
    const started = performance.now();
    const previous = this.model;
    this.touchedDuringRefit = new Set();
    const worker = new Worker(this.opts.workerPath, { resourceLimits: { maxOldGenerationSizeMb: 6144 } });
    this.worker = worker;
    const reply = new Promise<WorkerReply>((resolve, reject) => {
      worker.once('message', (m: WorkerReply) => resolve(m));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`segment refit worker exited (code ${code})`)));
    });
    reply.catch(() => undefined);
    try {
      const ids: string[][] = [];
      let latest = 0;
      for await (const batch of this.store.scanPurchaseActivity(this.opts.batchSize)) {
        if (this.stopped) throw new Error('segment service stopped');
        latest = Math.max(latest, latestPurchase(batch));
        ids.push(batch.userIds);
        worker.postMessage({ type: 'batch', batch }, batchTransferList(batch));
      }
      if (latest === 0) throw new NoCustomersError();
      const asOf = this.opts.asOf?.() ?? latest;
      const request: RefitRequest = {
        asOf,
        previous: previous ? stripMembers(previous) : null,
        options: {
          ...(this.opts.k ? { k: this.opts.k } : {}),
          kRange: this.opts.kRange,
          seed: this.opts.seed,
          restarts: this.opts.restarts,
          topN: this.opts.topN,
          buyRateDays: this.opts.buyRateDays,
        },
      };
      const scanned = performance.now();
      worker.postMessage({ type: 'fit', request });
      const res = await reply;
      const answered = performance.now();
      if (res.type === 'error') throw new Error(`segment refit failed: ${res.message}`);
      const model: SegmentModel = { ...res.model, members: new Map() };

      // Write back: model first (readers see the new segments), then memberships a batch at a time.
      await this.store.setSegmentModel(res.model);
      this.model = model;
      this.modelVersion++;
      let row = 0;
      for (const chunk of ids) {
        const segs = new Array<string | null>(chunk.length);
        for (let r = 0; r < chunk.length; r++, row++) {
          const l = res.labels[row]!;
          segs[r] = l >= 0 ? model.segments[l]!.id : null;
        }
        await this.store.setUserSegments(chunk, segs);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      // Users who changed while the fit ran: place them with the new model.
      for (const u of this.touchedDuringRefit) this.pending.add(u);
      this.scheduleDrain();
      const result: SegmentRefitResult = {
        k: model.k,
        silhouette: model.silhouette,
        durationMs: performance.now() - started,
        fitMs: res.fitMs,
        scanMs: scanned - started,
        waitMs: answered - scanned,
        writeMs: performance.now() - answered,
        workerCpuMs: res.cpuMs,
        customers: model.customers,
        asOf,
        kScores: model.kScores.map((s) => ({ k: s.k, silhouette: s.silhouette })),
      };
      this.lastResult = result;
      this.refitCounts.ok++;
      return result;
    } catch (err) {
      if (!(err instanceof NoCustomersError) && !this.stopped) this.refitCounts.failed++;
      throw err;
    } finally {
      this.touchedDuringRefit = null;
      if (this.worker === worker) this.worker = null;
      void worker.terminate();
    }
  }

  // ---- reads ----------------------------------------------------------------------------------

  async segments(): Promise<SegmentView[]> {
    const model = this.model;
    if (!model) return [];
    const sizes = await this.store.segmentSizes();
    return model.segments.map((s) => view(s, sizes.get(s.id) ?? 0, model));
  }

  async segment(id: string): Promise<SegmentView | null> {
    const model = this.model;
    const s = model?.segments.find((x) => x.id === id);
    if (!model || !s) return null;
    const sizes = await this.store.segmentSizes();
    return view(s, sizes.get(s.id) ?? 0, model);
  }

  async segmentOf(userIds: readonly string[]): Promise<(string | null)[]> {
    return this.store.getUserSegments(userIds);
  }

  members(segmentId: string, first: number, after?: string): Promise<SegmentMemberPage> {
    return this.store.listSegmentMembers(segmentId, first, after);
  }

  /**
   * The segment's most bought items (by distinct buyers, then revenue; at most `topN`, computed at the
   * refit): what the `segment-popular` recommendation strategy and fallback serve. Null for an unknown id.
   */
  topItemsOf(segmentId: string): SegmentTopItems | null {
    const model = this.model;
    const s = model?.segments.find((x) => x.id === segmentId);
    if (!model || !s) return null;
    let cached = this.topItemsCache.get(s);
    if (!cached) {
      cached = {
        id: s.id,
        name: s.name,
        size: s.size,
        version: this.modelVersion,
        items: s.topItems.map((t) => ({ itemId: t.itemId, customers: t.customers })),
      };
      this.topItemsCache.set(s, cached);
    }
    return cached;
  }

  /** `topItemsOf` the user's current segment; null when the user has none (no purchase yet, or no model). */
  /** The answer where the store has it in memory (embedded), else a loader for it (see SegmentSource). */
  topItemsForUser(userId: string): SegmentTopItems | null | (() => Promise<SegmentTopItems | null>) {
    if (!this.model) return null;
    // Synchronous where the store allows it (embedded): this runs on every recommendations request.
    const now = this.store.peekUserSegment?.(userId);
    if (now !== undefined) return now ? this.topItemsOf(now) : null;
    return () => this.store.getUserSegments([userId]).then(([seg]) => (seg ? this.topItemsOf(seg) : null));
  }
}

/** Nearest segment of each row of an activity batch (null without purchases). */
export function assignBatch(model: SegmentModel, batch: PurchaseActivityBatch): (string | null)[] {
  const out = new Array<string | null>(batch.userIds.length);
  for (let r = 0; r < batch.userIds.length; r++) {
    // Same footing as the fitted users: features at the model's asOf (a purchase after it counts as recency 0).
    const f = featuresFromActivity(batch, r, model.asOf);
    out[r] = f ? assignFeatures(model, f).segmentId : null;
  }
  return out;
}

function stripMembers(m: SegmentModel): SegmentModelMeta {
  const { members: _members, ...meta } = m;
  return meta;
}

function view(s: Segment, size: number, model: SegmentModelMeta): SegmentView {
  const { vector: _vector, ...rest } = s;
  return { ...rest, fittedSize: s.size, size, nextPeriod: buyRateOf(s.id, model.nextPeriod) };
}

function buyRateOf(segmentId: string, backtest: NextPeriodBuyRate | undefined): SegmentBuyRate | null {
  const line = backtest?.bySegment[segmentId];
  if (!backtest || !line) return null;
  const { periodDays, cutoff, until } = backtest;
  return { periodDays, cutoff, until, ...line, rate: line.buyers / line.customers, baseRate: backtest.buyers / backtest.customers };
}
