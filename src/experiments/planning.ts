import { standardNormalQuantile } from './distributions';

/**
 * Planning an experiment before it starts: how many units it needs, and (with sequential.ts) the horizon the
 * mSPRT mixture is tuned to.
 *
 * Units per arm for a two-sided test at level alpha to detect an absolute difference `mde` with probability `power`
 * (the normal approximation; van Belle 2008, "Statistical Rules of Thumb", whose n = 16 sigma^2 / delta^2 (used by
 * Kohavi et al. 2009, "Controlled experiments on the web: survey and practical guide") is this formula at
 * alpha = 0.05, power = 0.8, rounded):
 *
 *   n = (z_{1 - alpha/2} + z_{power})^2 * (sigma_T^2 + sigma_C^2) / mde^2,   rounded up,
 *
 * with sigma^2 the per-unit variance of the metric (from pre-experiment data; for a conversion rate p, p (1 - p)),
 * taken equal in both arms unless `treatmentVariance` is given. The probability of a significant result in the wrong
 * direction is ignored (it is below 1e-5 at any usual power), which is why statsmodels' NormalIndPower, which counts
 * it, can answer a fraction of a unit lower.
 */
export function sampleSizePerArm(options: {
  readonly variance: number;
  readonly mde: number;
  readonly alpha?: number;
  readonly power?: number;
  readonly treatmentVariance?: number;
}): number {
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  const vt = options.treatmentVariance ?? options.variance;
  if (!(options.variance > 0 && vt > 0)) throw new RangeError('variances must be > 0');
  if (!(options.mde !== 0 && Number.isFinite(options.mde))) throw new RangeError(`mde must be a non-zero number, got ${options.mde}`);
  if (!(alpha > 0 && alpha < 1 && power > 0 && power < 1)) throw new RangeError('alpha and power must be in (0, 1)');
  const z = standardNormalQuantile(1 - alpha / 2) + standardNormalQuantile(power);
  return Math.ceil((z * z * (options.variance + vt)) / (options.mde * options.mde));
}

/**
 * The information (1 / variance of the estimated difference) a fixed-horizon test needs to detect an absolute
 * difference `mde` with probability `power` at two-sided level alpha: ((z_{1 - alpha/2} + z_{power}) / mde)^2
 * (Jennison, Turnbull 2000, section 7.2; the information-based monitoring of Mehta, Tsiatis 2001). A group-sequential
 * test planned at it monitors information / this as its information fraction, whatever the variance turns out to be.
 */
export function plannedInformation(mde: number, alpha = 0.05, power = 0.8): number {
  if (!(mde !== 0 && Number.isFinite(mde))) throw new RangeError(`mde must be a non-zero number, got ${mde}`);
  const z = standardNormalQuantile(1 - alpha / 2) + standardNormalQuantile(power);
  return (z / mde) ** 2;
}

/**
 * The variance of the difference of two arms' means at a planned horizon of n units per arm: (sigma_T^2 + sigma_C^2) / n.
 * Feed it to `tauForHorizon` to tune the sequential test to the plan.
 */
export function horizonVariance(unitsPerArm: number, variance: number, treatmentVariance = variance): number {
  if (!(unitsPerArm > 0)) throw new RangeError(`units per arm must be > 0, got ${unitsPerArm}`);
  return (variance + treatmentVariance) / unitsPerArm;
}
