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
 * min-heap: O(m log k) instead of sorting all m candidates.
 */
export function topK(cand: Int32Array, m: number, key: Float64Array, k: number): Int32Array {
  const heap = new Int32Array(Math.min(k, m));
  let size = 0;
  // "worse" = smaller key, or equal key and larger index
  const worse = (a: number, b: number) => key[a]! < key[b]! || (key[a] === key[b] && a > b);
  for (let t = 0; t < m; t++) {
    const c = cand[t]!;
    if (size < heap.length) {
      let p = size++;
      heap[p] = c;
      while (p > 0) {
        const q = (p - 1) >> 1;
        if (!worse(heap[p]!, heap[q]!)) break;
        const x = heap[p]!;
        heap[p] = heap[q]!;
        heap[q] = x;
        p = q;
      }
    } else if (size > 0 && worse(heap[0]!, c)) {
      heap[0] = c;
      let p = 0;
      for (;;) {
        const l = 2 * p + 1;
        const r = l + 1;
        let w = p;
        if (l < size && worse(heap[l]!, heap[w]!)) w = l;
        if (r < size && worse(heap[r]!, heap[w]!)) w = r;
        if (w === p) break;
        const x = heap[p]!;
        heap[p] = heap[w]!;
        heap[w] = x;
        p = w;
      }
    }
  }
  const out = heap.slice(0, size);
  out.sort((a, b) => key[b]! - key[a]! || a - b);
  return out;
}
