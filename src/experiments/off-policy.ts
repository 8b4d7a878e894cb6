import { standardNormalQuantile } from './distributions';

/**
 * Off-policy evaluation: the value (e.g. click-through) a candidate policy would have had, estimated from what
 * a randomised logging policy served, with inverse propensity scoring.
 *
 * Logged units i = 1..n (served lists): the action a_i the logging policy π₀ took (here: which arm's list it
 * served), the probability π₀(a_i) it took it with (the logged propensity), and the reward r_i observed
 * (clicks attributed to the list, say). For a candidate policy π_e, with w_i = π_e(a_i) / π₀(a_i):
 *
 *   IPS     V̂   = (1/n) Σ w_i r_i                                   (Horvitz, Thompson 1952; Dudík, Langford, Li 2011)
 *           SE   = s(w r) / √n                                        s: sample standard deviation, divisor n − 1
 *   SNIPS   V̂_SN = Σ w_i r_i / Σ w_i                                 (Swaminathan, Joachims 2015, "The Self-Normalized
 *                                                                       Estimator for Counterfactual Learning")
 *           SE   = √( Σ (w_i r_i − V̂_SN w_i)² / (n (n − 1)) ) / w̄    delta method for a ratio of means, w̄ = (1/n) Σ w_i
 *   CI      estimate ∓ z_{1−α/2} · SE                                 normal (central limit theorem)
 *
 * IPS is unbiased when π₀(a) > 0 wherever π_e(a) > 0 (the exploration floor guarantees it for every arm), also
 * when π₀ adapted to earlier rewards (a bandit: the weights are then a martingale difference sequence); SNIPS
 * has a small bias and usually a smaller variance, and is invariant to adding a constant to the rewards. The
 * intervals are asymptotic: with adaptively logged data they rely on the allocation settling (Hadad, Hirshberg,
 * Zhan, Wager, Athey 2021 discuss when this fails and how to stabilise it). The SNIPS variance is the same delta
 * method as `ratioArm` (fixed-horizon.ts) with x = w, y = w·r.
 *
 * Also reported: the effective sample size (Σ w)² / Σ w² (Kish), how many units the estimate is worth.
 */
export interface LoggedUnit {
  /** Observed reward of the unit. */
  reward: number;
  /** π₀(a_i): the probability with which the logging policy took the logged action, in (0, 1]. */
  propensity: number;
  /** π_e(a_i): the probability with which the candidate policy would have taken the logged action, in [0, 1]. */
  target: number;
}

export interface PolicyValue {
  estimate: number;
  standardError: number;
  ci: [number, number];
}

export interface OffPolicyEstimate {
  /** Logged units. */
  n: number;
  /** Units where the candidate agrees with the log (w > 0). */
  matched: number;
  ips: PolicyValue;
  snips: PolicyValue;
  /** (Σ w)² / Σ w². */
  effectiveSampleSize: number;
  maxWeight: number;
  /** (1/n) Σ w: near 1 when the propensities are right (its expectation is Σ_a π_e(a) = 1). */
  meanWeight: number;
}

export function offPolicyEstimate(units: readonly LoggedUnit[], options: { alpha?: number } = {}): OffPolicyEstimate {
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  const n = units.length;
  const w = new Float64Array(n);
  const y = new Float64Array(n);
  let sumW = 0;
  let sumY = 0;
  let sumW2 = 0;
  let matched = 0;
  let maxWeight = 0;
  for (let i = 0; i < n; i++) {
    const u = units[i]!;
    if (!(u.propensity > 0 && u.propensity <= 1)) throw new RangeError(`unit ${i}: propensity must be in (0, 1], got ${u.propensity}`);
    if (!(u.target >= 0 && u.target <= 1)) throw new RangeError(`unit ${i}: target probability must be in [0, 1], got ${u.target}`);
    if (!Number.isFinite(u.reward)) throw new RangeError(`unit ${i}: reward must be finite, got ${u.reward}`);
    const wi = u.target / u.propensity;
    w[i] = wi;
    y[i] = wi * u.reward;
    sumW += wi;
    sumY += wi * u.reward;
    sumW2 += wi * wi;
    if (wi > 0) matched++;
    if (wi > maxWeight) maxWeight = wi;
  }
  const z = standardNormalQuantile(1 - alpha / 2);
  const interval = (estimate: number, se: number): PolicyValue => ({ estimate, standardError: se, ci: [estimate - z * se, estimate + z * se] });

  const ipsMean = n > 0 ? sumY / n : Number.NaN;
  let ssY = 0;
  for (let i = 0; i < n; i++) ssY += (y[i]! - ipsMean) ** 2;
  const ipsSe = n >= 2 ? Math.sqrt(ssY / (n - 1) / n) : Number.NaN;

  const snipsMean = sumW > 0 ? sumY / sumW : Number.NaN;
  let ssD = 0;
  for (let i = 0; i < n; i++) ssD += (y[i]! - snipsMean * w[i]!) ** 2;
  const meanWeight = n > 0 ? sumW / n : Number.NaN;
  const snipsSe = n >= 2 && sumW > 0 ? Math.sqrt(ssD / (n - 1) / n) / meanWeight : Number.NaN;

  return {
    n,
    matched,
    ips: interval(ipsMean, ipsSe),
    snips: interval(snipsMean, snipsSe),
    effectiveSampleSize: sumW2 > 0 ? (sumW * sumW) / sumW2 : 0,
    maxWeight,
    meanWeight,
  };
}
