import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  DEFAULT_ALS_OPTIONS,
  FoldInScratch,
  explain,
  fitAls,
  foldIn,
  matrixFromIndex,
  positionOf,
  scoreAll,
  scoreSome,
  snapshotOf,
  toServedBasis,
  type AlsOptions,
  type AlsSnapshot,
} from './als';
import { UserVectorCache } from './als-user-vectors';
import type { AlsFitReply, AlsFitRequest } from './als-worker';
import { keepPrimed, readPrimeRows, type AlsPrimeReply, type AlsPrimeRequest, type PrimingReport } from './als-prime';
import type { ItemFactorModel, ItemFactorPosition } from '../graph/stores/item-factors';
import { ALS_MODEL_FORMAT_VERSION, MODEL_DEFINING, checkAlsModelFits } from './als-model';
import type { InteractionIndex } from './interactions';
import { topKInto } from './linalg';
import { EXPLAIN_LATER, type Accumulator, type ScoreContext, type Seed, type Strategy } from './strategy';

/**
 * The online side of ALS (als.ts): which snapshot is served, when item factors are refit, and the strategy
 * that folds a user in per request.
 *
 * Refits run only while the factors are wanted: the served default or blend uses `als`, or a request has
 * asked for it (`demand`). A gateway that never serves `als` never fits, so ingestion does not pay for a
 * model nobody reads (a refit competes with the ingest path for the CPU). While wanted and events arrive,
 * at most one refit per `refitMinutes` (the first one a second after the first event or the first demand,
 * so a bootstrap or a bulk load is one fit), in a worker thread of its own. The main thread
 * only copies the index into a CSR matrix (O(interactions), typed arrays transferred, not cloned); the
 * worker starts from a copy of the served factors. The finished factors become a new frozen snapshot that
 * replaces the served one in one assignment; a request holds the snapshot it started with, so it never
 * mixes two fits, and the served snapshot's arrays are never written to.
 */
export class OnlineAls {
  readonly options: AlsOptions;
  private current: AlsSnapshot | null = null;
  /** Bumped on every change of the index that the factors depend on. */
  private changes = 0;
  private inFlight: Promise<AlsSnapshot | null> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastFitEnded = 0;
  /** Worker threads running now (a refit, a priming): terminated by close(). */
  private readonly workers = new Set<Worker>();
  private closed = false;
  private version = 0;
  private wanted = false;
  /** Off while the owner's background work is paused (bulk loads, eval, tests): refits only on request. */
  private background = true;
  /** Refits started in a worker / on the calling thread (tests, metrics). */
  fits = { worker: 0, sync: 0 };
  /** The vectors of recent fold-ins, shared by every strategy that serves these options (`AlsStrategy`). */
  readonly userVectors: UserVectorCache;
  private readonly fittedListeners: ((snap: AlsSnapshot) => void)[] = [];
  private readonly primedListeners: ((report: PrimingReport) => void)[] = [];
  private readonly primeFailedListeners: ((message: string) => void)[] = [];
  /** Users whose kept vector is solved again after this turn (`refreshSoon`), and that solve's own scratch. */
  private readonly refreshPending = new Set<number>();
  private refreshScheduled = false;
  private readonly refreshScratch = new FoldInScratch();
  /** The priming of kept user vectors after the latest swap (als-prime.ts); resolves with how many it kept. */
  private priming: Promise<number> = Promise.resolve(0);
  /** The last priming that failed, and why (it costs only speed: requests solve for themselves). */
  primeError: string | null = null;
  /** What the last finished priming did (logs, benches). */
  lastPriming: PrimingReport | null = null;
  /** The snapshot version whose priming was last started: each served snapshot is primed once. */
  private primedVersion = -1;

