import type { LiftResult } from '../../src/experiments/fixed-horizon';
import { guardrailsOf, type ExperimentLook, type ExperimentResults, type ExperimentView, type GroupSequentialSummary } from '../../src/outcomes/experiments';
import type { GuardrailAnalysis } from '../../src/experiments/statistics';
import type { BanditView } from '../../src/outcomes/bandit';
import type { InterleavingResults } from '../../src/outcomes/interleaving';
import {
  ExperimentKind,
  ExperimentMetric,
  ExperimentStatus,
  GuardrailDirection,
  GuardrailVerdict,
  SpendingFunction,
  type BanditStateType,
  type GroupSequentialResultType,
  type GuardrailResultType,
  type ExperimentResultsType,
  type ExperimentType,
  type InterleavingResultsType,
  type LiftType,
  type MetricResultsType,
} from '../../graph-models/experiment.model';

export function toExperiment(x: ExperimentView): ExperimentType {
  return {
    id: x.id,
    name: x.spec.name,
    type: ExperimentKind[x.spec.type ?? 'AB'],
    status: ExperimentStatus[x.status],
    explorationFloor: x.spec.explorationFloor ?? null,
    banditBySegment: x.spec.banditBySegment === true,
    traffic: x.spec.traffic,
    control: x.spec.control,
    variants: x.spec.variants.map((v) => ({ name: v.name, share: v.share, strategy: v.strategy, blend: v.blend ? v.blend.map((p) => ({ ...p })) : null })),
    primaryMetric: ExperimentMetric[x.spec.primaryMetric],
    guardrailMetrics: x.spec.guardrailMetrics.map((m) => ExperimentMetric[m]),
    guardrails: guardrailsOf(x.spec).map((g) => ({ metric: ExperimentMetric[g.metric], margin: g.margin, direction: GuardrailDirection[g.direction] })),
    minimumDetectableEffect: x.spec.minimumDetectableEffect,
    spending: x.spec.spending === undefined ? null : SpendingFunction[x.spec.spending],
    createdAt: new Date(x.createdAt),
    createdBy: x.createdBy,
    startedAt: x.startedAt === null ? null : new Date(x.startedAt),
    stoppedAt: x.stoppedAt === null ? null : new Date(x.stoppedAt),
    shippedVariant: x.shippedVariant,
  };
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function toLift(l: LiftResult | null): LiftType | null {
  if (!l || !Number.isFinite(l.estimate)) return null;
  return { estimate: l.estimate, standardError: l.standardError, ci: { lower: l.ci[0], upper: l.ci[1] }, pValue: l.pValue };
}

export function toMetricResults(x: ExperimentView, r: ExperimentResults): MetricResultsType {
  return {
    metric: ExperimentMetric[r.metric],
    variants: r.analysis.variants.map((v, i) => {
      const seq = v.sequential;
      const seqCi = seq && Number.isFinite(seq.ci[0]) && Number.isFinite(seq.ci[1]) ? { lower: seq.ci[0], upper: seq.ci[1] } : null;
      return {
        name: v.name,
        strategy: x.spec.variants[i]!.strategy,
        users: r.users[i]!,
        mean: finite(v.summary.mean) ?? 0,
        variance: finite(v.summary.variance) ?? 0,
        absolute: toLift(v.absolute),
        relative: toLift(v.relative),
        adjustedPValue: v.adjustedPValue,
        sequentialPValue: seq && seq.looks > 0 ? seq.pValue : null,
        adjustedSequentialPValue: v.adjustedSequentialPValue,
        sequentialCi: seqCi,
        cupedAbsolute: r.cuped ? toLift(v.cuped?.absolute ?? null) : null,
        cupedVarianceRatio: r.cuped && v.cuped ? finite(v.cuped.varianceRatio) : null,
        guardrail: v.guardrail ? toGuardrailResult(v.guardrail) : null,
        groupSequential: toGroupSequential(r.groupSequential?.[i] ?? null),
      };
    }),
  };
}

function toGroupSequential(g: GroupSequentialSummary | null): GroupSequentialResultType | null {
  if (!g) return null;
  return {
    rejected: g.rejected,
    rejectedAtLook: g.rejectedAtLook,
    looks: g.looks,
    informationFraction: g.informationFraction,
    alphaSpent: g.alphaSpent,
    boundary: g.boundary === null ? null : finite(g.boundary),
    z: g.z,
    complete: g.complete,
  };
}

function toGuardrailResult(g: GuardrailAnalysis): GuardrailResultType {
  const f = g.fixed;
  const s = g.sequential;
  return {
    margin: g.margin,
    direction: GuardrailDirection[g.direction],
    estimate: f ? finite(f.estimate) : null,
    standardError: f ? finite(f.standardError) : null,
    bound: f ? finite(f.bound) : null,
    pValue: f ? finite(f.pValue) : null,
    verdict: GuardrailVerdict[f?.verdict ?? 'INCONCLUSIVE'],
    sequentialPValue: s ? finite(s.pValue) : null,
    sequentialInferiorityPValue: s ? finite(s.inferiorityPValue) : null,
    sequentialVerdict: GuardrailVerdict[s?.verdict ?? 'INCONCLUSIVE'],
  };
}

export function toExperimentResults(
  x: ExperimentView,
  primary: ExperimentResults,
  guardrails: readonly ExperimentResults[],
  interleaving?: InterleavingResults,
  looks: readonly ExperimentLook[] = [],
): ExperimentResultsType {
  const srm = interleaving ? undefined : primary.analysis.srm;
  return {
    primary: toMetricResults(x, primary),
    guardrails: guardrails.map((g) => toMetricResults(x, g)),
    srmPValue: srm ? finite(srm.pValue) : null,
    sampleRatioMismatch: srm?.mismatch ?? false,
    interleaving: interleaving ? toInterleavingResults(interleaving) : null,
    looks: looks.map((l) => ({
      at: new Date(l.at),
      users: [...l.users],
      treatments: l.treatments.map((t) => ({
        name: t.name,
        pValue: t.pValue,
        sequentialPValue: t.sequentialPValue,
        groupSequentialInformationFraction: t.groupSequentialInformationFraction ?? null,
        groupSequentialBoundary: t.groupSequentialBoundary == null ? null : finite(t.groupSequentialBoundary),
        groupSequentialRejected: t.groupSequentialRejected ?? null,
      })),
    })),
  };
}

export function toInterleavingResults(r: InterleavingResults): InterleavingResultsType {
  const p = r.preference;
  return {
    metric: ExperimentMetric[r.metric],
    control: r.control,
    treatment: r.treatment,
    users: r.users,
    creditedControl: r.credited.control,
    creditedTreatment: r.credited.treatment,
    wins: p.wins,
    losses: p.losses,
    ties: p.ties,
    preferenceShare: finite(p.share),
    ci: { lower: p.ci[0], upper: p.ci[1] },
    pValue: p.pValue,
    creditDifference: toLift(r.difference),
    creditDifferenceSequentialPValue: r.sequentialDifference ? finite(r.sequentialDifference.pValue) : null,
  };
}

export function toBanditState(b: BanditView): BanditStateType {
  return {
    explorationFloor: b.explorationFloor,
    reward: b.reward,
    arms: b.arms.map((a) => ({ ...a })),
    bySegment: b.bySegment,
    segments: b.segments.map((s) => ({ segment: s.segment, arms: s.arms.map((a) => ({ ...a })) })),
  };
}
