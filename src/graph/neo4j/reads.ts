import neo4j from 'neo4j-driver';
import { decodeCursor, encodeCursor } from '../stores/cursor';
import type { CategoryNode, GraphReadStore, GraphStats, InteractionEdge, ItemNode, ItemPage, ItemQuery, UserNode } from '../stores/graph-reads';
import { ITEM_PROJECTION, edgeFromProps, itemFromProps } from './props';
import type { Neo4jSession } from './session';

/**
 * Graph reads on Neo4j: one `UNWIND $ids` query per batch of keys, in a fail-fast read transaction
 * (`Neo4jSession.read`). Reads are one hop from the keys: no 3-hop scan.
 */
export class Neo4jGraphReads implements GraphReadStore {
  constructor(private readonly session: Neo4jSession) {}

  async getItems(ids: readonly string[]): Promise<(ItemNode | null)[]> {
    if (ids.length === 0) return [];
    const res = await this.session.readQuery(`UNWIND $ids AS id OPTIONAL MATCH (i:Item {id: id}) RETURN id, i ${ITEM_PROJECTION} AS item`, { ids: [...ids] });
    const byId = new Map<string, ItemNode | null>();
    for (const r of res.records) byId.set(r.get('id'), r.get('item') ? itemFromProps(r.get('item')) : null);
    return ids.map((id) => byId.get(id) ?? null);
  }

  async getCategories(names: readonly string[]): Promise<(CategoryNode | null)[]> {
    if (names.length === 0) return [];
    const res = await this.session.read((tx) =>
      tx.run(
        `UNWIND $names AS name OPTIONAL MATCH (c:Category {name: name})
         RETURN name, CASE WHEN c IS NULL THEN 0 ELSE COUNT { (c)<-[:IN_CATEGORY]-(:Item) } END AS n`,
        { names: [...names] },
      ),
    );
    const byName = new Map<string, number>();
    for (const r of res.records) byName.set(r.get('name'), Number(r.get('n')));
    return names.map((name) => {
      const n = byName.get(name) ?? 0;
      return n > 0 ? { name, itemCount: n } : null;
    });
  }

  async getUsers(ids: readonly string[]): Promise<(UserNode | null)[]> {
    if (ids.length === 0) return [];
    const res = await this.session.read((tx) =>
      tx.run(
        `UNWIND $ids AS id OPTIONAL MATCH (u:User {id: id})
         RETURN id, u { .id, .anonymous, .firstSeenAt, .lastSeenAt, .eventCount } AS u,
                CASE WHEN u IS NULL THEN 0 ELSE COUNT { (u)-[:INTERACTED]->() } END AS itemCount`,
        { ids: [...ids] },
      ),
    );
    const byId = new Map<string, UserNode>();
    for (const r of res.records) {
      const u = r.get('u') as Record<string, unknown> | null;
      if (!u) continue;
      byId.set(r.get('id'), {
        id: u.id as string,
        anonymous: u.anonymous === true,
        firstSeenAt: (u.firstSeenAt as number | null) ?? Infinity,
        lastSeenAt: (u.lastSeenAt as number | null) ?? -Infinity,
        itemCount: Number(r.get('itemCount')),
        eventCount: Number(u.eventCount ?? 0),
      });
    }
    return ids.map((id) => byId.get(id) ?? null);
  }

  async getItemInteractions(itemIds: readonly string[], first: number): Promise<InteractionEdge[][]> {
    if (itemIds.length === 0) return [];
    const res = await this.session.read((tx) =>
      tx.run(
        `UNWIND $ids AS id
         CALL (id) {
           MATCH (u:User)-[r:INTERACTED]->(:Item {id: id})
           RETURN r, u.id AS userId ORDER BY r.lastSeenAt DESC, u.id ASC LIMIT $first
         }
         RETURN id, collect({props: properties(r), userId: userId}) AS edges`,
        { ids: [...itemIds], first: neo4j.int(Math.max(0, Math.floor(first))) },
      ),
    );
    const byId = new Map<string, InteractionEdge[]>();
    for (const r of res.records) {
      const itemId = r.get('id') as string;
      const list = (r.get('edges') as { props: Record<string, unknown>; userId: string }[]).map((e) => ({
        userId: e.userId,
        itemId,
        ...edgeFromProps(e.props),
      }));
      list.sort((a, b) => b.lastSeenAt - a.lastSeenAt || (a.userId < b.userId ? -1 : 1));
      byId.set(itemId, list);
    }
    return itemIds.map((id) => byId.get(id) ?? []);
  }

