import type { ItemNode } from '../../src/graph/graph-store';
import type { Recommendation as Scored, RecommendRequest } from '../../src/recommend/recommender';
import type { ServedList } from '../../src/outcomes/impressions';
import type { RecommendationFilterInput, RecommendationType } from '../../graph-models/recommendation.model';
import { toItem, unknownItem } from './item';

/** The GraphQL arguments -> the recommender's request (business rules from the filter). */
export function toRecommendRequest(
  userId: string,
  first: number,
  strategy: string | undefined,
  filter: RecommendationFilterInput | undefined,
): RecommendRequest {
  return {
    userId,
    first,
    ...(strategy ? { strategy } : {}),
    excludeItemIds: filter?.excludeItemIds,
    categories: filter?.categories,
    includePurchased: filter?.includePurchased ?? false,
    ...(filter?.minPrice != null ? { minPrice: filter.minPrice } : {}),
    ...(filter?.maxPrice != null ? { maxPrice: filter.maxPrice } : {}),
    ...(filter?.maxPerCategory != null ? { maxPerCategory: filter.maxPerCategory } : {}),
  };
}

/**
 * A scored entry of a served list, with its item when read (through the loader; an item erased since
 * scoring gets a placeholder). Without `item` selected the field is left unset: nothing resolves it.
 */
export function toRecommendation(scored: Scored, served: ServedList, index: number, node?: ItemNode | null): RecommendationType {
  const entry = served.entries[index]!;
  const out = {
    itemId: scored.itemId,
    score: scored.score,
    reason: scored.reason,
    servedId: served.servedId,
    position: entry.position,
    // An interleaved list: each entry names the variant (team) that contributed it, and that variant's strategy.
    strategy: entry.team !== undefined ? (served.teamStrategies?.[entry.team] ?? served.strategy) : served.strategy,
    variant: entry.team ?? served.variant ?? null,
    propensity: entry.propensity,
  } as RecommendationType;
  if (node !== undefined) out.item = node ? toItem(node) : unknownItem(scored.itemId);
  return out;
}
