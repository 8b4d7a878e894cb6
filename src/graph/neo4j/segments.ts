import neo4j from 'neo4j-driver';
import { decodeCursor, encodeCursor } from '../stores/cursor';
import { PurchaseActivityBuilder, type PurchaseActivityBatch, type SegmentMemberPage, type SegmentStore } from '../stores/segments';
import type { Neo4jSession } from './session';

/**
 * Customer segments on Neo4j: `(:User)-[:IN_SEGMENT]->(:Segment {id})`, the model as
 * `(:SegmentModel {id: 'current', json})`, purchase activity read from the INTERACTED edges and the
 * users' `orders` (distinct purchase instants, kept by writes.ts).
 */
export class Neo4jSegments implements SegmentStore {
  constructor(private readonly session: Neo4jSession) {}

  async getPurchaseActivity(userIds: readonly string[]): Promise<PurchaseActivityBatch> {
    const res = await this.session.read((tx) =>
      tx.run(
        `UNWIND $ids AS id
         CALL (id) {
           OPTIONAL MATCH (u:User {id: id})
           OPTIONAL MATCH (u)-[r:INTERACTED]->(i:Item)
           RETURN u.orders AS orders, sum(coalesce(r.VIEW, 0)) AS views,
                  collect(CASE WHEN r.PURCHASE > 0 THEN {item: i.id, category: i.category, quantity: r.quantity, revenue: r.revenue} END) AS bought
         }
         RETURN id, orders, views, bought`,
        { ids: [...userIds] },
      ),
    );
    const rows = new Map<string, ActivityRow>();
    for (const r of res.records) rows.set(r.get('id'), { orders: r.get('orders') ?? [], views: Number(r.get('views') ?? 0), bought: r.get('bought') ?? [] });
    return buildBatch(userIds, rows);
  }

  async *scanPurchaseActivity(batchSize = 20_000): AsyncIterable<PurchaseActivityBatch> {
    let after = '';
    for (;;) {
      const res = await this.session.read((tx) =>
        tx.run('MATCH (u:User) WHERE u.id > $after RETURN u.id AS id ORDER BY id LIMIT $n', { after, n: neo4j.int(batchSize) }),
      );
      const ids = res.records.map((r) => r.get('id') as string);
      if (ids.length === 0) return;
      after = ids[ids.length - 1]!;
      yield await this.getPurchaseActivity(ids);
      if (ids.length < batchSize) return;
    }
  }

  async getSegmentModel(): Promise<unknown> {
    const res = await this.session.read((tx) => tx.run("MATCH (m:SegmentModel {id: 'current'}) RETURN m.json AS json"));
    const json = res.records[0]?.get('json') as string | undefined;
    return json ? JSON.parse(json) : null;
  }

  async setSegmentModel(model: unknown): Promise<void> {
    await this.session.write((tx) =>
      tx.run("MERGE (m:SegmentModel {id: 'current'}) SET m.json = $json, m.at = $now", { json: JSON.stringify(model), now: Date.now() }),
    );
  }

  async setUserSegments(userIds: readonly string[], segmentIds: readonly (string | null)[]): Promise<void> {
    const rows = userIds.map((id, r) => ({ id, seg: segmentIds[r] ?? null }));
    if (rows.length === 0) return;
    await this.session.write(async (tx) => {
      await tx.run(
        `UNWIND $rows AS row
         MATCH (u:User {id: row.id})-[old:IN_SEGMENT]->(s:Segment)
         WHERE row.seg IS NULL OR s.id <> row.seg
         DELETE old`,
        { rows },
      );
      await tx.run(
        `UNWIND $rows AS row
         WITH row WHERE row.seg IS NOT NULL
         MATCH (u:User {id: row.id})
         MERGE (s:Segment {id: row.seg})
         MERGE (u)-[:IN_SEGMENT]->(s)`,
        { rows },
      );
    });
  }

  async getUserSegments(userIds: readonly string[]): Promise<(string | null)[]> {
    if (userIds.length === 0) return [];
    const res = await this.session.read((tx) =>
      tx.run('UNWIND $ids AS id OPTIONAL MATCH (:User {id: id})-[:IN_SEGMENT]->(s:Segment) RETURN id, s.id AS seg', { ids: [...userIds] }),
    );
    const byId = new Map<string, string | null>();
    for (const r of res.records) byId.set(r.get('id'), r.get('seg') ?? null);
    return userIds.map((id) => byId.get(id) ?? null);
  }

  /** Members ordered by user id (the embedded graph orders by first-seen); the cursor is the last id. */
  async listSegmentMembers(segmentId: string, first: number, after?: string): Promise<SegmentMemberPage> {
    const params = { seg: segmentId, after: after !== undefined ? decodeCursor(after) : null, first: neo4j.int(Math.max(0, Math.floor(first))) };
    const [page, total] = await this.session.read(async (tx) => [
      await tx.run(
        `MATCH (u:User)-[:IN_SEGMENT]->(:Segment {id: $seg}) WHERE $after IS NULL OR u.id > $after
         RETURN u.id AS id ORDER BY id LIMIT $first + 1`,
        params,
      ),
      await tx.run('MATCH (u:User)-[:IN_SEGMENT]->(:Segment {id: $seg}) RETURN count(u) AS n', params),
    ]);
    const ids = page.records.map((r) => r.get('id') as string);
    const hasNextPage = ids.length > first;
    if (hasNextPage) ids.length = first;
    return { userIds: ids, totalCount: Number(total.records[0]!.get('n')), hasNextPage, endCursor: ids.length > 0 ? encodeCursor(ids[ids.length - 1]!) : null };
  }

  async segmentSizes(): Promise<Map<string, number>> {
    const res = await this.session.read((tx) => tx.run('MATCH (s:Segment)<-[r:IN_SEGMENT]-(:User) RETURN s.id AS id, count(r) AS n'));
    return new Map(res.records.map((r) => [r.get('id') as string, Number(r.get('n'))]));
  }
}

interface ActivityRow {
  orders: number[];
  views: number;
  bought: ({ item: string; category: string | null; quantity: number; revenue: number } | null)[];
}

function buildBatch(userIds: readonly string[], rows: Map<string, ActivityRow>): PurchaseActivityBatch {
  const b = new PurchaseActivityBuilder(userIds.length);
  userIds.forEach((id, r) => {
    const row = rows.get(id);
    if (!row) return b.empty(r, id);
    b.user(r, id, row.orders, row.views);
    for (const e of row.bought) if (e) b.purchase(e.item, e.category ?? null, Number(e.quantity), Number(e.revenue));
  });
  return b.finish();
}
