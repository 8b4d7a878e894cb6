import type { AnomalyFinding } from '../anomaly/types';
import type { SrmResult } from '../experiments/srm';
import type { ExperimentView } from '../outcomes/experiments';

/**
 * The anomaly a sample-ratio mismatch raises (once per experiment, over `anomalyDetected`): the glue between
 * the outcomes domain, which notices it, and the anomaly domain, which stores and announces findings.
 */
export function sampleRatioMismatchFinding(experiment: ExperimentView, users: readonly number[], srm: SrmResult, at: number): AnomalyFinding {
  const shares = experiment.spec.variants.map((v) => v.share);
  const perVariant = experiment.spec.variants.map((v, i) => `${v.name} ${users[i]}`).join(', ');
  return {
    id: `SAMPLE_RATIO_MISMATCH:experiment:${experiment.id}`,
    kind: 'SAMPLE_RATIO_MISMATCH',
    severity: 'CRITICAL',
    entityType: 'experiment',
    entityId: experiment.id,
    score: srm.chiSquare,
    detectedAt: at,
    message: `experiment ${experiment.id} (${experiment.spec.name}): users per variant ${perVariant} against shares ${shares.join('/')} (chi-square ${srm.chiSquare.toFixed(1)}, p ${srm.pValue.toExponential(2)}): do not trust its results`,
    evidence: { users: [...users], shares, expected: srm.expected, pValue: srm.pValue, chiSquare: srm.chiSquare },
  };
}