  constructor(
    private readonly index: InteractionIndex,
    options: Partial<AlsOptions> = {},
    private readonly onSwap: () => void = () => undefined,
    private readonly workerPath = path.join(__dirname, 'als-worker.js'),
  ) {
    this.options = { ...DEFAULT_ALS_OPTIONS, ...options };
    this.userVectors = new UserVectorCache(this.options.userVectors);
    index.onInteraction((user) => {
      this.changes++;
      if (this.current !== null && this.userVectors.holds(user, this.current)) this.refreshSoon(user);
    });
  }

  /**
   * A kept user vector is solved again once the turn that applied the user's events is over, not by the
   * user's next request. Why: a shopper's next list usually follows an event of theirs (a view, a click), and
   * the fold-in was most of what `als` adds to a request (BENCHMARKS.md, issue 15). Only users whose vector is
   * kept (served lately) are solved, once per turn however many events they had; a request that comes first
   * solves it itself, as before, and this then finds it current.
   */
  private refreshSoon(user: number): void {
    this.refreshPending.add(user);
    if (this.refreshScheduled) return;
    this.refreshScheduled = true;
    setImmediate(() => {
      this.refreshScheduled = false;
      const model = this.current;
      if (model !== null && !this.closed) {
        for (const u of this.refreshPending) {
          const h = this.index.users[u];
          if (h) this.userVectors.refresh(model, u, h, this.options, this.refreshScratch);
        }
      }
      this.refreshPending.clear();
    });
  }

  get model(): AlsSnapshot | null {
    return this.current;
  }

  /**
   * The factors are needed (the served configuration uses `als`, or a request just asked for it): from now
   * on events plan background refits. The first call plans one at once, so the asker's next request is served.
   */
  demand(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.schedule();
  }

  /** Pauses (false) or resumes (true) background refits, with the Recommender's background refresh. */
  setBackground(on: boolean): void {
    this.background = on;
    if (on) {
      this.schedule();
      this.primeIfDue(); // a model loaded while paused (a gateway's start) is primed now
    }
  }

  /** Closed with its recommender: nothing of it is written or fitted any more. */
  get isClosed(): boolean {
    return this.closed;
  }

  get demanded(): boolean {
    return this.wanted;
  }

  /** Something the factors depend on changed outside the event path (a forgotten user, whose kept vector goes). */
  noteChange(forgottenUser?: number): void {
    this.changes++;
    if (forgottenUser !== undefined) this.userVectors.forget(forgottenUser);
  }

  stale(): boolean {
    return this.current === null ? this.index.interactions > 0 : this.current.changes !== this.changes;
  }

  /** Fits on this thread now, when stale (eval, bench, tests: `Recommender.refreshNow`). */
  fitNow(): AlsSnapshot | null {
    if (!this.stale()) return this.current;
    const changes = this.changes;
    const position = positionOf(this.index);
    const m = matrixFromIndex(this.index, this.options);
    const fit = fitAls(m, this.options, this.current?.Y, this.iterationsFor(this.current));
    const eigenvalues = toServedBasis(fit.Y, m.items, this.options.factors);
    this.fits.sync++;
    return this.installFit(fit.Y, eigenvalues, m.items, changes, fit.fitMs, position);
  }

  /**
   * Called with every snapshot a fit (not a load) installs, after it is served: what keeps a copy of the
   * model elsewhere (the Neo4j write-back, wired in src/app/flywheel.ts) listens here.
   */
  onFitted(listener: (snap: AlsSnapshot) => void): void {
    this.fittedListeners.push(listener);
  }

  /**
   * The served model as a record (item ids, vectors, hyperparameters, fit time, data position) for a file
   * (`flywheel export-als`) or the graph store; null before the first fit or load. The vectors are the
   * snapshot's own frozen array: read them, never write.
   */
  exportModel(snap: AlsSnapshot | null = this.current): ItemFactorModel | null {
    if (!snap) return null;
    const o = this.options;
    const hyperparameters: Record<string, number | string> = {};
    for (const key of MODEL_DEFINING) if (key !== 'factors') hyperparameters[key] = o[key];
    hyperparameters.iterations = o.iterations;
    hyperparameters.cgSteps = o.cgSteps;
    hyperparameters.seed = o.seed;
    return {
      formatVersion: ALS_MODEL_FORMAT_VERSION,
      factors: snap.k,
      hyperparameters,
      fittedAt: snap.fittedAt,
      fitMs: snap.fitMs,
      position: snap.position,
      itemIds: this.index.items.slice(0, snap.items).map((m) => m.id),
      vectors: snap.Y.subarray(0, snap.items * snap.k),
    };
  }