  async getInteractions(userIds: readonly string[], first: number): Promise<InteractionEdge[][]> {
    if (userIds.length === 0) return [];
    const res = await this.session.read((tx) =>
      tx.run(
        `UNWIND $ids AS id
         CALL (id) {
           MATCH (:User {id: id})-[r:INTERACTED]->(i:Item)
           RETURN r, i.id AS itemId ORDER BY r.lastSeenAt DESC, i.id ASC LIMIT $first
         }
         RETURN id, collect({props: properties(r), itemId: itemId}) AS edges`,
        { ids: [...userIds], first: neo4j.int(Math.max(0, Math.floor(first))) },
      ),
    );
    const byId = new Map<string, InteractionEdge[]>();
    for (const r of res.records) {
      const userId = r.get('id') as string;
      const list = (r.get('edges') as { props: Record<string, unknown>; itemId: string }[]).map((e) => ({
        userId,
        itemId: e.itemId,
        ...edgeFromProps(e.props),
      }));
      list.sort((a, b) => b.lastSeenAt - a.lastSeenAt || (a.itemId < b.itemId ? -1 : 1));
      byId.set(userId, list);
    }
    return userIds.map((id) => byId.get(id) ?? []);
  }

  /** Every positive edge, bot-excluded actors left out (as the embedded store does). */
  async *scanInteractions(batchSize: number): AsyncIterable<InteractionEdge[]> {
    let after = '';
    const usersPerPage = Math.max(1, Math.floor(batchSize / 10));
    for (;;) {
      const res = await this.session.read((tx) =>
        tx.run(
          `MATCH (u:User) WHERE u.id > $after
           WITH u ORDER BY u.id LIMIT $n
           OPTIONAL MATCH (u)-[r:INTERACTED]->(i:Item) WHERE r.weight > 0 AND NOT coalesce(u.excluded, false)
           RETURN u.id AS userId, collect({props: properties(r), itemId: i.id}) AS edges`,
          { after, n: neo4j.int(usersPerPage) },
        ),
      );
      if (res.records.length === 0) return;
      const batch: InteractionEdge[] = [];
      for (const r of res.records) {
        const userId = r.get('userId') as string;
        after = userId > after ? userId : after;
        for (const e of r.get('edges') as { props: Record<string, unknown> | null; itemId: string | null }[]) {
          if (e.props && e.itemId) batch.push({ userId, itemId: e.itemId, ...edgeFromProps(e.props) });
        }
      }
      if (batch.length > 0) yield batch;
      if (res.records.length < usersPerPage) return;
    }
  }

  async listItems(query: ItemQuery): Promise<ItemPage> {
    const params = {
      after: query.after ? decodeCursor(query.after) : null,
      cats: query.categories && query.categories.length > 0 ? [...query.categories] : null,
      search: query.search ? query.search.toLowerCase() : null,
      first: neo4j.int(Math.max(0, Math.floor(query.first))),
    };
    const where = `($cats IS NULL OR i.category IN $cats)
      AND ($search IS NULL OR toLower(i.id) CONTAINS $search OR toLower(coalesce(i.title, '')) CONTAINS $search)`;
    const [page, total] = await this.session.read(async (tx) => [
      await tx.run(
        `MATCH (i:Item) WHERE ${where} AND ($after IS NULL OR i.id > $after)
         RETURN i ${ITEM_PROJECTION} AS item ORDER BY i.id LIMIT $first + 1`,
        params,
      ),
      await tx.run(`MATCH (i:Item) WHERE ${where} RETURN count(i) AS n`, params),
    ]);
    const items = page.records.map((r) => itemFromProps(r.get('item')));
    const hasNextPage = items.length > query.first;
    if (hasNextPage) items.length = query.first;
    return {
      items,
      totalCount: Number(total.records[0]!.get('n')),
      hasNextPage,
      endCursor: items.length > 0 ? encodeCursor(items[items.length - 1]!.id) : null,
    };
  }

  async stats(): Promise<GraphStats> {
    const res = await this.session.read((tx) =>
      tx.run(
        `CALL () { MATCH (u:User) RETURN count(u) AS users }
         CALL () { MATCH (i:Item) RETURN count(i) AS items }
         CALL () { MATCH (c:Category) WHERE EXISTS { (c)<-[:IN_CATEGORY]-(:Item) } RETURN count(c) AS categories }
         CALL () { MATCH ()-[r:INTERACTED]->() RETURN count(r) AS edges }
         OPTIONAL MATCH (m:Meta {id: 'graph'})
         RETURN users, items, categories, edges, coalesce(m.eventsApplied, 0) AS eventsApplied`,
      ),
    );
    const r = res.records[0]!;
    return {
      users: Number(r.get('users')),
      items: Number(r.get('items')),
      categories: Number(r.get('categories')),
      edges: Number(r.get('edges')),
      eventsApplied: Number(r.get('eventsApplied')),
    };
  }
}
