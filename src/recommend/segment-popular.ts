import type { InteractionIndex } from './interactions';
import type { Accumulator, ScoreContext, Seed, Strategy } from './strategy';

/** `from` marker of a candidate that came from the user's segment (a history item index is >= 0, global popularity -1). */
export const FROM_SEGMENT = -2;

/**
 * "Popular in your segment": the items most bought by the customers of the requesting user's
 * segment (distinct buyers, then revenue; computed at every segment refit), scored by the share of the
 * segment's customers who bought them. Users without a segment (no purchase yet) get nothing from it and
 * fall through to the Recommender's fallbacks, like any strategy with no candidates.
 */
export class SegmentPopularStrategy implements Strategy {
  readonly name = 'segment-popular';
  readonly description = "items most bought by the customers of the user's RFM segment (refreshed at every segment refit)";
  readonly signal = 'popular in the segment of';
  readonly readsSegment = true;

  constructor(private readonly index: InteractionIndex) {}

  /** The segment's top items, scored by the share of the segment's customers who bought each. */
  score(_seeds: readonly Seed[], acc: Accumulator, ctx?: ScoreContext): void {
    const segment = ctx?.segment;
    if (!segment || segment.size <= 0) return;
    for (const t of segment.items) {
      const j = this.index.itemIndex.get(t.itemId);
      if (j === undefined || t.customers <= 0) continue;
      acc.add(j, t.customers / segment.size, FROM_SEGMENT);
    }
  }
}

/** The reason of a segment candidate. */
export function segmentReason(segment: NonNullable<ScoreContext['segment']>, itemId: string): string {
  const t = segment.items.find((x) => x.itemId === itemId);
  const bought = t ? `: bought by ${t.customers} of its ${segment.size} customers` : '';
  return `popular with "${segment.name}" customers (your segment)${bought}`;
}
