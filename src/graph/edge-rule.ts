import type { InteractionEvent } from '../events/event';
import { emptyCounts, type InteractionEdge, type TypeCounts } from './stores/graph-reads';

/**
 * How one interaction event changes a user-item edge: the one rule every backend applies (the embedded
 * graph on its edge objects, Neo4j on the edges it read back inside the batch's transaction, then
 * writes). `nextEdgeState` is the pure form (the previous state and the event in, the next state out);
 * `applyToEdge` applies the same rule in place.
 *
 *   counts[type]      + 1
 *   weight            + weights[type], floored at 0 after every event (a removal never goes below zero)
 *   quantity, revenue PURCHASE only: + q (default 1) units, + q x unit price (the event's price, else the
 *                     item's, else 0)
 *   firstSeenAt       the earliest event time
 *   lastSeenAt        the latest event time, with lastType its type (a tie goes to the event applied later)
 *
 * The edge is positive while its weight is above 0; positive edges are what item userCount counts and
 * what the recommendation models learn from.
 */

/** An interaction edge's stored state, without its endpoints. */
export type EdgeState = Omit<InteractionEdge, 'userId' | 'itemId'>;

/** The edge a user's first event on an item creates, before the event is applied to it. */
function emptyEdge(e: InteractionEvent): EdgeState {
  return { counts: emptyCounts(), weight: 0, quantity: 0, revenue: 0, firstSeenAt: e.timestamp, lastSeenAt: e.timestamp, lastType: e.type };
}

/** The edge after `e`; `prev` undefined when the user has no edge to the item yet. */
export function nextEdgeState(prev: EdgeState | undefined, e: InteractionEvent, weights: TypeCounts, itemPrice: number | null): EdgeState {
  const next = prev ? { ...prev, counts: { ...prev.counts } } : emptyEdge(e);
  applyToEdge(next, e, weights, itemPrice);
  return next;
}

/** The first event on a user-item pair: the edge it creates (the rule applied to an empty edge). */
export function newEdgeState(e: InteractionEvent, weights: TypeCounts, itemPrice: number | null): EdgeState {
  const edge = emptyEdge(e);
  applyToEdge(edge, e, weights, itemPrice);
  return edge;
}

/**
 * The same rule, in place: for a store whose edge objects are shared by several indexes (the embedded
 * graph's adjacency maps) and written on every event, where a copy per event costs ingest throughput.
 * `nextEdgeState` is this applied to a copy.
 */
export function applyToEdge(edge: EdgeState, e: InteractionEvent, weights: TypeCounts, itemPrice: number | null): void {
  edge.counts[e.type]++;
  edge.weight = Math.max(0, edge.weight + weights[e.type]);
  if (e.type === 'PURCHASE') {
    const q = e.quantity ?? 1;
    edge.quantity += q;
    edge.revenue += q * (e.price ?? itemPrice ?? 0);
  }
  if (e.timestamp >= edge.lastSeenAt) {
    edge.lastSeenAt = e.timestamp;
    edge.lastType = e.type;
  }
  if (e.timestamp < edge.firstSeenAt) edge.firstSeenAt = e.timestamp;
}

export function isPositive(edge: Pick<EdgeState, 'weight'> | undefined): boolean {
  return edge !== undefined && edge.weight > 0;
}

/** The item's price after an interaction: an item without a price takes the first purchase's unit price. */
export function itemPriceAfter(itemPrice: number | null, e: InteractionEvent): number | null {
  return itemPrice === null && e.type === 'PURCHASE' && e.price !== undefined ? e.price : itemPrice;
}
