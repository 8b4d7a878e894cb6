import type { AnomalyFinding } from '../anomaly/types';
import type { ExperimentView, GuardrailFailure } from '../outcomes/experiments';

/**
 * The anomaly a failing guardrail raises (once per experiment, variant and metric, over `anomalyDetected`): the
 * glue between the outcomes domain, which notices it, and the anomaly domain, which stores and announces findings.
 * Its id makes it once per subject in the store, on every gateway alike.
 */
export function guardrailFailureFinding(experiment: ExperimentView, f: GuardrailFailure, at: number): AnomalyFinding {
  const { metric, margin, direction } = f.guardrail;
  const worse = direction === 'HIGHER_IS_BETTER' ? 'lower' : 'higher';
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  return {
    id: `GUARDRAIL_FAILURE:experiment:${experiment.id}:${f.variant}:${metric}`,
    kind: 'GUARDRAIL_FAILURE',
    severity: 'CRITICAL',
    entityType: 'experiment',
    entityId: experiment.id,
    // How far past the margin, in units of the margin: comparable across guardrails of different metrics.
    score: Math.abs(f.estimate) / margin,
    detectedAt: at,
    message: `experiment ${experiment.id} (${experiment.spec.name}): variant ${f.variant} is ${worse} than ${experiment.spec.control} on guardrail ${metric} by more than its ${pct(margin)} margin (relative change ${pct(f.estimate)}; ${f.users[0]} vs ${f.users[1]} users; always-valid p ${f.inferiorityPValue.toExponential(2)})`,
    evidence: {
      variant: f.variant,
      control: experiment.spec.control,
      metric,
      margin,
      direction,
      users: [...f.users],
      means: [...f.means],
      relativeChange: f.estimate,
      pValue: f.inferiorityPValue,
    },
  };
}
