import { encodeCursor, type CategoryNode, type ItemNode, type ItemPage } from '../../src/graph/graph-store';
import { CategoryType, ItemType, type AttributeType, type ItemConnection } from '../../graph-models/item.model';
import { toConnection } from './connection';

/** Store nodes -> GraphQL objects. Kept apart so resolvers stay about fetching, not reshaping. */
export function toItem(node: ItemNode): ItemType {
  return Object.assign(new ItemType(), node);
}

/** An item the store does not hold (erased between scoring and reading): its id stands in for the title. */
export function unknownItem(itemId: string): ItemType {
  return toItem({ id: itemId, title: itemId, category: null, price: null, attributes: {}, inCatalog: false, userCount: 0 });
}

export function toCategory(node: CategoryNode): CategoryType {
  return Object.assign(new CategoryType(), node);
}

/** Free attributes as a list of pairs (GraphQL has no map type). */
export function toAttributes(attributes: Record<string, string> | undefined): AttributeType[] {
  return Object.entries(attributes ?? {}).map(([key, value]) => ({ key, value }));
}

export function toItemConnection(page: ItemPage): ItemConnection {
  return toConnection(page.items, page, (node) => encodeCursor(node.id), toItem);
}