  /**
   * Serves a stored model (a file, or the factors a Neo4j store kept) at once, instead of waiting for a fit.
   * Refused with AlsModelError ('mismatch') when its dimension or model-defining hyperparameters are not the
   * configured ones. Its rows are matched to this index's items by id: items it does not know are dropped,
   * items it has no row for get none (they are not scored, as items newer than a fit). The rows are then
   * rotated into the eigenbasis of their own Gram matrix (`toServedBasis`, items x k^2 on this thread: about
   * 2 s at 50,000 items and 128 factors), the basis the fold-in's preconditioner needs.
   *
   * When the model saw exactly the data the index holds now (same interaction count and latest event, a row
   * for every item), it counts as fresh: no refit until events arrive. Otherwise the next refit is planned as after any change,
   * warm-started from these factors (fewer sweeps than a cold fit).
   */
  loadModel(model: ItemFactorModel, source = 'the stored ALS model'): { items: number; matched: number; dropped: number; fresh: boolean } {
    checkAlsModelFits(model, this.options, source);
    const k = model.factors;
    const items = this.index.itemCount;
    const Y = new Float64Array(items * k);
    let matched = 0;
    for (let r = 0; r < model.itemIds.length; r++) {
      const j = this.index.itemIndex.get(model.itemIds[r]!);
      if (j === undefined) continue;
      Y.set(model.vectors.subarray(r * k, r * k + k), j * k);
      matched++;
    }
    const eigenvalues = toServedBasis(Y, items, k);
    const now = positionOf(this.index);
    // fresh only if it also covers every item here (a stored model lacks the items its graph did not hold yet)
    const fresh =
      matched === model.itemIds.length &&
      matched === items &&
      model.position.interactions === now.interactions &&
      model.position.latestEventAt === now.latestEventAt;
    const snap = snapshotOf(Y, eigenvalues, items, this.options, fresh ? this.changes : -1, model.fitMs, ++this.version, {
      fittedAt: model.fittedAt,
      position: model.position,
      loaded: true,
    });
    this.current = snap;
    this.onSwap();
    this.schedule();
    this.primeIfDue();
    return { items, matched, dropped: model.itemIds.length - matched, fresh };
  }

  /**
   * Refits in a worker thread; resolves with the snapshot now served (the same promise while one runs).
   * A refit already running when more events arrive is not restarted: the next one picks them up.
   */
  refit(): Promise<AlsSnapshot | null> {
    if (this.inFlight) return this.inFlight;
    if (this.closed || !this.stale()) return Promise.resolve(this.current);
    const run = this.refitInWorker().finally(() => {
      this.inFlight = null;
      this.lastFitEnded = Date.now();
      this.schedule();
    });
    this.inFlight = run;
    return run;
  }

  private async refitInWorker(): Promise<AlsSnapshot | null> {
    const changes = this.changes;
    const position = positionOf(this.index);
    const m = matrixFromIndex(this.index, this.options);
    const prev = this.current;
    // a copy: the served snapshot's factors must never be handed over (transfer would detach them)
    const initY = prev ? prev.Y.slice() : undefined;
    const req: AlsFitRequest = {
      matrix: m,
      options: this.options,
      iterations: this.iterationsFor(prev),
      threads: this.options.threads,
      ...(initY ? { initY } : {}),
    };
    this.fits.worker++;
    const transfer = [m.indptr.buffer, m.idx.buffer, m.conf.buffer, ...(initY ? [initY.buffer] : [])] as ArrayBuffer[];
    const reply = await this.inWorker<AlsFitReply>('refit', req, transfer);
    if (reply.type === 'error') throw new Error(`ALS refit failed: ${reply.message}`);
    if (this.closed) return this.current;
    return this.installFit(reply.Y, reply.eigenvalues, m.items, changes, reply.fitMs, position);
  }

