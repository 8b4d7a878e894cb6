import { encodeCursor, type InteractionEdge, type SegmentMemberPage, type UserNode } from '../../src/graph/graph-store';
import type { EventType } from '../../graph-models/event.model';
import { InteractionType, UserType, type UserConnection } from '../../graph-models/user.model';
import { toConnection } from './connection';

export function toUser(node: UserNode): UserType {
  return Object.assign(new UserType(), {
    id: node.id,
    anonymous: node.anonymous,
    firstSeenAt: new Date(node.firstSeenAt),
    lastSeenAt: new Date(node.lastSeenAt),
    itemCount: node.itemCount,
    eventCount: node.eventCount,
  });
}

export function toInteraction(e: InteractionEdge): InteractionType {
  return Object.assign(new InteractionType(), {
    userId: e.userId,
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

/** A page of members; users the store no longer holds (read after the page) are left out. */
export function toUserConnection(page: SegmentMemberPage, nodes: readonly (UserNode | null | Error)[]): UserConnection {
  const found = nodes.filter((n): n is UserNode => n !== null && !(n instanceof Error));
  return toConnection(found, page, (node) => encodeCursor(node.id), toUser);
}
