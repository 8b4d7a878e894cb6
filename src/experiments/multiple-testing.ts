/**
 * Holm-Bonferroni step-down adjustment (Holm 1979, "A Simple Sequentially Rejective Multiple Test Procedure",
 * Scandinavian Journal of Statistics 6(2)), for several treatment arms each compared with control. It controls the
 * family-wise error rate at alpha under any dependence between the tests, and is uniformly more powerful than
 * Bonferroni.
 *
 * With the m p-values sorted ascending p_(1) <= ... <= p_(m), the adjusted p-values are
 *
 *   p~_(i) = min(1, max_{j <= i} (m - j + 1) * p_(j)),
 *
 * returned in the input's order; rejecting the hypotheses with p~ <= alpha is Holm's procedure. Agrees with
 * statsmodels.stats.multitest.multipletests(p, method='holm')[1]. NaN p-values (tests that could not be computed)
 * stay NaN and do not count in m.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const idx = pValues.map((p, i) => ({ p, i })).filter((e) => !Number.isNaN(e.p));
  idx.sort((a, b) => a.p - b.p || a.i - b.i);
  const m = idx.length;
  const out = pValues.map(() => Number.NaN);
  let running = 0;
  for (let k = 0; k < m; k++) {
    const e = idx[k]!;
    running = Math.max(running, Math.min(1, (m - k) * e.p));
    out[e.i] = running;
  }
  return out;
}