  /** One message to a new worker thread of als-worker.ts and its one reply; the thread ends with it. */
  private async inWorker<T>(what: string, message: unknown, transfer: ArrayBuffer[]): Promise<T> {
    const worker = new Worker(this.workerPath);
    this.workers.add(worker);
    try {
      return await new Promise<T>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`ALS ${what} worker exited (code ${code})`)));
        worker.postMessage(message, transfer);
      });
    } finally {
      this.workers.delete(worker);
      void worker.terminate();
    }
  }

  /**
   * Primes the kept user vectors for the served snapshot (als-prime.ts): the users the cache would hold get
   * the vector their request would solve, solved in a worker thread, so their first list after a start or a
   * refit finds it kept. Runs after every swap while background work runs; benches and tests call it
   * directly. Primings run one after another; resolves with how many vectors this one kept.
   */
  prime(): Promise<number> {
    const run = this.priming.then(() => this.primeServed());
    this.priming = run.catch((err: unknown) => {
      this.primeError = err instanceof Error ? err.message : String(err);
      for (const listener of this.primeFailedListeners) listener(this.primeError);
      return 0;
    });
    return run;
  }

  /** Called with the report of every priming that finished (the composition root logs it). */
  onPrimed(listener: (report: PrimingReport) => void): void {
    this.primedListeners.push(listener);
  }

  /** Called with the reason of every priming that failed (it costs only speed: requests solve for themselves). */
  onPrimeFailed(listener: (message: string) => void): void {
    this.primeFailedListeners.push(listener);
  }

  /** Resolves once the priming started last is over, with how many vectors it kept (0 if it failed). */
  primed(): Promise<number> {
    return this.priming;
  }

  /** Starts priming the served snapshot unless it was primed already or background work is paused. */
  private primeIfDue(): void {
    if (!this.background || this.closed || this.current === null || this.current.version === this.primedVersion) return;
    this.primedVersion = this.current.version;
    this.prime().catch(() => undefined); // recorded in primeError
  }

  private async primeServed(): Promise<number> {
    const started = performance.now();
    const snap = this.current;
    const o = this.options;
    if (snap === null || this.closed || !this.userVectors.keepsFor(o)) return 0;
    const live = () => !this.closed && this.current === snap;
    const users = this.userVectors.primeCandidates(this.index.users);
    const read = await readPrimeRows(snap, this.index, users, o, live);
    if (read === null || read.rows.users.length === 0 || !live()) return 0;
    const rows = read.rows;
    // copies: the served snapshot's arrays must never be handed over (transfer would detach them)
    const req: AlsPrimeRequest = { role: 'prime', factors: { k: snap.k, Yf: snap.Yf.slice(), shared: snap.shared.slice() }, options: o, rows };
    const transfer = [req.factors.Yf.buffer, rows.idx.buffer, rows.conf.buffer] as ArrayBuffer[];
    const reply = await this.inWorker<AlsPrimeReply>('prime', req, transfer);
    if (reply.type === 'error') throw new Error(`ALS priming failed: ${reply.message}`);
    if (!live()) return 0;
    const kept = keepPrimed(this.userVectors, snap, this.index, rows, reply.X);
    const ms = (t: number) => Math.round(t);
    this.lastPriming = {
      users: users.length,
      rows: rows.users.length,
      kept,
      readMs: ms(read.readMs),
      solveMs: ms(reply.solveMs),
      wallMs: ms(performance.now() - started),
    };
    for (const listener of this.primedListeners) listener(this.lastPriming);
    return kept;
  }

  /** A warm start needs fewer sweeps than a cold one. */
  private iterationsFor(prev: AlsSnapshot | null): number {
    return prev ? Math.max(2, Math.ceil(this.options.iterations / 2)) : this.options.iterations;
  }

  /** The swap: one assignment of a complete, frozen snapshot; then the listeners of a fit. */
  private installFit(Y: Float64Array, eigenvalues: Float64Array, items: number, changes: number, fitMs: number, position: ItemFactorPosition): AlsSnapshot {
    const snap = snapshotOf(Y, eigenvalues, items, this.options, changes, fitMs, ++this.version, { fittedAt: Date.now(), position, loaded: false });
    this.current = snap;
    this.onSwap();
    for (const listener of this.fittedListeners) listener(snap);
    this.primeIfDue();
    return snap;
  }

  /** Called after applied events: plans a background refit when wanted (period `refitMinutes`; 0 = never on its own). */
  schedule(): void {
    if (!this.wanted || !this.background || this.closed || this.timer || this.inFlight || this.options.refitMinutes <= 0 || !this.stale()) return;
    const wait = this.current === null ? 1000 : Math.max(0, this.lastFitEnded + this.options.refitMinutes * 60_000 - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.background) this.refit().catch(() => undefined);
    }, wait);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const running = [...this.workers];
    this.workers.clear();
    await Promise.all(running.map((w) => w.terminate()));
  }
}

