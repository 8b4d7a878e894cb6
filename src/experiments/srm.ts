import { chiSquareUpperTail } from './distributions';

/**
 * Sample-ratio mismatch (SRM) check: Pearson's chi-square goodness-of-fit test of the units observed per variant
 * against the configured shares (Fabijan, Gupchup, Gupta, Omhover, Qin, Vermeer, Dmitriev 2019, "Diagnosing Sample
 * Ratio Mismatch in Online Controlled Experiments: A Taxonomy and Rules of Thumb for Practitioners", KDD):
 *
 *   E_i = N * w_i  (N = sum of O_i, w_i the expected shares normalised to sum 1),
 *   X^2 = sum_i (O_i - E_i)^2 / E_i,   df = k - 1,   p = P(chi^2_{k-1} >= X^2) = Q((k-1)/2, X^2/2).
 *
 * Agrees with scipy.stats.chisquare(f_obs, f_exp). A mismatch means the assignment or the logging is broken and
 * the experiment's results cannot be trusted; the paper (and common practice) alerts at p < 0.0005-0.001, a
 * threshold that keeps false alarms rare when the check runs on every look.
 */

export const SRM_ALERT_THRESHOLD = 0.001;

export interface SrmResult {
  readonly chiSquare: number;
  readonly df: number;
  readonly pValue: number;
  /** Expected counts E_i. */
  readonly expected: number[];
  /** pValue < threshold (default SRM_ALERT_THRESHOLD). */
  readonly mismatch: boolean;
}

/**
 * @param observed units per variant (non-negative counts)
 * @param shares   configured shares per variant, same order (any positive weights; normalised here)
 */
export function sampleRatioMismatch(observed: readonly number[], shares: readonly number[], threshold = SRM_ALERT_THRESHOLD): SrmResult {
  if (observed.length !== shares.length) throw new RangeError(`observed has ${observed.length} variants, shares ${shares.length}`);
  if (observed.length < 2) throw new RangeError('SRM needs at least two variants');
  for (const s of shares) if (!(s > 0 && Number.isFinite(s))) throw new RangeError(`shares must be > 0, got ${s}`);
  for (const o of observed) if (!(o >= 0 && Number.isFinite(o))) throw new RangeError(`observed counts must be >= 0, got ${o}`);
  const total = observed.reduce((a, b) => a + b, 0);
  const shareSum = shares.reduce((a, b) => a + b, 0);
  const expected = shares.map((s) => (total * s) / shareSum);
  const df = observed.length - 1;
  if (total === 0) return { chiSquare: 0, df, pValue: 1, expected, mismatch: false };
  let chiSquare = 0;
  for (let i = 0; i < observed.length; i++) {
    const d = observed[i]! - expected[i]!;
    chiSquare += (d * d) / expected[i]!;
  }
  const pValue = chiSquareUpperTail(chiSquare, df);
  return { chiSquare, df, pValue, expected, mismatch: pValue < threshold };
}
