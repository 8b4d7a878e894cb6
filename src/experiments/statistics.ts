import { cuped, type CupedResult } from './cuped';
import { meanArm, relativeLift, welchTest, type ArmEstimate, type LiftResult } from './fixed-horizon';
import { summarize, yMoments, type CoMoments, type Moments, type Summary } from './moments';
import { holmAdjust } from './multiple-testing';
import { armsLook, INITIAL_SEQUENTIAL_STATE, type MsprtOptions, type SequentialState } from './sequential';
import { sampleRatioMismatch, SRM_ALERT_THRESHOLD, type SrmResult } from './srm';

/**
 * The statistics engine of experiments, as one entry point over the pieces (each documented with its formula and
 * source in its own file; EXPERIMENTS.md collects them):
 *
 * - moments.ts          mergeable per-unit sufficient statistics (n, mean, M2; bivariate for ratios and CUPED)
 * - fixed-horizon.ts    Welch absolute lift, delta-method relative lift, delta-method ratio metrics
 * - sequential.ts       mSPRT always-valid p-value and interval (Johari et al. 2017)
 * - cuped.ts            CUPED variance reduction (Deng et al. 2013)
 * - srm.ts              sample-ratio-mismatch chi-square (Fabijan et al. 2019)
 * - multiple-testing.ts Holm-Bonferroni (Holm 1979)
 *
 * Pure functions over numbers: no I/O, no clock, no GraphQL; the gateway's experiments service feeds them.
 */

export * from './moments';
export * from './fixed-horizon';
export * from './sequential';
export * from './cuped';
export * from './srm';
export * from './multiple-testing';

export interface VariantInput {
  readonly name: string;
  /**
   * The primary metric per unit. Either plain moments, or bivariate moments with x = the unit's pre-experiment
   * value (CUPED covariate) and y = the metric; with the latter, CUPED results are reported too.
   */
  readonly metric: Moments | CoMoments;
}

export interface AnalysisOptions {
  /** Index of the control variant in the input; default 0. */
  readonly control?: number;
  /** Significance level; default 0.05. */
  readonly alpha?: number;
  /** Configured shares per variant (same order), for the SRM check; without them SRM is not computed. */
  readonly shares?: readonly number[];
  readonly srmThreshold?: number;
  /**
   * The mSPRT mixture (see sequential.ts) and each treatment's sequential state after the previous look (by
   * variant name; missing = first look). Without it, no sequential results.
   */
  readonly sequential?: MsprtOptions & { readonly previous?: Readonly<Record<string, SequentialState>> };
}

export interface VariantAnalysis {
  readonly name: string;
  readonly summary: Summary;
  /** Null for the control itself, and where the test cannot be computed yet (fewer than two units, zero variance). */
  readonly absolute: LiftResult | null;
  readonly relative: LiftResult | null;
  /** Holm-adjusted p-value of the absolute test across the treatments (equal to the raw one with one treatment). */
  readonly adjustedPValue: number | null;
  /** This look's sequential state (fold it into the next look); null for control or without `options.sequential`. */
  readonly sequential: SequentialState | null;
  /** Holm-adjusted always-valid p-value across the treatments. */
  readonly adjustedSequentialPValue: number | null;
  /** CUPED results when the metric came with a covariate; null for control. */
  readonly cuped: CupedResult | null;
}

export interface ExperimentAnalysis {
  readonly control: string;
  readonly variants: VariantAnalysis[];
  readonly srm: SrmResult | null;
}

function isCo(m: Moments | CoMoments): m is CoMoments {
  return 'cxy' in m;
}

/**
 * Compares every variant with control: summary, Welch absolute lift, delta-method relative lift, Holm across the
 * treatments, the sequential (always-valid) p-value and interval, CUPED where a covariate is given (theta pooled over
 * all variants), and the SRM check against the configured shares.
 */
export function analyzeExperiment(variants: readonly VariantInput[], options: AnalysisOptions = {}): ExperimentAnalysis {
  const controlIndex = options.control ?? 0;
  const control = variants[controlIndex];
  if (!control) throw new RangeError(`no control variant at index ${controlIndex}`);
  const plain = variants.map((v) => (isCo(v.metric) ? yMoments(v.metric) : v.metric));
  const arms: ArmEstimate[] = plain.map(meanArm);
  const withCovariate = variants.every((v) => isCo(v.metric));
  const coArms = withCovariate ? variants.map((v) => v.metric as CoMoments) : null;
  const testOptions = { alpha: options.alpha ?? 0.05 };

  const partial = variants.map((v, i) => {
    if (i === controlIndex) return { name: v.name, summary: summarize(plain[i]!), absolute: null, relative: null, sequential: null, cuped: null };
    const absolute = welchTest(arms[i]!, arms[controlIndex]!, testOptions);
    const relative = relativeLift(arms[i]!, arms[controlIndex]!, testOptions);
    const seq = options.sequential
      ? armsLook(options.sequential.previous?.[v.name] ?? INITIAL_SEQUENTIAL_STATE, arms[i]!, arms[controlIndex]!, { ...options.sequential, ...testOptions })
      : null;
    const cupedResult = coArms ? cuped(coArms[i]!, coArms[controlIndex]!, { ...testOptions, allArms: coArms }) : null;
    return { name: v.name, summary: summarize(plain[i]!), absolute, relative, sequential: seq, cuped: cupedResult };
  });

  const treatmentIdx = partial.map((_, i) => i).filter((i) => i !== controlIndex);
  const holmFixed = holmAdjust(treatmentIdx.map((i) => partial[i]!.absolute?.pValue ?? Number.NaN));
  const holmSeq = holmAdjust(treatmentIdx.map((i) => partial[i]!.sequential?.pValue ?? Number.NaN));
  const adjusted = new Map<number, [number, number]>(treatmentIdx.map((i, k) => [i, [holmFixed[k]!, holmSeq[k]!]]));
  const nanToNull = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? null : x);

  return {
    control: control.name,
    variants: partial.map((p, i) => ({
      ...p,
      adjustedPValue: nanToNull(adjusted.get(i)?.[0]),
      adjustedSequentialPValue: nanToNull(adjusted.get(i)?.[1]),
    })),
    srm: options.shares
      ? sampleRatioMismatch(
          plain.map((m) => m.n),
          options.shares,
          options.srmThreshold ?? SRM_ALERT_THRESHOLD,
        )
      : null,
  };
}