/** `Accumulator.from` of a candidate scored by the factors but not explained by one history item. */
export const FROM_FACTORS = -3;

export class AlsStrategy implements Strategy {
  readonly signal = 'shoppers with tastes like yours chose';
  readonly ranksCandidates = true;
  private ranked = new Int32Array(0);
  private readonly s = new FoldInScratch();
  private scores = new Float64Array(0);
  private all = new Int32Array(0);
  private inHistory = new Uint8Array(0);
  private z = new Float64Array(0);
  /**
   * The last request's deferred explanations (`explainLater`): the snapshot its fold-in used, the items it
   * added as EXPLAIN_LATER (`deferred[j]` 1; 2 once explained, with the answer in `explainedFrom[j]`), how
   * many it explained. Its fold-in stays in `s` until the next request.
   */
  private pending: AlsSnapshot | null = null;
  /** The last request's ranking: topKInto's heap, reused by every request, best first in `top[0, topCount)`. */
  private top = new Int32Array(0);
  private topCount = 0;
  private deferred = new Uint8Array(0);
  private explainedFrom = new Int32Array(0);
  private explained = 0;
  /** Fold-in time of the last request, ms (bench). */
  lastFoldInMs = 0;
  /** CG steps of the last request's fold-in (bench; 0 for a kept vector). */
  lastFoldInSteps = 0;

  /** `options`: settings of this strategy's own in place of the served ones (a bench's second solver over the same factors). */
  constructor(
    private readonly als: OnlineAls,
    private readonly index: InteractionIndex,
    readonly name = 'als',
    private readonly options?: AlsOptions,
  ) {}

  get description(): string {
    const o = this.als.options;
    return `implicit-feedback matrix factorisation (ALS, ${o.factors} factors, confidence ${o.confidence} alpha ${o.alpha}, lambda ${o.regularization}); the user's vector is solved from the live history per request, item factors refit in the background`;
  }

