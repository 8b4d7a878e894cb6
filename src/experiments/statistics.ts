import { cuped, cupedRatio, type CupedResult } from './cuped';
import { nonInferiority, sequentialNonInferiority, type GuardrailOptions, type NonInferiorityResult, type SequentialNonInferiorityResult } from './guardrail';
import { meanArm, ratioArm, relativeLift, welchTest, type ArmEstimate, type LiftResult } from './fixed-horizon';
import { summarize, yMoments, type CoMoments, type Moments, type MultiMoments, type Summary } from './moments';
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
 * - group-sequential.ts alpha-spending boundaries for an experiment with a planned size (Lan, DeMets 1983)
 * - cuped.ts            CUPED variance reduction (Deng et al. 2013)
 * - srm.ts              sample-ratio-mismatch chi-square (Fabijan et al. 2019)
 * - multiple-testing.ts Holm-Bonferroni (Holm 1979)
 * - planning.ts         units per arm for a minimum detectable effect, the horizon for the sequential test
 * - guardrail.ts        guardrails as one-sided non-inferiority tests, fixed-horizon and always-valid
 *
 * Pure functions over numbers: no I/O, no clock, no GraphQL; the gateway's experiments service feeds them.
 */

export * from './moments';
export * from './fixed-horizon';
export * from './sequential';
export * from './group-sequential';
export * from './cuped';
export * from './srm';
export * from './multiple-testing';
export * from './planning';
export * from './guardrail';

/**
 * One variant's data, as mergeable per-unit moments. A mean metric (per-user clicks, revenue per user):
 * `metric` is plain `Moments`, or `CoMoments` with x = the unit's pre-experiment value (CUPED covariate) and
 * y = the metric. A ratio metric (CTR = clicks / impressions with the user as the unit): `ratio` is `CoMoments`
 * with x = the denominator and y = the numerator, or `MultiMoments` of [y, x, y0, x0] with the pre-period
 * numerator and denominator (CUPED on the ratio). CUPED is reported when every variant carries a covariate.
 */
export type VariantInput =
  { readonly name: string; readonly metric: Moments | CoMoments } | { readonly name: string; readonly ratio: CoMoments | MultiMoments };

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
  /**
   * Analyse the metric as a guardrail too: each treatment's non-inferiority test against control with this margin and
   * direction (guardrail.ts), fixed-horizon and always-valid (the mixture's tau: `guardrail.tau`, else the average over scales of the margin).
   */
  readonly guardrail?: GuardrailOptions & { readonly tau?: number };
}

/** A treatment's guardrail verdicts on one metric (`AnalysisOptions.guardrail`). */
export interface GuardrailAnalysis {
  readonly margin: number;
  readonly direction: NonNullable<GuardrailOptions['direction']>;
  /** Null where the relative lift cannot be computed yet (fewer than two units, zero variance, control mean 0). */
  readonly fixed: NonInferiorityResult | null;
  readonly sequential: SequentialNonInferiorityResult | null;
}

export interface VariantAnalysis {
  readonly name: string;
  /**
   * n units, the metric's mean (for a ratio metric, R = ybar / xbar) and the per-unit variance (for a ratio, that of
   * the linearised values, n * Var(R)).
   */
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
  /** With `options.guardrail`: the non-inferiority tests; null for control and without the option. */
  readonly guardrail: GuardrailAnalysis | null;
}

export interface ExperimentAnalysis {
  readonly control: string;
  readonly variants: VariantAnalysis[];
  readonly srm: SrmResult | null;
}

function isCo(m: Moments | CoMoments): m is CoMoments {
  return 'cxy' in m;
}

function isMulti(m: CoMoments | MultiMoments): m is MultiMoments {
  return 'comoments' in m;
}

/** The (denominator, numerator) pair of a ratio variant's moments. */
function ratioPair(m: CoMoments | MultiMoments): CoMoments {
  if (!isMulti(m)) return m;
  if (m.means.length < 2) throw new RangeError('a ratio metric needs at least [numerator, denominator]');
  const k = m.means.length;
  const c = m.comoments;
  return { n: m.n, meanY: m.means[0]!, meanX: m.means[1]!, m2y: c[0]!, m2x: c[k + 1]!, cxy: c[1]! };
}

