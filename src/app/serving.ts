import type { ServedSurface } from '../events/event';
import type { ExperimentAssignment } from '../outcomes/experiments';
import type { ServedList } from '../outcomes/impressions';
import type { Recommendation, RecommendRequest, Recommender } from '../recommend/recommender';
import type { Flywheel } from './flywheel';
import { serveInterleaved } from './interleaved-serving';

/**
 * One served recommendations list, the way every caller serves it (the GraphQL resolvers and the simulated
 * shop alike): a strategy asked for by name is served as asked (the user is not exposed to an experiment);
 * otherwise the running experiment's variant for this user (a bandit's: drawn for this request), else the default; then the list's impression (the
 * exposure, in an experiment) is appended to the log before it is handed back (not awaited: see ImpressionRecorder).
 * In an INTERLEAVE experiment the list is both variants' lists merged (src/app/interleaved-serving.ts); `random`
 * flips its coins (seeded by the simulator).
 *
 * A weighted blend variant ranks with the blend the recommender built for it when the experiment started
 * (`blendKey`); its list's strategy is `blend`, and the impression's variant says which weights. A gateway
 * that could not build that blend (a part it does not serve) serves such a user the default, unexposed,
 * rather than another ranking under the variant's name.
 */
export async function serveRecommendations(
  app: Pick<Flywheel, 'recommender' | 'outcomes' | 'impressions'> & { segments?: Pick<Flywheel['segments'], 'segmentOf'> },
  request: RecommendRequest,
  surface: Extract<ServedSurface, 'recommendations' | 'recommendationsChanged'> = 'recommendations',
  /** Coin flips of an interleaving and the bandit's draw per request (Math.random; seeded in the simulator). */
  random: () => number = Math.random,
): Promise<{ scored: Recommendation[]; served: ServedList }> {
  // A bandit by segment draws from the arms of the user's segment (looked up only then: one store read).
  const segment =
    !request.strategy && app.segments && app.outcomes.experiments.needsSegment()
      ? ((await app.segments.segmentOf([request.userId]))[0] ?? undefined)
      : undefined;
  const drawn = request.strategy ? null : app.outcomes.experiments.assign(request.userId, random, segment);
  const assigned = drawn && servable(app.recommender, drawn) ? drawn : null;
  if (assigned?.teams) return serveInterleaved(app, request, surface, { ...assigned, teams: assigned.teams }, random);
  const strategy = request.strategy ?? assigned?.strategy;
  const scored = await app.recommender.recommend({
    ...request,
    ...(strategy ? { strategy } : {}),
    ...(assigned?.blendKey !== undefined ? { variantBlend: assigned.blendKey } : {}),
  });
  const served = await app.impressions.record({
    surface,
    actor: request.userId,
    strategy: strategy ?? app.recommender.defaultStrategy,
    ...(assigned
      ? { experiment: { id: assigned.experimentId, variant: assigned.variant, ...(assigned.segment !== undefined ? { segment: assigned.segment } : {}) } }
      : {}),
    itemIds: scored.map((r) => r.itemId),
    // A bandit's list: every entry carries the probability its arm was drawn with (see ServedEntry.propensity).
    ...(assigned?.propensity !== undefined ? { propensities: scored.map(() => assigned.propensity!) } : {}),
  });
  return { scored, served };
}

/** Every weighted blend the assignment needs was built on this gateway. */
function servable(recommender: Recommender, a: ExperimentAssignment): boolean {
  return [a, ...(a.teams ?? [])].every((v) => v.blendKey === undefined || recommender.hasVariantBlend(v.blendKey));
}
