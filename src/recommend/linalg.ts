/**
 * Solves A x = b for a symmetric positive definite m x m matrix (row-major, overwritten) by Cholesky.
 * Local EASE solves one small (K x K, K ~ 50) ridge system per item, so a plain dense solver is all
 * that is needed: K^3 / 6 ~ 21k multiply-adds per item.
 */
export function choleskySolve(A: Float64Array, b: Float64Array, m: number, out: Float64Array = new Float64Array(m)): Float64Array {
  for (let j = 0; j < m; j++) {
    const rj = j * m;
    let d = A[rj + j]!;
    for (let k = 0; k < j; k++) d -= A[rj + k]! * A[rj + k]!;
    d = Math.sqrt(d);
    A[rj + j] = d;
    for (let i = j + 1; i < m; i++) {
      const ri = i * m;
      let s = A[ri + j]!;
      for (let k = 0; k < j; k++) s -= A[ri + k]! * A[rj + k]!;
      A[ri + j] = s / d;
    }
  }
  // forward (L y = b) into out, then backward (L^T x = y) in place
  for (let i = 0; i < m; i++) {
    let s = b[i]!;
    const ri = i * m;
    for (let k = 0; k < i; k++) s -= A[ri + k]! * out[k]!;
    out[i] = s / A[ri + i]!;
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = out[i]!;
    for (let k = i + 1; k < m; k++) s -= A[k * m + i]! * out[k]!;
    out[i] = s / A[i * m + i]!;
  }
  return out;
}

/**
 * Indexes of the k largest `key[cand[t]]` (ties: lower index first), best first, by a bounded
 * min-heap: O(m log k) instead of sorting all m candidates. The heap is then sorted in place (heapsort:
 * the worst kept entry moves to the back, k times), not by `Array.prototype.sort` with a comparator: a
 * comparator returning a difference of doubles allocates a heap number per comparison, about 45 KB of
 * young-generation garbage for a ranking of 340 (BENCHMARKS.md, issue 15: that garbage, and the
 * scavenges it triggered, were most of what `als` added to a blend's p99).
 */
export function topK(cand: Int32Array, m: number, key: Float64Array, k: number, tie?: Uint32Array): Int32Array {
  const out = new Int32Array(Math.max(0, Math.min(k, m)));
  topKInto(cand, m, key, k, out, tie);
  return out;
}

/**
 * topK of the candidates with a positive key: keys at or below 0 rank below every positive one, so the
 * positives are a prefix of the ranking.
 */
export function topKPositive(cand: Int32Array, m: number, key: Float64Array, k: number, tie?: Uint32Array): Int32Array {
  const top = topK(cand, m, key, k, tie);
  let positive = 0;
  while (positive < top.length && key[top[positive]!]! > 0) positive++;
  return top.subarray(0, positive);
}

/**
 * topK into `heap[0, returned count)`, allocating nothing (a caller that ranks on every request keeps the
 * buffer); `heap` must hold min(k, m) entries.
 */
export function topKInto(cand: Int32Array, m: number, key: Float64Array, k: number, heap: Int32Array, tie?: Uint32Array): number {
  const cap = Math.max(0, Math.min(k, m));
  if (heap.length < cap) throw new RangeError(`topKInto: a buffer of ${heap.length} for ${cap} entries`);
  let size = 0;
  for (let t = 0; t < m; t++) {
    const c = cand[t]!;
    if (size < cap) {
      let p = size++;
      heap[p] = c;
      while (p > 0) {
        const q = (p - 1) >> 1;
        if (!worse(key, heap[p]!, heap[q]!, tie)) break;
        const x = heap[p]!;
        heap[p] = heap[q]!;
        heap[q] = x;
        p = q;
      }
    } else if (size > 0 && worse(key, heap[0]!, c, tie)) {
      heap[0] = c;
      siftDown(heap, 0, size, key, tie);
    }
  }
  // heapsort: the root is the worst of heap[0, end); put it at end, best ends up first
  for (let end = size - 1; end > 0; end--) {
    const x = heap[0]!;
    heap[0] = heap[end]!;
    heap[end] = x;
    siftDown(heap, 0, end, key, tie);
  }
  return size;
}

/**
 * "Worse" in a ranking: a smaller key; an equal key and a larger `tie` (when given: a rank every process
 * derives alike, e.g. from the item's id); then a larger index.
 */
function worse(key: Float64Array, a: number, b: number, tie?: Uint32Array): boolean {
  const ka = key[a]!;
  const kb = key[b]!;
  return ka < kb || (ka === kb && (tie !== undefined && tie[a] !== tie[b] ? tie[a]! > tie[b]! : a > b));
}

/** Restores the min-heap (worst at the root) below position p, within heap[0, size). */
function siftDown(heap: Int32Array, p: number, size: number, key: Float64Array, tie?: Uint32Array): void {
  for (;;) {
    const l = 2 * p + 1;
    const r = l + 1;
    let w = p;
    if (l < size && worse(key, heap[l]!, heap[w]!, tie)) w = l;
    if (r < size && worse(key, heap[r]!, heap[w]!, tie)) w = r;
    if (w === p) return;
    const x = heap[p]!;
    heap[p] = heap[w]!;
    heap[w] = x;
    p = w;
  }
}

/**
 * Eigen-decomposition of a symmetric m x m matrix (row-major, not modified) by cyclic Jacobi rotations:
 * A = V diag(values) V^T, V orthogonal (row-major, column c is the eigenvector of values[c]). Meant for
 * small matrices (ALS's k x k Gram matrix): a sweep costs about 4 m^3, and once the off-diagonal part is
 * small each sweep roughly squares it, so a handful of sweeps reach rounding.
 */
export function symmetricEigen(A: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const a = A.slice(0, m * m);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  let scale = 0;
  for (let t = 0; t < m * m; t++) scale += a[t]! * a[t]!;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += a[p * m + q]! * a[p * m + q]!;
    if (!(off > 1e-28 * scale)) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const po = p * m;
        const qo = q * m;
        const apq = a[po + q]!;
        if (apq === 0) continue;
        // the rotation that zeroes a[p][q] (the smaller angle, for stability); A stays symmetric, so each
        // pair (r, p), (r, q) is computed once and written to both triangles
        const theta = (a[qo + q]! - a[po + p]!) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < m; r++) {
          if (r === p || r === q) continue;
          const ro = r * m;
          const arp = a[ro + p]!;
          const arq = a[ro + q]!;
          const np = c * arp - s * arq;
          const nq = s * arp + c * arq;
          a[ro + p] = np;
          a[po + r] = np;
          a[ro + q] = nq;
          a[qo + r] = nq;
        }
        a[po + p] = a[po + p]! - t * apq;
        a[qo + q] = a[qo + q]! + t * apq;
        a[po + q] = 0;
        a[qo + p] = 0;
        for (let r = 0; r < m; r++) {
          const ro = r * m;
          const vrp = v[ro + p]!;
          const vrq = v[ro + q]!;
          v[ro + p] = c * vrp - s * vrq;
          v[ro + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const values = new Float64Array(m);
  for (let i = 0; i < m; i++) values[i] = a[i * m + i]!;
  return { values, vectors: v };
}
