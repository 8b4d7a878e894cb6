import { decodeCursor, encodeCursor } from '../stores/cursor';
import type { CategoryNode, GraphReadStore, GraphStats, InteractionEdge, ItemNode, ItemPage, ItemQuery, UserNode } from '../stores/graph-reads';
import type { GraphState } from './graph-state';

/** Graph reads on the embedded graph: index lookups on the interned users and items. */
export class MemoryGraphReads implements GraphReadStore {
  constructor(private readonly state: GraphState) {}

  async getItems(ids: readonly string[]): Promise<(ItemNode | null)[]> {
    const s = this.state;
    return ids.map((id) => {
      const idx = s.itemIndex.get(id);
      return idx === undefined ? null : s.itemNode(idx);
    });
  }

  async getCategories(names: readonly string[]): Promise<(CategoryNode | null)[]> {
    return names.map((name) => {
      const set = this.state.categories.get(name);
      return set && set.size > 0 ? { name, itemCount: set.size } : null;
    });
  }

  async getUsers(ids: readonly string[]): Promise<(UserNode | null)[]> {
    const s = this.state;
    return ids.map((id) => {
      const idx = s.userIndex.get(id);
      if (idx === undefined) return null;
      const u = s.users[idx]!;
      return { id: u.id, anonymous: u.anonymous, firstSeenAt: u.first, lastSeenAt: u.last, itemCount: u.edges.size, eventCount: u.events };
    });
  }

  async getInteractions(userIds: readonly string[], first: number): Promise<InteractionEdge[][]> {
    const s = this.state;
    return userIds.map((id) => {
      const idx = s.userIndex.get(id);
      if (idx === undefined) return [];
      const edges = [...s.users[idx]!.edges.values()];
      edges.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
      if (edges.length > first) edges.length = first;
      return edges.map((e) => s.edgeView(e));
    });
  }

  async getItemInteractions(itemIds: readonly string[], first: number): Promise<InteractionEdge[][]> {
    const s = this.state;
    return itemIds.map((id) => {
      const idx = s.itemIndex.get(id);
      if (idx === undefined) return [];
      const edges = [...s.items[idx]!.users.values()];
      edges.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
      if (edges.length > first) edges.length = first;
      return edges.map((e) => s.edgeView(e));
    });
  }

  async *scanInteractions(batchSize: number): AsyncIterable<InteractionEdge[]> {
    const s = this.state;
    let batch: InteractionEdge[] = [];
    for (const u of s.users) {
      for (const e of u.edges.values()) {
        if (e.weight <= 0 || s.excluded.has(e.user)) continue;
        batch.push(s.edgeView(e));
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield batch;
  }

  async listItems(query: ItemQuery): Promise<ItemPage> {
    const s = this.state;
    if (!s.sortedIds) s.sortedIds = [...s.itemIndex.keys()].sort();
    const cats = query.categories && query.categories.length > 0 ? new Set(query.categories) : null;
    const needle = query.search?.toLowerCase();
    const matches = (id: string): boolean => {
      const rec = s.items[s.itemIndex.get(id)!]!;
      if (cats && (rec.category === null || !cats.has(rec.category))) return false;
      if (needle && !id.toLowerCase().includes(needle) && !(rec.title ?? '').toLowerCase().includes(needle)) return false;
      return true;
    };
    const ids = cats || needle ? s.sortedIds.filter(matches) : s.sortedIds;
    let start = 0;
    if (query.after) start = upperBound(ids, decodeCursor(query.after));
    const page = ids.slice(start, start + query.first);
    return {
      items: page.map((id) => s.itemNode(s.itemIndex.get(id)!)),
      totalCount: ids.length,
      hasNextPage: start + query.first < ids.length,
      endCursor: page.length > 0 ? encodeCursor(page[page.length - 1]!) : null,
    };
  }

  async stats(): Promise<GraphStats> {
    const s = this.state;
    let categories = 0;
    for (const set of s.categories.values()) if (set.size > 0) categories++;
    return { users: s.users.length, items: s.items.length, categories, edges: s.edgeCount, eventsApplied: s.eventsApplied };
  }
}

/** First index whose value is greater than `key` in a sorted array. */
function upperBound(arr: readonly string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
