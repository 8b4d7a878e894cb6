import DataLoader from 'dataloader';
import type { CategoryNode, GraphReadStore, InteractionEdge, ItemNode, UserNode } from '../src/graph/stores/graph-reads';

/**
 * Per-request DataLoaders: every graph read of one GraphQL operation is batched into one store call
 * per kind and tick, and deduplicated. Subscriptions get loaders without a cache (`cache: false`)
 * because their context lives as long as the subscription and would otherwise serve stale nodes.
 */
export interface Loaders {
  item: DataLoader<string, ItemNode | null>;
  /**
   * Whole lists of items (a recommendation list's items): one promise per list instead of one per item,
   * which is measurable on the hottest query; the lists asked for in one tick still share one store call.
   */
  itemLists: DataLoader<readonly string[], (ItemNode | null)[]>;
  category: DataLoader<string, CategoryNode | null>;
  user: DataLoader<string, UserNode | null>;
  /** Key: `${first}\u0000${userId}`; the store call groups by `first`. */
  interactions: DataLoader<string, InteractionEdge[]>;
}

export function createLoaders(store: GraphReadStore, { cache = true } = {}): Loaders {
  return {
    item: new DataLoader((ids) => store.getItems(ids), { cache }),
    // keyed by array identity, so nothing to cache across calls; batching is what it is for
    itemLists: new DataLoader(
      async (lists) => {
        const nodes = await store.getItems(lists.flat());
        let at = 0;
        return lists.map((list) => nodes.slice(at, (at += list.length)));
      },
      { cache: false },
    ),
    category: new DataLoader((names) => store.getCategories(names), { cache }),
    user: new DataLoader((ids) => store.getUsers(ids), { cache }),
    interactions: new DataLoader(
      async (keys) => {
        const byFirst = new Map<number, { index: number; userId: string }[]>();
        keys.forEach((key, index) => {
          const [first, userId] = splitKey(key);
          let group = byFirst.get(first);
          if (!group) byFirst.set(first, (group = []));
          group.push({ index, userId });
        });
        const out: InteractionEdge[][] = new Array(keys.length);
        await Promise.all(
          [...byFirst].map(async ([first, group]) => {
            const lists = await store.getInteractions(
              group.map((g) => g.userId),
              first,
            );
            group.forEach((g, i) => (out[g.index] = lists[i] ?? []));
          }),
        );
        return out;
      },
      { cache },
    ),
  };
}

export function interactionsKey(userId: string, first: number): string {
  return `${first}\u0000${userId}`;
}

function splitKey(key: string): [number, string] {
  const sep = key.indexOf('\u0000');
  return [Number(key.slice(0, sep)), key.slice(sep + 1)];
}
