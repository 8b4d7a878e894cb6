import { foldIn, foldInRow, type AlsOptions, type AlsSnapshot, type FoldInScratch } from './als';
import type { UserHistory } from './interactions';

/** How a request's user vector was obtained (`flywheel_als_fold_ins_total{start}`). */
export interface FoldInCounts {
  /** The history and the snapshot were those of the kept vector: no solve. */
  cached: number;
  /** Solved, starting from the kept vector of the same snapshot (the history changed since). */
  warm: number;
  /** Solved from M^-1 b: no kept vector, or one of another snapshot. */
  cold: number;
}

/**
 * The user vectors of recent fold-ins, so that a user asked for again is not solved again from scratch.
 *
 * A request's fold-in is a pure function of the snapshot, the user's history and the options. A kept vector
 * records the snapshot version and the history version (`UserHistory.version`, bumped by every change of
 * that history) it was solved from:
 * - both unchanged (the same user's next list: another widget on the page, the next page): the kept vector
 *   is the answer, bit for bit, and only the row is rebuilt (for explanations);
 * - the history changed (the user did something since) but the snapshot is the same: the CG starts from the
 *   kept vector, which a few events move little, and stops at the same tolerance as a cold start, after
 *   fewer steps (the `implicit` library warm-starts its CG from the previous factors the same way);
 * - another snapshot (a refit rotates the basis) or none kept: a cold start, as without the cache.
 * So a new event still counts at the next request; the cache changes how long a fold-in takes, not what it
 * gives beyond the CG's tolerance.
 *
 * Direct-mapped: user index u lives in slot u mod `capacity`, and a user who lands on an occupied slot
 * evicts its holder. No allocation per request and no per-user objects for the garbage collector to trace;
 * storage grows with the users seen, up to `capacity` x k float64 (65,536 x 128 = 64 MB).
 */
export class UserVectorCache {
  private owner = new Int32Array(0);
  private snapshot = new Int32Array(0);
  private history = new Float64Array(0);
  private vectors = new Float64Array(0);
  private k = 0;
  readonly counts: FoldInCounts = { cached: 0, warm: 0, cold: 0 };
  /** Kept vectors solved again off the request path, after their user's events (`refresh`). */
  refreshed = 0;
  /** Vectors kept by priming after a snapshot was served (`prime`, als-prime.ts). */
  primed = 0;

  constructor(readonly capacity: number) {}

  /**
   * The user's vector for `model` and history `h` into `s.x` (with the row in `s`), from the cache when it
   * holds it, else by a fold-in (warm-started when it can be) whose answer it then keeps. False when no
   * history item has factors.
   */
  foldIn(model: AlsSnapshot, u: number, h: UserHistory, o: AlsOptions, s: FoldInScratch): boolean {
    if (!this.keepsFor(o)) return this.solved(foldIn(model, h, o, s), 'cold');
    const slot = u % this.capacity;
    const held = this.holds(u, model);
    if (held && this.history[slot] === h.version) {
      if (!foldInRow(model, h, o, s)) return false;
      s.x.set(this.vectors.subarray(slot * this.k, slot * this.k + this.k));
      s.exact = false;
      s.steps = 0;
      this.counts.cached++;
      return true;
    }
    const ok = held ? foldIn(model, h, o, s, this.vectors, slot * this.k) : foldIn(model, h, o, s);
    if (!ok) return false;
    this.keep(slot, u, model, h.version, s.x);
    return this.solved(true, held ? 'warm' : 'cold');
  }

  /**
   * Whether vectors are kept with these options: a capacity, and a CG fold-in (only a CG starts from a kept
   * vector; the exact solve has nothing to reuse).
   */
  keepsFor(o: AlsOptions): boolean {
    return this.capacity > 0 && o.foldInCgSteps > 0;
  }

  /** Whether user `u`'s vector for `model` is kept (solved from whatever history version it records). */
  holds(u: number, model: AlsSnapshot): boolean {
    return this.capacity > 0 && this.slotOf(u % this.capacity, model) === u;
  }

  /** The user whose vector for `model` slot `slot` holds, or -1. */
  private slotOf(slot: number, model: AlsSnapshot): number {
    if (slot >= this.owner.length || this.owner[slot] === 0 || this.snapshot[slot] !== model.version || this.k !== model.k) return -1;
    return this.owner[slot]! - 1;
  }

