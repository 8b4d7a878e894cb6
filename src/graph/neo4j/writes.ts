import { actorId, EVENT_SCHEMA_VERSION, graphEvents, type FlywheelEvent, type GraphEvent } from '../../events/event';
import { idempotencyKey } from '../../events/idempotency';
import { isPositive, itemPriceAfter, nextEdgeState, type EdgeState } from '../edge-rule';
import { DEFAULT_TYPE_WEIGHTS, type TypeCounts } from '../stores/graph-reads';
import type { ApplySummary, GraphWriteStore } from '../stores/graph-writes';
import { recordOrder } from '../order-times';
import { edgeFromProps, edgeToProps } from './props';
import type { Neo4jEventIds } from './event-ids';
import type { Neo4jSession, Statements } from './session';

/**
 * Graph writes on Neo4j.
 *
 * Idempotency: an `(:Event {id})` node under a uniqueness constraint, created in the same transaction as
 * the batch's graph changes. Chosen over an applied-id list on the user because (a) item upserts have no
 * user, (b) the constraint makes two writers racing on one id safe (one transaction fails on the
 * constraint and its retry sees the id as applied), and (c) old Event nodes are pruned by `appliedAt`
 * once they are older than any redelivery window, without touching the graph proper (event-ids.ts).
 *
 * One `executeWrite` transaction per batch (the driver retries it on transient errors such as deadlocks
 * and leader switches). Inside it: read which ids are new, read the current state of the touched users /
 * items / edges (`UNWIND $ids`), apply the events in order in memory with the rule both backends share
 * (src/graph/edge-rule.ts), and write the results back with `UNWIND $rows`: items and users by `MERGE`,
 * edges by the element ids the transaction read or got back (an existing edge `SET` by its id, a new one
 * `CREATE`d between its ends' ids). Counters shared
 * between partitions (item userCount, eventsApplied) are updated as `SET n.x = n.x + $delta`, which Neo4j
 * evaluates under the node's write lock (no lost updates).
 */
interface ItemState {
  exists: boolean;
  title: string | null;
  category: string | null;
  price: number | null;
  attributes: string;
  upserted: boolean;
  priceChanged: boolean;
  delta: number;
}

interface UserState {
  anonymous: boolean;
  excluded: boolean;
  first: number;
  last: number;
  events: number;
  orders: number[];
  ordersChanged: boolean;
}

export class Neo4jGraphWrites implements GraphWriteStore {
  private readonly weights: TypeCounts;

  constructor(
    private readonly session: Neo4jSession,
    private readonly eventIds: Neo4jEventIds,
    typeWeights?: TypeCounts,
  ) {
    this.weights = typeWeights ?? DEFAULT_TYPE_WEIGHTS;
  }

  durablePosition(): number | undefined {
    return undefined;
  }

  async checkpoint(): Promise<void> {
    // Every batch is committed by Neo4j; nothing to persist.
  }

  /**
   * Runs batches that touch every statement of `applyInTx` (an item upsert with a category, a purchase of
   * it, a second purchase of it) in a transaction that is rolled back, so Neo4j has planned them before the first real batch.
   * Why: Neo4j plans a statement when it first sees it, and again after a schema change (migrations) or a
   * restart. Planning this batch's dozen statements cost the first batch 0.4-0.9 s more than the next
   * ones, and the bench's first batch after its migrations took 1.2-2.5 s against 0.3 s for the rest
   * (BENCHMARKS.md, issue 16). With the plans cached, this costs a few milliseconds.
   */
  async warmUp(): Promise<void> {
    const id = '\u0000flywheel-warm-up';
    const at = Date.UTC(2000, 0, 1);
    const item: GraphEvent = { kind: 'item', v: EVENT_SCHEMA_VERSION, id: `${id}-item`, itemId: id, title: id, category: id, price: 1, timestamp: at };
    const purchase = {
      kind: 'interaction',
      v: EVENT_SCHEMA_VERSION,
      id: `${id}-purchase`,
      type: 'PURCHASE',
      userId: id,
      itemId: id,
      quantity: 1,
      timestamp: at,
    } as const;
    // the same pair again: the edge exists now, so the statement that updates edges is planned too
    const again = { ...purchase, id: `${id}-purchase-again`, timestamp: at + 1 };
    await this.session.serialized(() =>
      this.session.rolledBack(async (tx) => {
        await this.applyInTx(tx, [item, purchase]);
        return this.applyInTx(tx, [again]);
      }),
    );
  }

