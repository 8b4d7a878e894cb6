import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  DEFAULT_ALS_OPTIONS,
  FoldInScratch,
  explain,
  fitAls,
  foldIn,
  matrixFromIndex,
  scoreAll,
  scoreSome,
  snapshotOf,
  toServedBasis,
  type AlsOptions,
  type AlsSnapshot,
} from './als';
import type { AlsFitReply, AlsFitRequest } from './als-worker';
import type { InteractionIndex } from './interactions';
import { topK } from './linalg';
import type { Accumulator, ScoreContext, Seed, Strategy } from './strategy';

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
  private worker: Worker | null = null;
  private closed = false;
  private version = 0;
  private wanted = false;
  /** Off while the owner's background work is paused (bulk loads, eval, tests): refits only on request. */
  private background = true;
  /** Refits started in a worker / on the calling thread (tests, metrics). */
  fits = { worker: 0, sync: 0 };

  constructor(
    private readonly index: InteractionIndex,
    options: Partial<AlsOptions> = {},
    private readonly onSwap: () => void = () => undefined,
    private readonly workerPath = path.join(__dirname, 'als-worker.js'),
  ) {
    this.options = { ...DEFAULT_ALS_OPTIONS, ...options };
    index.onInteraction(() => this.changes++);
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
    if (on) this.schedule();
  }

  get demanded(): boolean {
    return this.wanted;
  }

  /** Something the factors depend on changed outside the event path (a forgotten user). */
  noteChange(): void {
    this.changes++;
  }

  stale(): boolean {
    return this.current === null ? this.index.interactions > 0 : this.current.changes !== this.changes;
  }

  /** Fits on this thread now, when stale (eval, bench, tests: `Recommender.refreshNow`). */
  fitNow(): AlsSnapshot | null {
    if (!this.stale()) return this.current;
    const changes = this.changes;
    const m = matrixFromIndex(this.index, this.options);
    const fit = fitAls(m, this.options, this.current?.Y, this.iterationsFor(this.current));
    const eigenvalues = toServedBasis(fit.Y, m.items, this.options.factors);
    this.fits.sync++;
    return this.install(fit.Y, eigenvalues, m.items, changes, fit.fitMs);
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
    const worker = new Worker(this.workerPath);
    this.worker = worker;
    this.fits.worker++;
    try {
      const reply = await new Promise<AlsFitReply>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`ALS refit worker exited (code ${code})`)));
        const transfer = [m.indptr.buffer, m.idx.buffer, m.conf.buffer, ...(initY ? [initY.buffer] : [])] as ArrayBuffer[];
        worker.postMessage(req, transfer);
      });
      if (reply.type === 'error') throw new Error(`ALS refit failed: ${reply.message}`);
      if (this.closed) return this.current;
      return this.install(reply.Y, reply.eigenvalues, m.items, changes, reply.fitMs);
    } finally {
      this.worker = null;
      void worker.terminate();
    }
  }

  /** A warm start needs fewer sweeps than a cold one. */
  private iterationsFor(prev: AlsSnapshot | null): number {
    return prev ? Math.max(2, Math.ceil(this.options.iterations / 2)) : this.options.iterations;
  }

  /** The swap: one assignment of a complete, frozen snapshot. */
  private install(Y: Float64Array, eigenvalues: Float64Array, items: number, changes: number, fitMs: number): AlsSnapshot {
    const snap = snapshotOf(Y, eigenvalues, items, this.options, changes, fitMs, ++this.version);
    this.current = snap;
    this.onSwap();
    return snap;
  }

  /** Called after applied events: plans a background refit when wanted (period `refitMinutes`; 0 = never on its own). */
  schedule(): void {
    if (!this.wanted || !this.background || this.closed || this.timer || this.inFlight || this.options.refitMinutes <= 0 || !this.stale()) return;
    const wait = this.current === null ? 1000 : Math.max(0, this.lastFitEnded + this.options.refitMinutes * 60_000 - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refit().catch(() => undefined);
    }, wait);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
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
  /** Fold-in time of the last request, ms (bench). */
  lastFoldInMs = 0;

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
    this.als.demand();
    const model = this.als.model; // one read: the whole request uses this snapshot
    if (!model || !ctx) return;
    const h = this.index.user(ctx.userId);
    if (!h || h.n === 0) return;
    const s = this.s;
    const o = this.options ?? this.als.options;
    const t0 = performance.now();
    if (!foldIn(model, h, o, s)) return;
    this.lastFoldInMs = performance.now() - t0;
    const n = model.items;
    if (this.scores.length < n) {
      this.scores = new Float64Array(Math.max(n, this.scores.length * 2));
      this.inHistory = new Uint8Array(this.scores.length);
      this.all = Int32Array.from({ length: this.scores.length }, (_, i) => i);
    }
    if (this.z.length < model.k) this.z = new Float64Array(model.k);
    const pool = ctx.candidates;
    let top: Int32Array;
    if (pool && n > o.exactMaxItems) {
      // a large catalogue inside a blend: rank the other parts' candidates only (items newer than the fit have no factors)
      if (this.ranked.length < pool.n) this.ranked = new Int32Array(Math.max(pool.n, this.ranked.length * 2));
      let m = 0;
      for (let t = 0; t < pool.n; t++) {
        const j = pool.items[t]!;
        if (j < n) this.ranked[m++] = j;
      }
      scoreSome(model, s.x, this.ranked, m, this.scores);
      top = topK(this.ranked, m, this.scores, o.candidates + s.n);
    } else {
      scoreAll(model, s.x, this.scores);
      top = topK(this.all, n, this.scores, o.candidates + s.n);
    }
    for (let t = 0; t < s.n; t++) this.inHistory[s.idx[t]!] = 1;
    let explained = 0;
    for (const j of top) {
      const v = this.scores[j]!;
      if (!(v > 0)) break;
      let from = FROM_FACTORS;
      if (explained < o.explain && this.inHistory[j] === 0) {
        from = explain(model, s, j, this.z);
        explained++;
      }
      acc.add(j, v, from);
    }
    for (let t = 0; t < s.n; t++) this.inHistory[s.idx[t]!] = 0;
  }
}
