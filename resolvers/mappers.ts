import type { InteractionEdge, ItemNode, UserNode } from '../src/graph/graph-store';
import type { EventType } from '../graph-models/event.model';
import { Item } from '../graph-models/item.model';
import { Interaction, User } from '../graph-models/user.model';

/** Store nodes -> GraphQL objects. Kept apart so resolvers stay about fetching, not reshaping. */
export function toItem(node: ItemNode): Item {
  return Object.assign(new Item(), node);
}

export function toUser(node: UserNode): User {
  return Object.assign(new User(), {
    id: node.id,
    anonymous: node.anonymous,
    firstSeenAt: new Date(node.firstSeenAt),
    lastSeenAt: new Date(node.lastSeenAt),
    itemCount: node.itemCount,
    eventCount: node.eventCount,
  });
}

export function toInteraction(e: InteractionEdge): Interaction {
  return Object.assign(new Interaction(), {
    itemId: e.itemId,
    lastType: e.lastType as EventType,
    counts: {
      views: e.counts.VIEW,
      clicks: e.counts.CLICK,
      addToCarts: e.counts.ADD_TO_CART,
      removeFromCarts: e.counts.REMOVE_FROM_CART,
      purchases: e.counts.PURCHASE,
    },
    weight: e.weight,
    quantity: e.quantity,
    revenue: e.revenue,
    firstSeenAt: new Date(e.firstSeenAt),
    lastSeenAt: new Date(e.lastSeenAt),
  });
}