  /**
   * Solves a kept vector again for the user's history now (warm-started, the same tolerance as a request's
   * fold-in), so that the user's next request finds it current. Called off the request path after the user's
   * events (`OnlineAls`); does nothing for a user it does not hold or whose vector is already current.
   */
  refresh(model: AlsSnapshot, u: number, h: UserHistory, o: AlsOptions, s: FoldInScratch): void {
    if (!this.keepsFor(o) || !this.holds(u, model)) return;
    const slot = u % this.capacity;
    if (this.history[slot] === h.version) return;
    if (!foldIn(model, h, o, s, this.vectors, slot * this.k)) return;
    this.keep(slot, u, model, h.version, s.x);
    this.refreshed++;
  }

  /**
   * The users to prime for a newly served snapshot (als-prime.ts), one per slot: the user the slot holds
   * (served lately), else the user of that slot whose latest event is the most recent. O(users), once per
   * snapshot.
   */
  primeCandidates(users: readonly UserHistory[]): Int32Array {
    const slots = Math.min(this.capacity, users.length);
    if (slots <= 0) return new Int32Array(0);
    const pick = new Int32Array(slots).fill(-1);
    const latest = new Float64Array(slots).fill(-Infinity);
    for (let slot = 0; slot < Math.min(slots, this.owner.length); slot++) {
      const u = this.owner[slot]! - 1;
      if (u >= 0 && users[u]!.n > 0) {
        pick[slot] = u;
        latest[slot] = Infinity;
      }
    }
    for (let u = 0; u < users.length; u++) {
      const h = users[u]!;
      const slot = u % this.capacity;
      if (h.n > 0 && h.latest > latest[slot]!) {
        latest[slot] = h.latest;
        pick[slot] = u;
      }
    }
    return pick.filter((u) => u >= 0);
  }

  /**
   * Keeps user u's vector `X[at, at + k)`, solved against `model` from history version `version` (priming),
   * unless the slot already holds a vector of this snapshot: that one was solved since, by a request or a
   * refresh, and is as current or newer. Returns whether it kept it.
   */
  prime(model: AlsSnapshot, u: number, version: number, X: Float64Array, at: number): boolean {
    if (this.capacity <= 0) return false;
    const slot = u % this.capacity;
    if (this.slotOf(slot, model) >= 0) return false;
    this.keep(slot, u, model, version, X.subarray(at, at + model.k));
    this.primed++;
    return true;
  }

  /** Drops a user's kept vector (the user is forgotten: erasure, a bot flag). */
  forget(u: number): void {
    if (this.capacity <= 0) return;
    const slot = u % this.capacity;
    if (slot < this.owner.length && this.owner[slot] === u + 1) {
      this.owner[slot] = 0;
      this.vectors.fill(0, slot * this.k, slot * this.k + this.k);
    }
  }

  /** Vectors held now (tests, bench). */
  get size(): number {
    let n = 0;
    for (const o of this.owner) if (o !== 0) n++;
    return n;
  }

  private keep(slot: number, u: number, model: AlsSnapshot, version: number, x: Float64Array): void {
    if (this.k !== model.k) {
      this.k = model.k;
      this.owner = new Int32Array(0);
      this.snapshot = new Int32Array(0);
      this.history = new Float64Array(0);
      this.vectors = new Float64Array(0);
    }
    if (slot >= this.owner.length) this.grow(slot + 1);
    this.owner[slot] = u + 1;
    this.snapshot[slot] = model.version;
    this.history[slot] = version;
    this.vectors.set(x.subarray(0, this.k), slot * this.k);
  }

  private grow(atLeast: number): void {
    const slots = Math.min(this.capacity, Math.max(atLeast, this.owner.length * 2, 1024));
    const owner = new Int32Array(slots);
    owner.set(this.owner);
    const snapshot = new Int32Array(slots);
    snapshot.set(this.snapshot.subarray(0, Math.min(this.snapshot.length, slots)));
    const history = new Float64Array(slots);
    history.set(this.history.subarray(0, Math.min(this.history.length, slots)));
    const vectors = new Float64Array(slots * this.k);
    vectors.set(this.vectors.subarray(0, Math.min(this.vectors.length, vectors.length)));
    this.owner = owner;
    this.snapshot = snapshot;
    this.history = history;
    this.vectors = vectors;
  }

  private solved(ok: boolean, start: 'warm' | 'cold'): boolean {
    if (ok) this.counts[start]++;
    return ok;
  }
}
