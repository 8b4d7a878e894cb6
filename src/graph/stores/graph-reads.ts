import type { InteractionType } from '../../events/event';

/**
 * Graph reads: users (and anonymous sessions), items, categories, and one typed interaction edge per
 * (user, item) pair carrying per-type counts, a weight and first/last-seen times.
 *
 * Every read takes a list of keys and returns one answer per key in the same order, so DataLoader can
 * batch the reads of a whole GraphQL request into one call (one `UNWIND $ids` query on Neo4j).
 */
export interface GraphReadStore {
  getItems(ids: readonly string[]): Promise<(ItemNode | null)[]>;
  getCategories(names: readonly string[]): Promise<(CategoryNode | null)[]>;
  getUsers(ids: readonly string[]): Promise<(UserNode | null)[]>;
  /** Each user's interaction edges, most recent first, at most `first` per user. */
  getInteractions(userIds: readonly string[], first: number): Promise<InteractionEdge[][]>;
  /** Each item's interaction edges (the users who interacted with it), most recent first, at most `first` per item. */
  getItemInteractions(itemIds: readonly string[], first: number): Promise<InteractionEdge[][]>;
  listItems(query: ItemQuery): Promise<ItemPage>;

  stats(): Promise<GraphStats>;

  /**
   * Every positive interaction edge, in batches: lets derived models (recommendation) rebuild after a
   * snapshot restore. Optional so backends can add it when they need it.
   */
  scanInteractions?(batchSize: number): AsyncIterable<InteractionEdge[]>;
}

export interface ItemNode {
  id: string;
  /** Items named by events before the catalog knows them get their id as a placeholder title. */
  title: string;
  category: string | null;
  price: number | null;
  attributes: Record<string, string>;
  /** Whether the catalog has described this item (false for items only seen in events). */
  inCatalog: boolean;
  /** Distinct users with a positive interaction. */
  userCount: number;
}

export interface CategoryNode {
  name: string;
  itemCount: number;
}

export interface UserNode {
  id: string;
  anonymous: boolean;
  firstSeenAt: number;
  lastSeenAt: number;
  /** Distinct items interacted with. */
  itemCount: number;
  eventCount: number;
}

export type TypeCounts = Record<InteractionType, number>;

export interface InteractionEdge {
  userId: string;
  itemId: string;
  counts: TypeCounts;
  /** Sum of event-type weights (purchase > cart > click > view), floored at 0. */
  weight: number;
  /** Units bought. */
  quantity: number;
  /** Money spent (quantity x unit price). */
  revenue: number;
  firstSeenAt: number;
  lastSeenAt: number;
  lastType: InteractionType;
}

export interface ItemQuery {
  first: number;
  /** Opaque cursor from a previous page's `endCursor`. */
  after?: string;
  categories?: readonly string[];
  /** Case-insensitive substring of the title or id. */
  search?: string;
}

export interface ItemPage {
  items: ItemNode[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface GraphStats {
  users: number;
  items: number;
  categories: number;
  edges: number;
  eventsApplied: number;
}

/** Event-type weights on the interaction edge (configuration can override). */
export const DEFAULT_TYPE_WEIGHTS: TypeCounts = {
  VIEW: 1,
  CLICK: 2,
  ADD_TO_CART: 3,
  REMOVE_FROM_CART: -3,
  PURCHASE: 5,
};

export function emptyCounts(): TypeCounts {
  return { VIEW: 0, CLICK: 0, ADD_TO_CART: 0, REMOVE_FROM_CART: 0, PURCHASE: 0 };
}
