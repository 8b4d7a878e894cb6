import { FoldInScratch, foldInRow, solveRowByCg, type AlsOptions, type AlsSnapshot, type CgFactors } from './als';
import type { UserVectorCache } from './als-user-vectors';
import type { InteractionIndex } from './interactions';

/**
 * Priming the kept user vectors after a snapshot is served (a refit, or a model loaded at start).
 *
 * A refit rotates the factors' basis, so every kept vector is of no use afterwards, and a gateway that has
 * just started keeps none: each user's first list would solve their vector on the request path, which at
 * 5M interactions made the blend with `als` cost 1.3 times the default at p99 (BENCHMARKS.md, issue 15).
 * Instead, right after the swap, the users the cache would hold (`UserVectorCache.primeCandidates`: the
 * users it holds, else per slot the most recently active) have their fold-in rows read here and solved in a
 * worker thread. The solve is the request's own CG code (`solveRowByCg`, deterministic), so a primed vector
 * is the vector the user's request would have solved, bit for bit; a user whose history changed while it
 * was solved is not primed (`UserVectorCache.prime` checks the version), so nothing stale is served.
 *
 * On this thread only the rows are read, in slices of at most `SLICE_MS` between which requests run.
 */

/** The fold-in rows of the users to prime, CSR, with each history's version when its row was read. */
export interface PrimeRows {
  users: Int32Array;
  versions: Float64Array;
  indptr: Int32Array;
  idx: Int32Array;
  conf: Float32Array;
}

/** What the prime worker is sent (`als-worker.ts`, role `prime`). */
export interface AlsPrimeRequest {
  role: 'prime';
  factors: CgFactors;
  options: AlsOptions;
  rows: PrimeRows;
}

export type AlsPrimeReply = { type: 'primed'; X: Float64Array; solveMs: number } | { type: 'error'; message: string };

/** How long the main thread reads rows before it lets requests run. */
const SLICE_MS = 2;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What one priming did: the users chosen, the rows read and the vectors kept; main-thread, worker and wall ms. */
export interface PrimingReport {
  users: number;
  rows: number;
  kept: number;
  readMs: number;
  solveMs: number;
  wallMs: number;
}

/**
 * The fold-in rows of `users` against `model` (the request's `foldInRow`), read in slices, and the time this
 * thread spent on them; users with no row (no history item has factors) are left out. `live()` false stops
 * it (a newer snapshot, a close).
 */
export async function readPrimeRows(
  model: AlsSnapshot,
  index: InteractionIndex,
  users: Int32Array,
  o: AlsOptions,
  live: () => boolean,
): Promise<{ rows: PrimeRows; readMs: number } | null> {
  let readMs = 0;
  let sliceStart = performance.now();
  let entries = 0;
  for (const u of users) entries += Math.min(index.users[u]!.n, o.foldInHistory > 0 ? o.foldInHistory : Infinity);
  const rows: PrimeRows = {
    users: new Int32Array(users.length),
    versions: new Float64Array(users.length),
    indptr: new Int32Array(users.length + 1),
    idx: new Int32Array(entries),
    conf: new Float32Array(entries),
  };
  const s = new FoldInScratch();
  let m = 0;
  let at = 0;
  for (const u of users) {
    const now = performance.now();
    if (now > sliceStart + SLICE_MS) {
      readMs += now - sliceStart;
      await nextTurn();
      if (!live()) return null;
      sliceStart = performance.now();
    }
    const h = index.users[u]!;
    // the history may have grown since the count above: a row that no longer fits waits for the user's request
    if (!foldInRow(model, h, o, s) || at + s.n > entries) continue;
    rows.idx.set(s.idx.subarray(0, s.n), at);
    rows.conf.set(s.conf.subarray(0, s.n), at);
    at += s.n;
    rows.users[m] = u;
    rows.versions[m] = h.version;
    rows.indptr[++m] = at;
  }
  readMs += performance.now() - sliceStart;
  return { rows: { ...rows, users: rows.users.subarray(0, m), versions: rows.versions.subarray(0, m), indptr: rows.indptr.subarray(0, m + 1) }, readMs };
}

/** Solves every row (the prime worker's work): users x k vectors, row-major, in `rows.users` order. */
export function solveRows(factors: CgFactors, rows: PrimeRows, o: AlsOptions): Float64Array {
  const k = factors.k;
  const X = new Float64Array(rows.users.length * k);
  const s = new FoldInScratch();
  for (let r = 0; r < rows.users.length; r++) {
    const a = rows.indptr[r]!;
    const n = rows.indptr[r + 1]! - a;
    s.ensure(k, n);
    s.idx.set(rows.idx.subarray(a, a + n));
    s.conf.set(rows.conf.subarray(a, a + n));
    s.n = n;
    s.diagReady = false;
    s.gathered = false;
    solveRowByCg(factors, s, o);
    X.set(s.x.subarray(0, k), r * k);
  }
  return X;
}

/** Keeps the solved vectors whose users' histories are still the ones solved; returns how many it kept. */
export function keepPrimed(cache: UserVectorCache, model: AlsSnapshot, index: InteractionIndex, rows: PrimeRows, X: Float64Array): number {
  let kept = 0;
  for (let r = 0; r < rows.users.length; r++) {
    const u = rows.users[r]!;
    const h = index.users[u];
    if (h && h.version === rows.versions[r] && cache.prime(model, u, h.version, X, r * model.k)) kept++;
  }
  return kept;
}
