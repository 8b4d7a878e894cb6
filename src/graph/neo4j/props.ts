import { INTERACTION_TYPES, type InteractionType } from '../../events/event';
import type { EdgeState } from '../edge-rule';
import { emptyCounts, type ItemNode } from '../stores/graph-reads';

/** Property maps of the Neo4j graph store's nodes and relationships, shared by its writes and reads. */

export function edgeToProps(e: EdgeState): Record<string, unknown> {
  return {
    ...e.counts,
    weight: e.weight,
    quantity: e.quantity,
    revenue: e.revenue,
    firstSeenAt: e.firstSeenAt,
    lastSeenAt: e.lastSeenAt,
    lastType: e.lastType,
  };
}

export function edgeFromProps(p: Record<string, unknown>): EdgeState {
  const counts = emptyCounts();
  for (const t of INTERACTION_TYPES) counts[t] = Number(p[t] ?? 0);
  return {
    counts,
    weight: Number(p.weight ?? 0),
    quantity: Number(p.quantity ?? 0),
    revenue: Number(p.revenue ?? 0),
    firstSeenAt: Number(p.firstSeenAt ?? 0),
    lastSeenAt: Number(p.lastSeenAt ?? 0),
    lastType: (p.lastType as InteractionType) ?? 'VIEW',
  };
}

/**
 * The item properties a read returns (`i ${ITEM_PROJECTION}`): never `.*`, which would also carry the item's
 * ALS vector (`alsFactors`, item-factors.ts: factors x 8 bytes) into every item read and the item cache.
 */
export const ITEM_PROJECTION = '{ .id, .title, .category, .price, .attributes, .userCount }';

export function itemFromProps(p: Record<string, unknown>): ItemNode {
  const title = (p.title as string | undefined) ?? null;
  let attributes: Record<string, string> = {};
  try {
    attributes = JSON.parse((p.attributes as string | undefined) ?? '{}') as Record<string, string>;
  } catch {
    attributes = {};
  }
  return {
    id: p.id as string,
    title: title ?? (p.id as string),
    category: (p.category as string | undefined) ?? null,
    price: (p.price as number | undefined) ?? null,
    attributes,
    inCatalog: title !== null,
    userCount: Number(p.userCount ?? 0),
  };
}
