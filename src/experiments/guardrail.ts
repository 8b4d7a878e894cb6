import { standardNormalCdf, studentTCdf, studentTQuantile } from './distributions';
import { relativeLift, type ArmEstimate } from './fixed-horizon';
import { logMeanExp, msprtLogLikelihoodRatio } from './sequential';

/**
 * Guardrails as non-inferiority tests. A guardrail metric (revenue per user while the experiment is about clicks,
 * say) is not there to be improved but to not get worse: the question is "is treatment's relative change on it
 * above the tolerated degradation -margin?", a one-sided test, not the two-sided "is there any difference?"
 * (Schultzberg, Ankargren, Frånberg 2024, "Risk-aware product decisions in A/B tests with multiple metrics", Spotify's
 * decision rule: success metrics tested for superiority, guardrails for non-inferiority; the decision rule by the
 * position of the confidence bound against the margin is the CONSORT one, Piaggio, Elbourne, Pocock, Evans, Altman
 * 2012, "Reporting of noninferiority and equivalence randomized trials", JAMA 308(24), figure 1).
 *
 * On the relative lift r = mean_T / mean_C - 1 with its delta-method standard error (fixed-horizon.ts), margin
 * delta > 0 (0.02: at most 2 % worse), and s = +1 when higher is better (rates, revenue), -1 when lower is better.
 * With the harmful side's boundary theta_0 = -s * delta:
 *
 *   H0: s * (r - theta_0) <= 0   (worse than the margin)        H1: s * (r - theta_0) > 0   (non-inferior)
 *   t = s * (r-hat - theta_0) / SE,   p = 1 - F_t(t; df)  (one-sided; df Welch-Satterthwaite, as the relative lift)
 *   bound = r-hat - s * F_t^{-1}(1 - alpha; df) * SE       the one-sided (1 - alpha) bound on the harmful side
 *
 *   PASS          p < alpha                (the bound is on the safe side of the margin)
 *   FAIL          1 - p < alpha            (even the other one-sided bound is beyond the margin: degraded by more)
 *   INCONCLUSIVE  otherwise                (the interval straddles the margin: not enough data yet)
 *
 * The always-valid version (for an alert that is checked after every batch) uses the mSPRT of sequential.ts with a
 * one-sided mixture: the alternative's effect u = s * (theta - theta_0) ~ half-normal(tau) on u > 0 (Robbins 1970,
 * "Statistical methods related to the law of the iterated logarithm"; one-sided normal mixtures as in
 * Howard, Ramdas, McAuliffe, Sekhon 2021). Integrating the normal likelihood ratio over it, with
 * d = s * (r-hat - theta_0), V = SE^2 and Lambda(d) the two-sided normal-mixture statistic of sequential.ts:
 *
 *   Lambda+ = 2 * Phi( d * tau / sqrt(V (V + tau^2)) ) * Lambda(d)           evidence of non-inferiority
 *   Lambda- = 2 * Phi(-d * tau / sqrt(V (V + tau^2)) ) * Lambda(d)           evidence of a degradation beyond the margin
 *   p+ = min(1, 1 / Lambda+),  p- = min(1, 1 / Lambda-)
 *
 * Each is a nonnegative supermartingale under its composite null (a mixture of likelihood ratios against
 * alternatives on the other side), so Ville's inequality bounds the chance it ever crosses 1/alpha by alpha:
 * an alert on p- < alpha, checked after every batch, fires for a guardrail that in truth is within its margin with
 * probability at most alpha over the whole experiment (asymptotically, with the plug-in variance, as the A/B
 * test's mSPRT).
 *
 * The mixture's scale. One tau is powerful only against effects near it: tau = margin is right when the standard
 * error is already below the margin, and far too small (a very conservative test) for a noisy metric such as
 * revenue per user early on, where the degradations worth seeing are tens of percent. A guardrail has no planned
 * horizon to tune tau to (tauForHorizon), so the mixing distribution is itself a mixture: the average of the
 * ratios over the scales tau_j = margin * 4^j, j = 0..3 (2 %, 8 %, 32 %, 128 % for a 2 % margin), with equal weights.
 * An average of nonnegative supermartingales is one, so the guarantee stands; against the best of the four
 * scales it costs at most a factor 4 in the ratio (ln 4 = 1.4). Fixed by the margin, before any data.
 */

export const GUARDRAIL_DIRECTIONS = ['HIGHER_IS_BETTER', 'LOWER_IS_BETTER'] as const;
export type GuardrailDirection = (typeof GUARDRAIL_DIRECTIONS)[number];

export const GUARDRAIL_VERDICTS = ['PASS', 'FAIL', 'INCONCLUSIVE'] as const;
export type GuardrailVerdict = (typeof GUARDRAIL_VERDICTS)[number];

export interface GuardrailOptions {
  /** Tolerated relative degradation, > 0 (0.02: treatment may be at most 2 % worse than control). */
  readonly margin: number;
  /** HIGHER_IS_BETTER (default: rates and revenue) or LOWER_IS_BETTER. */
  readonly direction?: GuardrailDirection;
  /** One-sided significance level; default 0.05. */
  readonly alpha?: number;
}

