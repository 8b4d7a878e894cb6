import type { Flywheel } from '../app/flywheel';

/**
 * The `interleave` scenario's summary for `flywheel simulate`: the experiment's preference test (every simulated
 * user saw both variants merged by team-draft; each click credited to the variant that contributed the item) and
 * the per-variant credited clicks, in the shape of the other scenarios' output where it applies.
 */
export function interleavingSummary(app: Pick<Flywheel, 'outcomes'>, experimentId: string, variants: readonly { name: string; strategy: string }[]) {
  const r = app.outcomes.experiments.interleavingResults(experimentId)!;
  const p = r.preference;
  const totals = app.outcomes.totals().filter((t) => t.experimentId === experimentId);
  return {
    variants: variants.map((v) => ({
      name: v.name,
      strategy: v.strategy,
      users: r.users,
      creditedClicks: v.name === r.control ? r.credited.control : r.credited.treatment,
    })),
    interleaving: {
      users: r.users,
      lists: totals.reduce((s, t) => s + t.impressions, 0),
      credited: { control: r.credited.control, treatment: r.credited.treatment },
      wins: p.wins,
      losses: p.losses,
      ties: p.ties,
      preferenceShare: Number.isFinite(p.share) ? p.share : null,
      pValue: p.pValue,
      ci: p.ci,
      // The paired t-test on per-user credit differences (treatment − control), ties included.
      // Its always-valid version (mSPRT) beside it: the p-value an analyst may act on at any daily look.
      difference: r.difference
        ? { mean: r.difference.estimate, ci: r.difference.ci, pValue: r.difference.pValue, sequentialPValue: r.sequentialDifference?.pValue ?? null }
        : null,
    },
  };
}
