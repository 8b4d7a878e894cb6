import type { Edge, PageInfoType } from '../../graph-models/connection';

/** What every store page says besides its entries. */
export interface PageMeta {
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

/** The fields of every connection (graph-models/connection.ts): edges, pageInfo, totalCount. */
export interface ConnectionShape<TNode> {
  edges: Edge<TNode>[];
  pageInfo: PageInfoType;
  totalCount: number;
}

/** A store page -> a GraphQL connection: one edge per entry, its cursor and node. */
export function toConnection<TEntry, TNode>(
  entries: readonly TEntry[],
  page: PageMeta,
  cursorOf: (entry: TEntry, index: number) => string,
  toNode: (entry: TEntry) => TNode,
): ConnectionShape<TNode> {
  return {
    edges: entries.map((entry, i) => ({ cursor: cursorOf(entry, i), node: toNode(entry) })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    totalCount: page.totalCount,
  };
}