export interface NonInferiorityResult {
  /** Relative lift r = mean_T / mean_C - 1. */
  readonly estimate: number;
  readonly standardError: number;
  readonly df: number;
  /** s * (r - theta_0) / SE: how many standard errors the estimate is on the safe side of the margin. */
  readonly statistic: number;
  /** One-sided (1 - alpha) confidence bound of r on the harmful side (lower when higher is better). */
  readonly bound: number;
  /** One-sided p-value of H0 "worse than the margin". */
  readonly pValue: number;
  readonly verdict: GuardrailVerdict;
}

export interface SequentialNonInferiorityResult {
  /** Always-valid p-value of H0 "worse than the margin" (small: non-inferior). */
  readonly pValue: number;
  /** Always-valid p-value of H0 "within the margin" (small: degraded beyond it). */
  readonly inferiorityPValue: number;
  readonly verdict: GuardrailVerdict;
}

function checked(options: GuardrailOptions): { margin: number; s: 1 | -1; alpha: number } {
  const { margin } = options;
  if (!(margin > 0 && Number.isFinite(margin))) throw new RangeError(`margin must be above 0, got ${margin}`);
  const alpha = options.alpha ?? 0.05;
  return { margin, s: (options.direction ?? 'HIGHER_IS_BETTER') === 'HIGHER_IS_BETTER' ? 1 : -1, alpha };
}

function verdictOf(pValue: number, inferiorityPValue: number, alpha: number): GuardrailVerdict {
  if (pValue < alpha) return 'PASS';
  if (inferiorityPValue < alpha) return 'FAIL';
  return 'INCONCLUSIVE';
}

/** Fixed-horizon non-inferiority test of the relative lift (see the module comment); null when the lift is not computable. */
export function nonInferiority(treatment: ArmEstimate, control: ArmEstimate, options: GuardrailOptions): NonInferiorityResult | null {
  const { margin, s, alpha } = checked(options);
  const r = relativeLift(treatment, control, { alpha });
  if (!r) return null;
  const theta0 = -s * margin;
  const statistic = (s * (r.estimate - theta0)) / r.standardError;
  // Both tails directly (not 1 - the other), so tiny p-values keep their precision.
  const pValue = studentTCdf(-statistic, r.df);
  const inferiorityPValue = studentTCdf(statistic, r.df);
  const bound = r.estimate - s * studentTQuantile(1 - alpha, r.df) * r.standardError;
  return { estimate: r.estimate, standardError: r.standardError, df: r.df, statistic, bound, pValue, verdict: verdictOf(pValue, inferiorityPValue, alpha) };
}

/**
 * The one-sided mixture likelihood ratios (ln Lambda+, ln Lambda-) of an estimate r with variance V against the
 * margin's boundary (see the module comment). NaN pair without a usable variance.
 */
export function oneSidedMsprtLogRatios(estimate: number, variance: number, options: GuardrailOptions & { tau: number }): [number, number] {
  const { margin, s } = checked(options);
  const tau = options.tau;
  const d = s * (estimate + s * margin);
  const logLr = msprtLogLikelihoodRatio(d, variance, { tau });
  if (Number.isNaN(logLr)) return [Number.NaN, Number.NaN];
  const c = (d * tau) / Math.sqrt(variance * (variance + tau * tau));
  return [Math.LN2 + Math.log(standardNormalCdf(c)) + logLr, Math.LN2 + Math.log(standardNormalCdf(-c)) + logLr];
}

/** The mixture's scales for a margin: margin * 4^j, j = 0..3 (see the module comment). */
export function guardrailMixtureScales(margin: number): number[] {
  return [1, 4, 16, 64].map((k) => k * margin);
}

/**
 * (ln Lambda+, ln Lambda-) averaged over several mixture scales with equal weights (log-sum-exp, so that huge ratios
 * do not overflow).
 */
export function averagedOneSidedMsprtLogRatios(estimate: number, variance: number, options: GuardrailOptions & { taus: readonly number[] }): [number, number] {
  const each = options.taus.map((tau) => oneSidedMsprtLogRatios(estimate, variance, { ...options, tau }));
  return [logMeanExp(each.map((e) => e[0])), logMeanExp(each.map((e) => e[1]))];
}

/**
 * Always-valid non-inferiority test (one look on all the data so far: 1/Lambda at that look is itself always valid).
 * The mixture: `tau` when given, else the average over `guardrailMixtureScales(margin)`. Null when the relative
 * lift is not computable.
 */
export function sequentialNonInferiority(
  treatment: ArmEstimate,
  control: ArmEstimate,
  options: GuardrailOptions & { tau?: number },
): SequentialNonInferiorityResult | null {
  const { alpha } = checked(options);
  const r = relativeLift(treatment, control, { alpha });
  if (!r) return null;
  const variance = r.standardError * r.standardError;
  const [up, down] =
    options.tau !== undefined
      ? oneSidedMsprtLogRatios(r.estimate, variance, { ...options, tau: options.tau })
      : averagedOneSidedMsprtLogRatios(r.estimate, variance, { ...options, taus: guardrailMixtureScales(options.margin) });
  if (Number.isNaN(up)) return null;
  const pValue = Math.min(1, Math.exp(-up));
  const inferiorityPValue = Math.min(1, Math.exp(-down));
  return { pValue, inferiorityPValue, verdict: verdictOf(pValue, inferiorityPValue, alpha) };
}
