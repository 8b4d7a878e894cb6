/**
 * Bounded data structures for the streaming detectors: an LRU map (caps the number of tracked keys) and a
 * ring buffer with median / MAD (robust baseline over a key's recent history).
 */

interface LruNode<V> {
  key: string;
  value: V;
  prev: LruNode<V> | null;
  next: LruNode<V> | null;
}

/**
 * Map with a capacity; `get` and `set` refresh recency, the least recently used entry is evicted.
 * A doubly linked list keeps recency, so every operation is O(1) (iterating a JS Map from the front after
 * many deletions is not: V8 leaves holes that the iterator has to skip).
 */
export class LruMap<V> {
  private readonly map = new Map<string, LruNode<V>>();
  private head: LruNode<V> | null = null; // least recently used
  private tail: LruNode<V> | null = null; // most recently used
  evictions = 0;

  constructor(
    readonly capacity: number,
    private readonly onEvict?: (key: string, value: V) => void,
  ) {
    if (!(capacity >= 1)) throw new RangeError('LruMap capacity must be >= 1');
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const node = this.map.get(key);
    if (!node) return undefined;
    this.moveToTail(node);
    return node.value;
  }

  /** Read without refreshing recency. */
  peek(key: string): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  set(key: string, value: V): void {
    const node = this.map.get(key);
    if (node) {
      node.value = value;
      this.moveToTail(node);
      return;
    }
    const n: LruNode<V> = { key, value, prev: this.tail, next: null };
    if (this.tail) this.tail.next = n;
    else this.head = n;
    this.tail = n;
    this.map.set(key, n);
    while (this.map.size > this.capacity) this.evictOldest();
  }

  delete(key: string): boolean {
    const node = this.map.get(key);
    if (!node) return false;
    this.unlink(node);
    this.map.delete(key);
    return true;
  }

  /** Least recently used entry. */
  oldest(): [string, V] | undefined {
    return this.head ? [this.head.key, this.head.value] : undefined;
  }

  oldestValue(): V | undefined {
    return this.head?.value;
  }

  evictOldest(): void {
    const first = this.head;
    if (!first) return;
    this.unlink(first);
    this.map.delete(first.key);
    this.evictions++;
    this.onEvict?.(first.key, first.value);
  }

  /** Entries from least to most recently used. */
  *entries(): IterableIterator<[string, V]> {
    for (let n = this.head; n; n = n.next) yield [n.key, n.value];
  }

  private unlink(n: LruNode<V>): void {
    if (n.prev) n.prev.next = n.next;
    else this.head = n.next;
    if (n.next) n.next.prev = n.prev;
    else this.tail = n.prev;
    n.prev = n.next = null;
  }

  private moveToTail(n: LruNode<V>): void {
    if (this.tail === n) return;
    this.unlink(n);
    n.prev = this.tail;
    if (this.tail) this.tail.next = n;
    else this.head = n;
    this.tail = n;
  }
}

/** Set of the most recent `capacity` strings (ring buffer + Set: O(1) per call). */
export class RecentSet {
  private readonly set = new Set<string>();
  private readonly ring: string[] = [];
  private next = 0;
  constructor(readonly capacity: number) {}
  /** True when `key` was already present; otherwise remembers it. */
  seen(key: string): boolean {
    if (this.capacity <= 0) return false;
    if (this.set.has(key)) return true;
    this.set.add(key);
    if (this.ring.length < this.capacity) this.ring.push(key);
    else {
      this.set.delete(this.ring[this.next]!);
      this.ring[this.next] = key;
      this.next = (this.next + 1) % this.capacity;
    }
    return false;
  }
  get size(): number {
    return this.set.size;
  }
}

export interface RobustStats {
  median: number;
  /** Median absolute deviation from the median (unscaled). */
  mad: number;
  n: number;
}

const MAD_SCALE = 0.6745;

/**
 * Fixed-capacity ring buffer of numbers with cached median / MAD. Storage grows with use up to `capacity`,
 * so a key seen once costs one slot. `refreshEvery` > 1 lets a busy shared window (the global one) reuse
 * slightly stale statistics instead of sorting on every query.
 */
export class RobustWindow {
  private readonly buf: number[] = [];
  private next = 0;
  private cached: RobustStats | undefined;
  private pushesSinceStats = 0;
  private scratch: Float64Array | undefined;

  constructor(
    readonly capacity: number,
    private readonly refreshEvery = 1,
  ) {}

  get count(): number {
    return this.buf.length;
  }

  push(x: number): void {
    if (this.buf.length < this.capacity) this.buf.push(x);
    else {
      this.buf[this.next] = x;
      this.next = (this.next + 1) % this.capacity;
    }
    this.pushesSinceStats++;
    if (this.pushesSinceStats >= this.refreshEvery) this.cached = undefined;
  }

  stats(): RobustStats | undefined {
    const n = this.buf.length;
    if (n === 0) return undefined;
    if (this.cached) return this.cached;
    if (!this.scratch || this.scratch.length < n) this.scratch = new Float64Array(this.capacity);
    const a = this.scratch.subarray(0, n);
    for (let i = 0; i < n; i++) a[i] = this.buf[i]!;
    a.sort();
    const median = medianSorted(a);
    for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]! - median);
    a.sort();
    const mad = medianSorted(a);
    this.cached = { median, mad, n };
    this.pushesSinceStats = 0;
    return this.cached;
  }

  values(): number[] {
    return [...this.buf];
  }
}

function medianSorted(a: Float64Array): number {
  const n = a.length;
  const mid = n >> 1;
  return n % 2 === 1 ? a[mid]! : (a[mid - 1]! + a[mid]!) / 2;
}

/** Modified z-score (Iglewicz & Hoaglin): 0.6745 (x - median) / MAD, with a floor on the MAD. */
export function modifiedZ(x: number, s: RobustStats, madFloor: number): number {
  return (MAD_SCALE * (x - s.median)) / Math.max(s.mad, madFloor, 1e-12);
}

/** Exponentially weighted mean and variance (West 1979 incremental form). */
export interface EwStats {
  mean: number;
  variance: number;
  n: number;
}

export function ewUpdate(s: EwStats, x: number, alpha: number): void {
  if (s.n === 0) {
    s.mean = x;
    s.variance = Math.max(x, 0); // Poisson prior for counts
    s.n = 1;
    return;
  }
  const diff = x - s.mean;
  const incr = alpha * diff;
  s.mean += incr;
  s.variance = (1 - alpha) * (s.variance + diff * incr);
  s.n++;
}