  score(_seeds: readonly Seed[], acc: Accumulator, ctx?: ScoreContext): void {
    this.forgetDeferred();
    this.als.demand();
    const model = this.als.model; // one read: the whole request uses this snapshot
    if (!model || !ctx) return;
    const u = this.index.userIndex.get(ctx.userId);
    if (u === undefined) return;
    const h = this.index.users[u]!;
    if (h.n === 0) return;
    const s = this.s;
    const o = this.options ?? this.als.options;
    const t0 = performance.now();
    // a strategy with options of its own (a bench's second solver) solves afresh: the kept vectors are the served options'
    if (!(this.options ? foldIn(model, h, o, s) : this.als.userVectors.foldIn(model, u, h, o, s))) return;
    this.lastFoldInMs = performance.now() - t0;
    this.lastFoldInSteps = s.steps;
    const n = model.items;
    if (this.scores.length < n) {
      this.scores = new Float64Array(Math.max(n, this.scores.length * 2));
      this.inHistory = new Uint8Array(this.scores.length);
      this.deferred = new Uint8Array(this.scores.length);
      this.explainedFrom = new Int32Array(this.scores.length);
      this.all = Int32Array.from({ length: this.scores.length }, (_, i) => i);
    }
    if (this.z.length < model.k) this.z = new Float64Array(model.k);
    const pool = ctx.candidates;
    const ranker = pool !== undefined && n > o.exactMaxItems;
    // alone (or on a small catalogue): its own best `candidates`, history aside; re-ranking a blend's: `rerank`
    const want = ranker && pool.score ? o.rerank : o.candidates + s.n;
    if (this.top.length < want) this.top = new Int32Array(Math.max(want, this.top.length * 2));
    if (ranker) {
      // A large catalogue inside a blend: re-rank the other parts' best `rerank` candidates by the blend's score
      // so far, not all of them (a user with a long history brings thousands, each a row read and k
      // multiply-adds; BENCHMARKS.md, issue 15, 4 December: the same NDCG on both data sets).
      // Items newer than the fit have no factors.
      if (this.ranked.length < pool.n) this.ranked = new Int32Array(Math.max(pool.n, this.ranked.length * 2));
      let from = pool.items;
      let count = pool.n;
      if (pool.score && pool.n > want) {
        count = topKInto(pool.items, pool.n, pool.score, want, this.ranked);
        from = this.ranked; // filtered in place below: m never passes t
      }
      let m = 0;
      for (let t = 0; t < count; t++) {
        const j = from[t]!;
        if (j < n) this.ranked[m++] = j;
      }
      scoreSome(model, s.x, this.ranked, m, this.scores);
      this.topCount = topKInto(this.ranked, m, this.scores, want, this.top);
    } else {
      scoreAll(model, s.x, this.scores);
      this.topCount = topKInto(this.all, n, this.scores, want, this.top);
    }
    for (let t = 0; t < s.n; t++) this.inHistory[s.idx[t]!] = 1;
    // Explanations (|history| x factors each) are deferred to the items the list shows (`explainLater`).
    for (let t = 0; t < this.topCount; t++) {
      const j = this.top[t]!;
      const v = this.scores[j]!;
      if (!(v > 0)) break;
      if (this.inHistory[j] === 0) {
        this.deferred[j] = 1;
        acc.add(j, v, EXPLAIN_LATER);
      } else acc.add(j, v, FROM_FACTORS);
    }
    for (let t = 0; t < s.n; t++) this.inHistory[s.idx[t]!] = 0;
    this.pending = model;
  }

  /**
   * The history item that contributed most to item j's score in the last request (als.ts, `explain`), for at
   * most `explain` items per request (FROM_FACTORS after that), each computed once.
   */
  explainLater(j: number): number | undefined {
    const model = this.pending;
    if (!model || j >= this.deferred.length || this.deferred[j] === 0) return undefined;
    if (this.deferred[j] === 2) return this.explainedFrom[j]!;
    const o = this.options ?? this.als.options;
    if (this.explained >= o.explain) return FROM_FACTORS;
    this.explained++;
    const from = explain(model, this.s, j, this.z);
    this.deferred[j] = 2;
    this.explainedFrom[j] = from;
    return from;
  }

  private forgetDeferred(): void {
    for (let t = 0; t < this.topCount; t++) this.deferred[this.top[t]!] = 0;
    this.topCount = 0;
    this.pending = null;
    this.explained = 0;
  }
}
