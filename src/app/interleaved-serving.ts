import type { ServedSurface } from '../events/event';
import { teamDraft } from '../experiments/interleaving';
import type { ServedVariant } from '../outcomes/experiments';
import type { ServedList } from '../outcomes/impressions';
import type { Recommendation, RecommendRequest } from '../recommend/recommender';
import type { Flywheel } from './flywheel';

/**
 * A user of a running INTERLEAVE experiment: both variants' strategies rank for the same request, team-draft
 * merges the two lists (src/experiments/interleaving.ts), and the impression records per entry the variant that
 * contributed it (`team`) and the merge's propensity, so attribution credits each outcome to that variant.
 * Each entry keeps the score and reason its own strategy gave it (the two scales are not comparable).
 */
export async function serveInterleaved(
  app: Pick<Flywheel, 'recommender' | 'impressions'>,
  request: RecommendRequest,
  surface: ServedSurface,
  assigned: { experimentId: string; variant: string; strategy: string; teams: readonly ServedVariant[] },
  random: () => number,
): Promise<{ scored: Recommendation[]; served: ServedList }> {
  const [a, b] = assigned.teams as [ServedVariant, ServedVariant];
  // A weighted blend team ranks with its own blend (see serving.ts).
  const rank = (v: ServedVariant) =>
    app.recommender.recommend({ ...request, strategy: v.strategy, ...(v.blendKey !== undefined ? { variantBlend: v.blendKey } : {}) });
  const [listA, listB] = await Promise.all([rank(a), rank(b)]);
  const merged = teamDraft(
    listA.map((r) => r.itemId),
    listB.map((r) => r.itemId),
    request.first,
    random,
  );
  const byTeam = [new Map(listA.map((r) => [r.itemId, r])), new Map(listB.map((r) => [r.itemId, r]))] as const;
  const scored = merged.itemIds.map((id, i) => byTeam[merged.teams[i]!].get(id)!);
  const served = await app.impressions.record({
    surface,
    actor: request.userId,
    strategy: assigned.strategy,
    experiment: { id: assigned.experimentId, variant: assigned.variant },
    itemIds: merged.itemIds,
    propensities: merged.propensities,
    teams: { perEntry: merged.teams.map((t) => (t === 0 ? a.name : b.name)), strategies: { [a.name]: a.strategy, [b.name]: b.strategy } },
  });
  return { scored, served };
}