interface Prepared {
  readonly arms: ArmEstimate[];
  readonly summaries: Summary[];
  readonly counts: number[];
  readonly cupedFor: ((t: number, c: number) => CupedResult) | null;
}

function prepare(variants: readonly VariantInput[], alpha: number): Prepared {
  if (variants.every((v) => 'metric' in v)) {
    const metrics = variants.map((v) => (v as { metric: Moments | CoMoments }).metric);
    const plain = metrics.map((m) => (isCo(m) ? yMoments(m) : m));
    const co = metrics.every(isCo) ? (metrics as CoMoments[]) : null;
    return {
      arms: plain.map(meanArm),
      summaries: plain.map(summarize),
      counts: plain.map((m) => m.n),
      cupedFor: co ? (t, c) => cuped(co[t]!, co[c]!, { alpha, allArms: co }) : null,
    };
  }
  if (variants.every((v) => 'ratio' in v)) {
    const ratios = variants.map((v) => (v as { ratio: CoMoments | MultiMoments }).ratio);
    const arms = ratios.map((r) => ratioArm(ratioPair(r)));
    const multi = ratios.every((r) => isMulti(r) && r.means.length === 4) ? (ratios as MultiMoments[]) : null;
    return {
      arms,
      summaries: arms.map((a) => ({ n: a.n, mean: a.mean, variance: a.varianceOfMean * a.n })),
      counts: arms.map((a) => a.n),
      cupedFor: multi ? (t, c) => cupedRatio(multi[t]!, multi[c]!, { alpha, allArms: multi }) : null,
    };
  }
  throw new RangeError('variants mix mean metrics and ratio metrics');
}

/**
 * Compares every variant with control: summary, Welch absolute lift, delta-method relative lift, Holm across the
 * treatments, the sequential (always-valid) p-value and interval, CUPED where every variant carries a covariate
 * (theta pooled over all variants), and the SRM check of the unit counts against the configured shares. Mean and
 * ratio metrics alike (see VariantInput).
 */
export function analyzeExperiment(variants: readonly VariantInput[], options: AnalysisOptions = {}): ExperimentAnalysis {
  const controlIndex = options.control ?? 0;
  const control = variants[controlIndex];
  if (!control) throw new RangeError(`no control variant at index ${controlIndex}`);
  const alpha = options.alpha ?? 0.05;
  const { arms, summaries, counts, cupedFor } = prepare(variants, alpha);
  const testOptions = { alpha };

  const partial = variants.map((v, i) => {
    if (i === controlIndex) return { name: v.name, summary: summaries[i]!, absolute: null, relative: null, sequential: null, cuped: null, guardrail: null };
    const absolute = welchTest(arms[i]!, arms[controlIndex]!, testOptions);
    const relative = relativeLift(arms[i]!, arms[controlIndex]!, testOptions);
    const seq = options.sequential
      ? armsLook(options.sequential.previous?.[v.name] ?? INITIAL_SEQUENTIAL_STATE, arms[i]!, arms[controlIndex]!, { ...options.sequential, ...testOptions })
      : null;
    const g = options.guardrail;
    const guardrail: GuardrailAnalysis | null = g
      ? {
          margin: g.margin,
          direction: g.direction ?? 'HIGHER_IS_BETTER',
          fixed: nonInferiority(arms[i]!, arms[controlIndex]!, { alpha, ...g }),
          sequential: sequentialNonInferiority(arms[i]!, arms[controlIndex]!, { alpha, ...g }),
        }
      : null;
    return { name: v.name, summary: summaries[i]!, absolute, relative, sequential: seq, cuped: cupedFor ? cupedFor(i, controlIndex) : null, guardrail };
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
    srm: options.shares ? sampleRatioMismatch(counts, options.shares, options.srmThreshold ?? SRM_ALERT_THRESHOLD) : null,
  };
}
