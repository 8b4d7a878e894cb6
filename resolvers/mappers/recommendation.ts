import type { ItemNode } from '../../src/graph/graph-store';
import type { Recommendation as Scored, RecommendRequest } from '../../src/recommend/recommender';
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

/** A scored entry with its item (read through the loader; an item erased since scoring gets a placeholder). */
export function toRecommendation(scored: Scored, node: ItemNode | null | undefined): RecommendationType {
  return { itemId: scored.itemId, score: scored.score, reason: scored.reason, item: node ? toItem(node) : unknownItem(scored.itemId) };
}

/** Without `item` selected, the scored entries are the answer as they are (same fields but `item`). */
export function toRecommendationsWithoutItems(scored: Scored[]): RecommendationType[] {
  return scored as unknown as RecommendationType[];
}