  async applyEvents(events: readonly FlywheelEvent[]): Promise<ApplySummary> {
    const unique: GraphEvent[] = [];
    const seen = new Set<string>();
    // Impressions are not behaviour: the graph neither applies nor remembers them (isGraphEvent).
    const graph = graphEvents(events);
    for (const e of graph) {
      const key = idempotencyKey(e);
      if (seen.has(key)) continue;
      seen.add(key);
      unique.push(e);
    }
    const inBatchDuplicates = graph.length - unique.length;
    if (unique.length === 0) return { applied: 0, duplicates: inBatchDuplicates, touchedUsers: [], touchedItems: [] };
    // The driver may run the function more than once (transient errors): it must start from scratch.
    const summary = await this.session.serialized(() => this.session.write((tx) => this.applyInTx(tx, unique)));
    return { ...summary, duplicates: summary.duplicates + inBatchDuplicates };
  }

  private async applyInTx(tx: Statements, unique: readonly GraphEvent[]): Promise<ApplySummary> {
    // Event nodes hold idempotency keys (actor + event id), not bare ids: one actor cannot pre-empt another's.
    const ids = unique.map(idempotencyKey);
    const known = await this.eventIds.known(tx, ids);
    const notYet = unique.filter((e) => !known.has(idempotencyKey(e)));
    if (notYet.length === 0) return { applied: 0, duplicates: unique.length, touchedUsers: [], touchedItems: [] };
    // The erasure list: an erased actor's events up to the erasure time are skipped (a log replay).
    const batchActors = [...new Set(notYet.flatMap((e) => (e.kind === 'interaction' ? [actorId(e)] : [])))];
    const erasedAt = new Map<string, number>();
    if (batchActors.length > 0) {
      for (const r of (await tx.run('MATCH (x:Erased) WHERE x.id IN $ids RETURN x.id AS id, x.at AS at', { ids: batchActors })).records) {
        erasedAt.set(r.get('id') as string, Number(r.get('at')));
      }
    }
    const fresh = erasedAt.size === 0 ? notYet : notYet.filter((e) => e.kind !== 'interaction' || !(e.timestamp <= (erasedAt.get(actorId(e)) ?? -Infinity)));
    if (fresh.length === 0) return { applied: 0, duplicates: unique.length - notYet.length, touchedUsers: [], touchedItems: [] };

    // ---- read the state the batch touches
    const itemIds = [...new Set(fresh.map((e) => e.itemId))].sort();
    const actors = [...new Set(fresh.flatMap((e) => (e.kind === 'interaction' ? [actorId(e)] : [])))].sort();
    const pairKeys = new Set<string>();
    const pairs: { u: string; i: string }[] = [];
    for (const e of fresh) {
      if (e.kind !== 'interaction') continue;
      const u = actorId(e);
      const key = `${u}\u0000${e.itemId}`;
      if (!pairKeys.has(key)) {
        pairKeys.add(key);
        pairs.push({ u, i: e.itemId });
      }
    }
    const items = new Map<string, ItemState>();
    for (const r of (
      await tx.run(
        'UNWIND $ids AS id OPTIONAL MATCH (i:Item {id: id}) RETURN id, i IS NOT NULL AS exists, i.title AS title, i.category AS category, i.price AS price, i.attributes AS attributes',
        { ids: itemIds },
      )
    ).records) {
      items.set(r.get('id'), {
        exists: r.get('exists'),
        title: r.get('title') ?? null,
        category: r.get('category') ?? null,
        price: r.get('price') ?? null,
        attributes: r.get('attributes') ?? '{}',
        upserted: false,
        priceChanged: false,
        delta: 0,
      });
    }
    const users = new Map<string, UserState>();
    for (const r of (await tx.run('UNWIND $ids AS id OPTIONAL MATCH (u:User {id: id}) RETURN id, u.excluded AS excluded, u.orders AS orders', { ids: actors }))
      .records) {
      users.set(r.get('id'), {
        anonymous: false,
        excluded: r.get('excluded') === true,
        first: Infinity,
        last: -Infinity,
        events: 0,
        orders: (r.get('orders') as number[] | null) ?? [],
        ordersChanged: false,
      });
    }
    const edges = new Map<string, EdgeState>();
    /** The element id of each edge that exists already: written back by id, not found again by MERGE. */
    const edgeIds = new Map<string, string>();
    if (pairs.length > 0) {
      for (const r of (
        await tx.run(
          'UNWIND $pairs AS p MATCH (:User {id: p.u})-[r:INTERACTED]->(:Item {id: p.i}) RETURN p.u AS u, p.i AS i, properties(r) AS props, elementId(r) AS rid',
          { pairs },
        )
      ).records) {
        const key = `${r.get('u')}\u0000${r.get('i')}`;
        edges.set(key, edgeFromProps(r.get('props') as Record<string, unknown>));
        edgeIds.set(key, r.get('rid') as string);
      }
    }

    // ---- apply in order, in memory (the rule both backends share: src/graph/edge-rule.ts)
    const touchedUsers = new Set<string>();
    const changedEdges = new Set<string>();
    for (const e of fresh) {
      const item = items.get(e.itemId)!;
      if (e.kind === 'item') {
        item.title = e.title;
        item.category = e.category ?? null;
        item.price = e.price ?? null;
        item.attributes = JSON.stringify(e.attributes ?? {});
        item.upserted = true;
        continue;
      }
      const actor = actorId(e);
      touchedUsers.add(actor);
      const user = users.get(actor)!;
      user.anonymous = e.userId === undefined;
      user.events++;
      if (e.timestamp < user.first) user.first = e.timestamp;
      if (e.timestamp > user.last) user.last = e.timestamp;
      const key = `${actor}\u0000${e.itemId}`;
      const prev = edges.get(key);
      const next = nextEdgeState(prev, e, this.weights, item.price);
      edges.set(key, next);
      changedEdges.add(key);
      if (e.type === 'PURCHASE') {
        user.orders = recordOrder(user.orders, e.timestamp);
        user.ordersChanged = true;
      }
      const price = itemPriceAfter(item.price, e);
      if (price !== item.price) {
        item.price = price;
        item.priceChanged = true;
      }
      if (isPositive(prev) !== isPositive(next) && !user.excluded) item.delta += isPositive(next) ? 1 : -1;
    }

    // ---- write back
    await this.eventIds.record(tx, fresh.map(idempotencyKey));
    const itemRows = itemIds.map((id) => {
      const s = items.get(id)!;
      return {
        id,
        upserted: s.upserted,
        priceChanged: s.priceChanged,
        title: s.title,
        category: s.category,
        price: s.price,
        attributes: s.attributes,
        delta: s.delta,
      };
    });
    // each node's element id, so the edges below find their ends without an index lookup per edge
    const itemNodes = new Map<string, string>();
    for (const r of (
      await tx.run(
        `UNWIND $rows AS row
         MERGE (i:Item {id: row.id})
           ON CREATE SET i.userCount = 0, i.attributes = '{}'
         FOREACH (_ IN CASE WHEN row.upserted THEN [1] ELSE [] END |
           SET i.title = row.title, i.category = row.category, i.price = row.price, i.attributes = row.attributes)
         FOREACH (_ IN CASE WHEN row.priceChanged AND NOT row.upserted THEN [1] ELSE [] END | SET i.price = row.price)
         SET i.userCount = i.userCount + row.delta
         RETURN row.id AS id, elementId(i) AS node`,
        { rows: itemRows },
      )
    ).records) {
      itemNodes.set(r.get('id') as string, r.get('node') as string);
    }
    const upserted = itemRows.filter((r) => r.upserted);
    if (upserted.length > 0) {
      await tx.run(
        `UNWIND $rows AS row
         MATCH (i:Item {id: row.id})
         OPTIONAL MATCH (i)-[old:IN_CATEGORY]->(c:Category)
         WITH i, row, old, c WHERE old IS NOT NULL AND c.name <> coalesce(row.category, '')
         DELETE old`,
        { rows: upserted },
      );
      await tx.run(
        `UNWIND $rows AS row
         WITH row WHERE row.category IS NOT NULL
         MATCH (i:Item {id: row.id})
         MERGE (c:Category {name: row.category})
         MERGE (i)-[:IN_CATEGORY]->(c)`,
        { rows: upserted },
      );
    }
    if (actors.length > 0) {
      const userRows = actors.map((id) => {
        const u = users.get(id)!;
        return { id, anonymous: u.anonymous, first: u.first, last: u.last, events: u.events, orders: u.ordersChanged ? u.orders : null };
      });
      const userNodes = new Map<string, string>();
      for (const r of (
        await tx.run(
          `UNWIND $rows AS row
           MERGE (u:User {id: row.id})
             ON CREATE SET u.anonymous = row.anonymous, u.firstSeenAt = row.first, u.lastSeenAt = row.last, u.eventCount = 0, u.excluded = false
           SET u.firstSeenAt = CASE WHEN u.firstSeenAt IS NULL OR row.first < u.firstSeenAt THEN row.first ELSE u.firstSeenAt END,
               u.lastSeenAt = CASE WHEN u.lastSeenAt IS NULL OR row.last > u.lastSeenAt THEN row.last ELSE u.lastSeenAt END,
               u.eventCount = coalesce(u.eventCount, 0) + row.events,
               u.orders = coalesce(row.orders, u.orders)
           RETURN row.id AS id, elementId(u) AS node`,
          { rows: userRows },
        )
      ).records) {
        userNodes.set(r.get('id') as string, r.get('node') as string);
      }
      // An edge read above is written back by its element id; the others are created. Why not MERGE: it looks
      // each pair up again, and that lookup was the batch's largest statement (BENCHMARKS.md, issue 16). Safe
      // because a user's events are applied by one writer at a time (Kafka keys events by user); two writers
      // on one batch during a rebalance collide on its Event nodes' uniqueness, and the retry reads again.
      const updated: { rid: string; props: Record<string, unknown> }[] = [];
      const created: { u: string; i: string; props: Record<string, unknown> }[] = []; // element ids of the ends
      for (const key of [...changedEdges].sort()) {
        const props = edgeToProps(edges.get(key)!);
        const rid = edgeIds.get(key);
        if (rid !== undefined) updated.push({ rid, props });
        else {
          const [u, i] = key.split('\u0000') as [string, string];
          created.push({ u: userNodes.get(u)!, i: itemNodes.get(i)!, props });
        }
      }
      if (updated.length > 0) {
        await tx.run('UNWIND $rows AS row MATCH ()-[r:INTERACTED]->() WHERE elementId(r) = row.rid SET r = row.props', { rows: updated });
      }
      if (created.length > 0) {
        await tx.run(
          `UNWIND $rows AS row
           MATCH (u:User) WHERE elementId(u) = row.u
           MATCH (i:Item) WHERE elementId(i) = row.i
           CREATE (u)-[r:INTERACTED]->(i)
           SET r = row.props`,
          { rows: created },
        );
      }
    }
    await tx.run("MATCH (m:Meta {id: 'graph'}) SET m.eventsApplied = m.eventsApplied + $n", { n: fresh.length });
    return { applied: fresh.length, duplicates: unique.length - notYet.length, touchedUsers: [...touchedUsers], touchedItems: itemIds };
  }
}
