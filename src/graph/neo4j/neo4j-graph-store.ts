import neo4j, { type Driver, type ManagedTransaction } from 'neo4j-driver';
import type { Logger } from 'pino';
import { actorId, INTERACTION_TYPES, type FlywheelEvent, type InteractionType } from '../../events/event';
import { idempotencyKey } from '../../events/idempotency';
import { decodeSeq, encodeSeq, SEVERITY_RANK } from '../anomaly-table';
import {
  DEFAULT_TYPE_WEIGHTS,
  decodeCursor,
  emptyCounts,
  encodeCursor,
  type AnomalyPage,
  type AnomalyQuery,
  type AnomalyRecord,
  type ApplySummary,
  type CategoryNode,
  type GraphStats,
  type GraphStore,
  type InteractionEdge,
  type ItemNeighbor,
  type ItemNode,
  type EraseOptions,
  type ErasureReport,
  redactIds,
  StoreUnavailableError,
  type ItemPage,
  type ItemQuery,
  type PopularQuery,
  type PurchaseActivityBatch,
  type ScoredItem,
  type SegmentMemberPage,
  type TypeCounts,
  type UserNode,
} from '../graph-store';
import { migrate } from './migrations';

/**
 * The graph store on Neo4j.
 *
 * Model
 *   (:User {id, anonymous, firstSeenAt, lastSeenAt, eventCount, excluded, orders})
 *   (:Item {id, title, category, price, attributes (JSON text), userCount})-[:IN_CATEGORY]->(:Category {name})
 *   (:User)-[:INTERACTED {VIEW, CLICK, ADD_TO_CART, REMOVE_FROM_CART, PURCHASE, weight, quantity, revenue,
 *                         firstSeenAt, lastSeenAt, lastType}]->(:Item)
 *   (:Item)-[:SIMILAR {score, support}]->(:Item)     top-K Jaccard neighbours, maintained on write
 *   (:Event {id, appliedAt})                          one per applied event (id = idempotencyKey: actor + event id)
 *   (:User)-[:IN_SEGMENT]->(:Segment {id}), (:SegmentModel {id, json}), (:Anomaly {id, seq, ...}),
 *   (:Meta {id: 'graph', eventsApplied, anomalySeq}), (:Migration {version})
 *
 * Idempotency: an `(:Event {id})` node under a uniqueness constraint, created in the same transaction as
 * the batch's graph changes. Chosen over an applied-id list on the user because (a) item upserts have no
 * user, (b) the constraint makes two writers racing on one id safe (one transaction fails on the
 * constraint and its retry sees the id as applied), and (c) old Event nodes can be pruned by `appliedAt`
 * once they are older than any redelivery window, without touching the graph proper.
 *
 * Writes: one `executeWrite` transaction per batch (the driver retries it on transient errors such as
 * deadlocks and leader switches). Inside it: read which ids are new, read the current state of the
 * touched users / items / edges (`UNWIND $ids`), apply the events in order in memory (the same rules as
 * the embedded graph: the weight is floored at 0 after every event, purchases add quantity and revenue),
 * write the results back with `UNWIND $rows ... MERGE`, and flag (`simDirty`) the items whose set of
 * positive users changed. Counters shared between partitions (item userCount, eventsApplied) are
 * updated as `SET n.x = n.x + $delta`, which Neo4j evaluates under the node's write lock (no lost updates).
 *
 * SIMILAR refresh, off the batch transaction: recomputing an item's list costs about as much as applying
 * a whole batch, and a burst of batches flags the same (popular) items again and again, so the flagged
 * items are queued and refreshed by a debounced background loop, each once per round, in transactions of
 * 50 items that take turns with the batch transactions (see `similarityBatch` & co.). The flag is written
 * in the batch's transaction and cleared in the refresh's, so a crash leaves it for the sweep at start.
 * Until its refresh, an item's SIMILAR list lags its newest events (by ~2 s under a burst);
 * `getItemNeighbors` runs a refresh pending on this instance for the items it reads before reading.
 * Erasure and exclusion still refresh in their own transaction (nothing may keep counting the actor).
 *
 * Similarity: Jaccard on positive users, |U(i) & U(j)| / |U(i) | U(j)|, computed for an item with fan-out
 * caps (at most `maxUsersPerItem` users of the item, `maxItemsPerUser` items per user; counts from a
 * sample are scaled back up), kept as the item's top-K outgoing SIMILAR edges. Only pairs that involve
 * the changed item change, so the item's list is recomputed and the reverse edges (j)->(i) are updated
 * in place (inserted when i enters j's top-K, trimmed back to K). Reads are one hop: no 3-hop scan.
 */
export interface Neo4jGraphStoreOptions {
  uri: string;
  user?: string;
  password?: string;
  /** Empty or undefined: the server's default database. */
  database?: string;
  maxPoolSize?: number;
  logger?: Logger;
  typeWeights?: TypeCounts;
  /** SIMILAR edges kept per item. */
  k?: number;
  maxUsersPerItem?: number;
  maxItemsPerUser?: number;
  /**
   * Fail-fast settings: a new connection gives up after `connectionTimeoutMs`, waiting for a
   * pooled one after `acquisitionTimeoutMs`; request reads run without the driver's 30 s retry loop (one
   * retry on a stale pooled connection) and give up after `readTimeoutMs`. Failures surface as
   * StoreUnavailableError (GraphQL code UNAVAILABLE) instead of hanging.
   */
  connectionTimeoutMs?: number;
  acquisitionTimeoutMs?: number;
  readTimeoutMs?: number;
  /**
   * SIMILAR edges are refreshed off the batch's write transaction: a batch flags the items whose set of
   * positive users changed (`simDirty`, in the same transaction) and a background loop recomputes them,
   * coalescing the batches applied meanwhile, at most `similarityBatch` (50) items per transaction; it
   * starts when no batch came for `similarityDebounceMs` (200), at the latest `similarityMaxDelayMs`
   * (2000) after the oldest flag. Flags left by a crash are swept every `similaritySweepMs` (30000; 0:
   * only at start). `getItemNeighbors` runs a pending refresh of the items it reads first.
   */
  similarityBatch?: number;
  similarityDebounceMs?: number;
  similarityMaxDelayMs?: number;
  similaritySweepMs?: number;
}

/** An edge as read back for a batch apply: the stored fields without the endpoints. */
type EdgeState = Omit<InteractionEdge, 'userId' | 'itemId'>;

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

export class Neo4jGraphStore implements GraphStore {
  readonly backend = 'neo4j' as const;
  readonly driver: Driver;
  private readonly database: string | undefined;
  private readonly weights: TypeCounts;
  private readonly k: number;
  private readonly maxUsersPerItem: number;
  private readonly maxItemsPerUser: number;
  schemaVersion = 0;

  private constructor(private readonly options: Neo4jGraphStoreOptions) {
    const auth = options.password ? neo4j.auth.basic(options.user ?? 'neo4j', options.password) : undefined;
    this.driver = neo4j.driver(options.uri, auth, {
      disableLosslessIntegers: true,
      maxConnectionPoolSize: options.maxPoolSize ?? 50,
      maxTransactionRetryTime: 30_000,
      connectionTimeout: options.connectionTimeoutMs ?? 2000,
      connectionAcquisitionTimeout: options.acquisitionTimeoutMs ?? 5000,
      logging: {
        level: 'warn',
        logger: (level, message) => (level === 'error' ? options.logger?.error(message) : options.logger?.warn(message)),
      },
    });
    this.database = options.database || undefined;
    this.weights = options.typeWeights ?? DEFAULT_TYPE_WEIGHTS;
    this.k = options.k ?? 50;
    this.maxUsersPerItem = options.maxUsersPerItem ?? 400;
    this.maxItemsPerUser = options.maxItemsPerUser ?? 200;
  }

  /** Connects, checks the server, runs the schema migrations. */
  static async open(options: Neo4jGraphStoreOptions): Promise<Neo4jGraphStore> {
    const store = new Neo4jGraphStore(options);
    try {
      await store.driver.verifyConnectivity(store.database ? { database: store.database } : {});
      store.schemaVersion = await migrate(store.driver, store.database, options.logger);
      await store.write((tx) => tx.run("MERGE (m:Meta {id: 'graph'}) ON CREATE SET m.eventsApplied = 0, m.anomalySeq = 0"));
      // SIMILAR refreshes left undone by a stopped or crashed gateway; then the same check now and then.
      await store.sweepSimilarity();
      const sweepMs = options.similaritySweepMs ?? 30_000;
      if (sweepMs > 0) {
        store.simSweepTimer = setInterval(() => void store.sweepSimilarity().catch(() => undefined), sweepMs);
        store.simSweepTimer.unref();
      }
    } catch (err) {
      await store.driver.close().catch(() => undefined);
      throw err;
    }
    return store;
  }

  /** `CALL dbms.components()`: the server name, version and edition (tests print it). */
  async serverVersion(): Promise<string> {
    const res = await this.driver.executeQuery('CALL dbms.components() YIELD name, versions, edition RETURN name, versions, edition', {}, this.db());
    return res.records.map((r) => `${r.get('name')} ${(r.get('versions') as string[]).join(',')} ${r.get('edition')}`).join('; ');
  }

  private db(): { database?: string } {
    return this.database ? { database: this.database } : {};
  }

  /**
   * Reads serve requests, so they fail fast: an explicit transaction (no driver retry loop, which keeps
   * trying for maxTransactionRetryTime while the server is down), one retry when a pooled connection
   * turned out dead (a restarted server), and a client-side deadline.
   */
  private async read<T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    const timeoutMs = this.options.readTimeoutMs ?? 15_000;
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const session = this.driver.session({ ...this.db(), defaultAccessMode: neo4j.session.READ });
      let timer: NodeJS.Timeout | undefined;
      try {
        const attemptRun = (async () => {
          const tx = session.beginTransaction();
          try {
            const out = await work(tx as unknown as ManagedTransaction);
            await tx.commit();
            return out;
          } catch (err) {
            await tx.rollback().catch(() => undefined);
            throw err;
          }
        })();
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new StoreUnavailableError(`graph database (Neo4j) did not answer within ${timeoutMs} ms; retry later`)), Math.max(1, deadline - Date.now()));
        });
        attemptRun.catch(() => undefined);
        return await Promise.race([attemptRun, timeout]);
      } catch (err) {
        if (attempt === 0 && isConnectivityError(err) && Date.now() + 100 < deadline) continue;
        throw toUnavailable(err);
      } finally {
        clearTimeout(timer);
        void session.close().catch(() => undefined);
      }
    }
  }

  private async write<T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    const session = this.driver.session({ ...this.db(), defaultAccessMode: neo4j.session.WRITE });
    try {
      return await session.executeWrite(work);
    } catch (err) {
      throw toUnavailable(err);
    } finally {
      await session.close();
    }
  }

  durablePosition(): number | undefined {
    return undefined;
  }

  async checkpoint(): Promise<void> {
    // Every batch is committed by Neo4j; nothing to persist.
  }

  async close(): Promise<void> {
    if (this.simSweepTimer) clearInterval(this.simSweepTimer);
    // Finish the pending SIMILAR refreshes (what is left stays flagged simDirty for the next start).
    await this.flushSimilarity(undefined, 10_000).catch(() => undefined);
    this.closing = true;
    if (this.simTimer) clearTimeout(this.simTimer);
    await this.simLoop;
    await this.driver.close();
  }

  // ---- writes ---------------------------------------------------------------------------------

  async applyEvents(events: readonly FlywheelEvent[]): Promise<ApplySummary> {
    const unique: FlywheelEvent[] = [];
    const seen = new Set<string>();
    for (const e of events) {
      const key = idempotencyKey(e);
      if (seen.has(key)) continue;
      seen.add(key);
      unique.push(e);
    }
    const inBatchDuplicates = events.length - unique.length;
    if (unique.length === 0) return { applied: 0, duplicates: inBatchDuplicates, touchedUsers: [], touchedItems: [] };
    // The driver may run the function more than once (transient errors): it must start from scratch.
    this.applying++;
    if (this.simTimer) this.scheduleSimilarity(true);
    let result: { summary: ApplySummary; flipped: string[] };
    try {
      result = await this.serialized(() => this.write((tx) => this.applyInTx(tx, unique)));
    } finally {
      this.applying--;
    }
    const { summary, flipped } = result;
    if (flipped.length > 0) this.markSimilarityDirty(flipped);
    else if (this.simTimer) this.scheduleSimilarity(true);
    return { ...summary, duplicates: summary.duplicates + inBatchDuplicates };
  }

  private async applyInTx(tx: ManagedTransaction, unique: readonly FlywheelEvent[]): Promise<{ summary: ApplySummary; flipped: string[] }> {
    // Event nodes hold idempotency keys (actor + event id), not bare ids: one actor cannot pre-empt another's.
    const ids = unique.map(idempotencyKey);
    const known = new Set(
      (await tx.run('UNWIND $ids AS id MATCH (e:Event {id: id}) RETURN e.id AS id', { ids })).records.map((r) => r.get('id') as string),
    );
    const notYet = unique.filter((e) => !known.has(idempotencyKey(e)));
    if (notYet.length === 0) return { summary: { applied: 0, duplicates: unique.length, touchedUsers: [], touchedItems: [] }, flipped: [] };
    // The erasure list: an erased actor's events up to the erasure time are skipped (a log replay).
    const batchActors = [...new Set(notYet.flatMap((e) => (e.kind === 'interaction' ? [actorId(e)] : [])))];
    const erasedAt = new Map<string, number>();
    if (batchActors.length > 0) {
      for (const r of (await tx.run('MATCH (x:Erased) WHERE x.id IN $ids RETURN x.id AS id, x.at AS at', { ids: batchActors })).records) {
        erasedAt.set(r.get('id') as string, Number(r.get('at')));
      }
    }
    const fresh = erasedAt.size === 0 ? notYet : notYet.filter((e) => e.kind !== 'interaction' || !(e.timestamp <= (erasedAt.get(actorId(e)) ?? -Infinity)));
    if (fresh.length === 0) return { summary: { applied: 0, duplicates: unique.length - notYet.length, touchedUsers: [], touchedItems: [] }, flipped: [] };

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
    for (const r of (
      await tx.run(
        'UNWIND $ids AS id OPTIONAL MATCH (u:User {id: id}) RETURN id, u.excluded AS excluded, u.orders AS orders',
        { ids: actors },
      )
    ).records) {
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
    if (pairs.length > 0) {
      for (const r of (
        await tx.run(
          'UNWIND $pairs AS p MATCH (:User {id: p.u})-[r:INTERACTED]->(:Item {id: p.i}) RETURN p.u AS u, p.i AS i, properties(r) AS props',
          { pairs },
        )
      ).records) {
        const p = r.get('props') as Record<string, unknown>;
        edges.set(`${r.get('u')}\u0000${r.get('i')}`, edgeFromProps(p));
      }
    }

    // ---- apply in order, in memory (the embedded graph's rules)
    const touchedUsers = new Set<string>();
    const changedEdges = new Set<string>();
    const flipped = new Set<string>();
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
      let edge = edges.get(key);
      if (!edge) {
        edge = { counts: emptyCounts(), weight: 0, quantity: 0, revenue: 0, firstSeenAt: e.timestamp, lastSeenAt: e.timestamp, lastType: e.type };
        edges.set(key, edge);
      }
      changedEdges.add(key);
      const wasPositive = edge.weight > 0;
      edge.counts[e.type]++;
      edge.weight = Math.max(0, edge.weight + this.weights[e.type]);
      if (e.type === 'PURCHASE') {
        insertSorted(user.orders, e.timestamp);
        user.ordersChanged = true;
        const q = e.quantity ?? 1;
        edge.quantity += q;
        edge.revenue += q * (e.price ?? item.price ?? 0);
        if (item.price === null && e.price !== undefined) {
          item.price = e.price;
          item.priceChanged = true;
        }
      }
      if (e.timestamp >= edge.lastSeenAt) {
        edge.lastSeenAt = e.timestamp;
        edge.lastType = e.type;
      }
      if (e.timestamp < edge.firstSeenAt) edge.firstSeenAt = e.timestamp;
      const isPositive = edge.weight > 0;
      if (isPositive !== wasPositive) {
        if (!user.excluded) item.delta += isPositive ? 1 : -1;
        flipped.add(e.itemId);
      }
    }

    // ---- write back
    await tx.run('UNWIND $ids AS id CREATE (:Event {id: id, appliedAt: $now})', { ids: fresh.map(idempotencyKey), now: Date.now() });
    const itemRows = itemIds.map((id) => {
      const s = items.get(id)!;
      return { id, upserted: s.upserted, priceChanged: s.priceChanged, title: s.title, category: s.category, price: s.price, attributes: s.attributes, delta: s.delta, sim: flipped.has(id) };
    });
    await tx.run(
      `UNWIND $rows AS row
       MERGE (i:Item {id: row.id})
         ON CREATE SET i.userCount = 0, i.attributes = '{}'
       FOREACH (_ IN CASE WHEN row.upserted THEN [1] ELSE [] END |
         SET i.title = row.title, i.category = row.category, i.price = row.price, i.attributes = row.attributes)
       FOREACH (_ IN CASE WHEN row.priceChanged AND NOT row.upserted THEN [1] ELSE [] END | SET i.price = row.price)
       FOREACH (_ IN CASE WHEN row.sim THEN [1] ELSE [] END | SET i.simDirty = true)
       SET i.userCount = i.userCount + row.delta`,
      { rows: itemRows },
    );
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
      await tx.run(
        `UNWIND $rows AS row
         MERGE (u:User {id: row.id})
           ON CREATE SET u.anonymous = row.anonymous, u.firstSeenAt = row.first, u.lastSeenAt = row.last, u.eventCount = 0, u.excluded = false
         SET u.firstSeenAt = CASE WHEN u.firstSeenAt IS NULL OR row.first < u.firstSeenAt THEN row.first ELSE u.firstSeenAt END,
             u.lastSeenAt = CASE WHEN u.lastSeenAt IS NULL OR row.last > u.lastSeenAt THEN row.last ELSE u.lastSeenAt END,
             u.eventCount = coalesce(u.eventCount, 0) + row.events,
             u.orders = coalesce(row.orders, u.orders)`,
        { rows: userRows },
      );
      const edgeRows = [...changedEdges].sort().map((key) => {
        const [u, i] = key.split('\u0000') as [string, string];
        return { u, i, props: edgeToProps(edges.get(key)!) };
      });
      await tx.run(
        `UNWIND $rows AS row
         MATCH (u:User {id: row.u}), (i:Item {id: row.i})
         MERGE (u)-[r:INTERACTED]->(i)
         SET r = row.props`,
        { rows: edgeRows },
      );
    }
    await tx.run("MATCH (m:Meta {id: 'graph'}) SET m.eventsApplied = m.eventsApplied + $n", { n: fresh.length });
    return {
      summary: { applied: fresh.length, duplicates: unique.length - notYet.length, touchedUsers: [...touchedUsers], touchedItems: itemIds },
      flipped: [...flipped].sort(),
    };
  }

  // ---- SIMILAR maintenance, off the batch's write transaction ------------------------------------

  /** Items whose SIMILAR lists this instance still has to recompute (also flagged `simDirty` in Neo4j). */
  private readonly simDirty = new Set<string>();
  /** Items in the refresh transaction now running. */
  private simInFlight = new Set<string>();
  private simLoop: Promise<void> | null = null;
  private simTimer: NodeJS.Timeout | null = null;
  private simSweepTimer: NodeJS.Timeout | null = null;
  private closing = false;

  /** Batches being applied by this instance (the refresh waits for a pause in them). */
  private applying = 0;
  private gate: Promise<unknown> = Promise.resolve();

  /**
   * Batch transactions and SIMILAR refresh transactions of this instance run one at a time, in turn
   * (FIFO): they lock the same item nodes, and overlapping would make one wait on the other's locks or
   * deadlock (and be retried). Between instances the driver's retry on deadlocks still applies.
   */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.gate.then(work, work);
    this.gate = run.catch(() => undefined);
    return run;
  }

  /** When the oldest pending flag was raised (for the maximum delay). */
  private simPendingSince = 0;

  private markSimilarityDirty(ids: Iterable<string>): void {
    if (this.simDirty.size === 0) this.simPendingSince = Date.now();
    for (const id of ids) this.simDirty.add(id);
    this.scheduleSimilarity(true);
  }

  /**
   * Debounced: the refresh starts once no batch was applied for `similarityDebounceMs`, or at the latest
   * `similarityMaxDelayMs` after the oldest pending flag. A burst of batches (a backlog, an import) is
   * thus refreshed once per item, not once per batch, and the refresh's locks do not stall the batches.
   */
  private scheduleSimilarity(restart = false): void {
    if (this.closing || this.simLoop || this.simDirty.size === 0) return;
    if (this.simTimer && !restart) return;
    if (this.simTimer) clearTimeout(this.simTimer);
    const debounce = this.options.similarityDebounceMs ?? 200;
    const maxDelay = this.options.similarityMaxDelayMs ?? 2000;
    const untilMax = this.simPendingSince + maxDelay - Date.now();
    // While a batch is being applied, only the maximum delay counts; the debounce restarts after it.
    const wait = Math.max(0, this.applying > 0 ? untilMax : Math.min(debounce, untilMax));
    this.simTimer = setTimeout(() => {
      this.simTimer = null;
      void this.runSimilarity();
    }, wait);
    this.simTimer.unref();
  }

  private runSimilarity(): Promise<void> {
    if (!this.simLoop) {
      if (this.simTimer) clearTimeout(this.simTimer);
      this.simTimer = null;
      this.simLoop = this.similarityLoop().finally(() => {
        this.simLoop = null;
        this.scheduleSimilarity();
      });
    }
    return this.simLoop;
  }

  /** Refreshes the items pending when it starts, `similarityBatch` items per transaction. */
  private async similarityLoop(): Promise<void> {
    let backoff = 100;
    const round = new Set(this.simDirty);
    if (this.simDirty.size > 0) this.simPendingSince = Date.now();
    while (round.size > 0) {
      const ids = [...round].sort().slice(0, this.options.similarityBatch ?? 50);
      for (const id of ids) {
        this.simDirty.delete(id);
        round.delete(id);
      }
      this.simInFlight = new Set(ids);
      try {
        await this.serialized(() => this.write(async (tx) => {
          // Take the items' write locks first (in id order, as batches do): a batch that changes one of
          // them either committed before (and is read here) or waits and flags it again after this commit
          // (and it is refreshed next). Small transactions keep batches from waiting long on these locks.
          await tx.run('UNWIND $ids AS id MATCH (i:Item {id: id}) REMOVE i.simDirty', { ids });
          await this.refreshSimilarity(tx, ids);
        }));
        backoff = 100;
      } catch (err) {
        for (const id of ids) {
          this.simDirty.add(id);
          round.add(id);
        }
        this.options.logger?.error({ err, items: ids.length }, 'SIMILAR refresh failed; will retry');
        if (this.closing) return;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      } finally {
        this.simInFlight = new Set();
      }
    }
  }

  /** Picks up items flagged `simDirty` that no running refresh of this instance covers (a crash). */
  private async sweepSimilarity(): Promise<void> {
    const res = await this.driver.executeQuery('MATCH (i:Item) WHERE i.simDirty = true RETURN i.id AS id', {}, this.db());
    const ids = res.records.map((r) => r.get('id') as string);
    if (ids.length > 0) this.markSimilarityDirty(ids);
  }

  /**
   * Resolves once the SIMILAR lists of these items (all pending items when omitted) reflect every batch
   * this instance applied before the call (bounded by `timeoutMs`).
   */
  async flushSimilarity(itemIds?: readonly string[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const pending = () => (itemIds ? itemIds.some((id) => this.simDirty.has(id) || this.simInFlight.has(id)) : this.simDirty.size > 0 || this.simInFlight.size > 0);
    while (pending() && Date.now() < deadline) {
      if (this.simLoop) await this.simLoop;
      else await this.runSimilarity();
    }
  }

  /**
   * Recomputes the top-K SIMILAR edges of these items (their set of positive users changed) and brings
   * the reverse edges (j)->(i) up to date, in the given write transaction (the background refresh, an
   * erasure, an exclusion). Only the reverse edges that exist are touched, not every co-occurring pair.
   */
  private async refreshSimilarity(tx: ManagedTransaction, itemIds: string[]): Promise<void> {
    const res = await tx.run(
      `UNWIND $ids AS id
       MATCH (i:Item {id: id})
       CALL (i) {
         MATCH (u:User)-[r:INTERACTED]->(i)
         WHERE r.weight > 0 AND NOT coalesce(u.excluded, false)
         WITH u LIMIT $maxUsers
         RETURN collect(u) AS sample
       }
       CALL (i, sample) {
         UNWIND sample AS u
         CALL (u, i) {
           MATCH (u)-[r2:INTERACTED]->(j:Item)
           WHERE r2.weight > 0 AND j <> i
           RETURN j LIMIT $maxItems
         }
         WITH j, count(*) AS cnt
         RETURN collect({id: j.id, cnt: cnt, nj: j.userCount}) AS cands
       }
       RETURN i.id AS id, i.userCount AS ni, size(sample) AS sampled, cands,
              [(j:Item)-[:SIMILAR]->(i) | j.id] AS incoming`,
      { ids: itemIds, maxUsers: neo4j.int(this.maxUsersPerItem), maxItems: neo4j.int(this.maxItemsPerUser) },
    );
    type Pair = { i: string; j: string; score: number; support: number };
    const tops: Pair[] = [];
    const scored = new Map<string, Map<string, Pair>>();
    const incoming = new Map<string, string[]>();
    for (const r of res.records) {
      const i = r.get('id') as string;
      const ni = Number(r.get('ni') ?? 0);
      const sampled = Number(r.get('sampled'));
      const scale = sampled > 0 ? ni / sampled : 1;
      const list = (r.get('cands') as { id: string; cnt: number; nj: number }[]).map((c) => {
        const support = c.cnt * scale;
        const union = ni + Number(c.nj ?? 0) - support;
        return { i, j: c.id, score: union > 0 ? support / union : 0, support };
      });
      list.sort((a, b) => b.score - a.score || b.support - a.support || (a.j < b.j ? -1 : a.j > b.j ? 1 : 0));
      const byJ = new Map<string, Pair>();
      for (const c of list) byJ.set(c.j, { ...c, support: Math.round(c.support) });
      scored.set(i, byJ);
      for (const c of list.slice(0, this.k)) tops.push(byJ.get(c.j)!);
      incoming.set(i, r.get('incoming') as string[]);
    }
    // i's own list: replaced.
    await tx.run('UNWIND $ids AS id MATCH (:Item {id: id})-[s:SIMILAR]->() DELETE s', { ids: itemIds });
    await tx.run(
      `UNWIND $rows AS row
       MATCH (i:Item {id: row.i}), (j:Item {id: row.j})
       CREATE (i)-[:SIMILAR {score: row.score, support: row.support}]->(j)`,
      { rows: tops },
    );
    // Reverse edges: only pairs involving i changed. The edges (j)->(i) that exist now are the ones read
    // above (j not refreshed here) plus those just created from a refreshed j's top-K: each gets i's new
    // score, or goes when j shares no users with i any more.
    const nowIn = new Map<string, Set<string>>();
    for (const i of itemIds) nowIn.set(i, new Set());
    const refreshed = new Set(itemIds);
    for (const [i, js] of incoming) for (const j of js) if (!refreshed.has(j)) nowIn.get(i)!.add(j);
    for (const t of tops) nowIn.get(t.j)?.add(t.i);
    const reverseRows: { i: string; j: string; score: number | null; support: number | null }[] = [];
    for (const [i, js] of nowIn) {
      const byJ = scored.get(i);
      for (const j of js) {
        const p = byJ?.get(j);
        reverseRows.push({ i, j, score: p ? p.score : null, support: p ? p.support : null });
      }
    }
    if (reverseRows.length > 0) {
      await tx.run(
        `UNWIND $rows AS row
         MATCH (j:Item {id: row.j})-[s:SIMILAR]->(:Item {id: row.i})
         FOREACH (_ IN CASE WHEN row.score IS NULL THEN [1] ELSE [] END | DELETE s)
         FOREACH (_ IN CASE WHEN row.score IS NULL THEN [] ELSE [1] END | SET s.score = row.score, s.support = row.support)`,
        { rows: reverseRows },
      );
    }
    // i enters j's list when j is in i's top-K; then j's list is trimmed back to K.
    const entering = tops.filter((t) => !nowIn.get(t.i)!.has(t.j));
    if (entering.length > 0) {
      await tx.run(
        `UNWIND $rows AS row
         MATCH (i:Item {id: row.i}), (j:Item {id: row.j})
         MERGE (j)-[s:SIMILAR]->(i)
         ON CREATE SET s.score = row.score, s.support = row.support`,
        { rows: entering },
      );
      await tx.run(
        `UNWIND $ids AS id
         MATCH (j:Item {id: id})-[s:SIMILAR]->(x:Item)
         WITH j, s, x ORDER BY s.score DESC, s.support DESC, x.id ASC
         WITH j, collect(s) AS edges
         UNWIND edges[$k..] AS extra
         DELETE extra`,
        { ids: [...new Set(entering.map((t) => t.j))], k: neo4j.int(this.k) },
      );
    }
  }

  // ---- reads ----------------------------------------------------------------------------------

  async getItems(ids: readonly string[]): Promise<(ItemNode | null)[]> {
    if (ids.length === 0) return [];
    const res = await this.read((tx) =>
      tx.run(`UNWIND $ids AS id OPTIONAL MATCH (i:Item {id: id}) RETURN id, i { .* } AS item`, { ids: [...ids] }),
    );
    const byId = new Map<string, ItemNode | null>();
    for (const r of res.records) byId.set(r.get('id'), r.get('item') ? itemFromProps(r.get('item')) : null);
    return ids.map((id) => byId.get(id) ?? null);
  }

  async getCategories(names: readonly string[]): Promise<(CategoryNode | null)[]> {
    if (names.length === 0) return [];
    const res = await this.read((tx) =>
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
    const res = await this.read((tx) =>
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

  async getInteractions(userIds: readonly string[], first: number): Promise<InteractionEdge[][]> {
    if (userIds.length === 0) return [];
    const res = await this.read((tx) =>
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

  async *scanInteractions(batchSize: number): AsyncIterable<InteractionEdge[]> {
    let after = '';
    const usersPerPage = Math.max(1, Math.floor(batchSize / 10));
    for (;;) {
      const res = await this.read((tx) =>
        tx.run(
          `MATCH (u:User) WHERE u.id > $after
           WITH u ORDER BY u.id LIMIT $n
           OPTIONAL MATCH (u)-[r:INTERACTED]->(i:Item) WHERE r.weight > 0
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
    const [page, total] = await this.read(async (tx) => [
      await tx.run(
        `MATCH (i:Item) WHERE ${where} AND ($after IS NULL OR i.id > $after)
         RETURN i { .* } AS item ORDER BY i.id LIMIT $first + 1`,
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

  async getItemNeighbors(itemIds: readonly string[], k: number): Promise<ItemNeighbor[][]> {
    if (itemIds.length === 0) return [];
    // Read-your-writes within this instance: a refresh pending for one of these items runs first.
    await this.flushSimilarity(itemIds, this.options.readTimeoutMs ?? 15_000);
    const res = await this.read((tx) =>
      tx.run(
        `UNWIND $ids AS id
         CALL (id) {
           MATCH (:Item {id: id})-[s:SIMILAR]->(j:Item)
           RETURN j.id AS itemId, s.score AS score, s.support AS support
           ORDER BY score DESC, support DESC, itemId ASC LIMIT $k
         }
         RETURN id, collect({itemId: itemId, score: score, support: support}) AS ns`,
        { ids: [...itemIds], k: neo4j.int(Math.max(0, Math.floor(k))) },
      ),
    );
    const byId = new Map<string, ItemNeighbor[]>();
    for (const r of res.records) {
      const list = (r.get('ns') as ItemNeighbor[]).map((n) => ({ itemId: n.itemId, score: Number(n.score), support: Number(n.support) }));
      list.sort((a, b) => b.score - a.score || b.support - a.support || (a.itemId < b.itemId ? -1 : 1));
      byId.set(r.get('id'), list);
    }
    return itemIds.map((id) => byId.get(id) ?? []);
  }

  async popularItems(query: PopularQuery): Promise<ScoredItem[]> {
    const res = await this.read((tx) =>
      tx.run(
        `MATCH (i:Item) WHERE i.userCount > 0
           AND ($cats IS NULL OR i.category IN $cats) AND NOT i.id IN $exclude
         RETURN i.id AS itemId, i.userCount AS score ORDER BY score DESC, itemId ASC LIMIT $first`,
        {
          cats: query.categories && query.categories.length > 0 ? [...query.categories] : null,
          exclude: [...(query.excludeItemIds ?? [])],
          first: neo4j.int(Math.max(0, Math.floor(query.first))),
        },
      ),
    );
    return res.records.map((r) => ({ itemId: r.get('itemId'), score: Number(r.get('score')) }));
  }

  async stats(): Promise<GraphStats> {
    const res = await this.read((tx) =>
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

  // ---- anomaly flags ------------------------------------------------------------------------

  async putAnomalies(records: readonly AnomalyRecord[]): Promise<AnomalyRecord[]> {
    const unique = [...new Map(records.map((r) => [r.id, r])).values()];
    if (unique.length === 0) return [];
    return this.write(async (tx) => {
      const res = await tx.run(
        `MATCH (m:Meta {id: 'graph'})
         SET m.anomalySeq = coalesce(m.anomalySeq, 0) + size($rows)
         WITH m.anomalySeq - size($rows) AS base
         UNWIND range(0, size($rows) - 1) AS n
         WITH base, n, $rows[n] AS row
         MERGE (a:Anomaly {id: row.id})
           ON CREATE SET a += row, a.seq = base + n + 1, a.severityRank = $ranks[row.severity], a.created = $token
         RETURN a.id AS id, a.created = $token AS created`,
        { rows: unique.map(anomalyToProps), ranks: SEVERITY_RANK, token: `${Date.now()}-${Math.random()}` },
      );
      const created = new Set(res.records.filter((r) => r.get('created')).map((r) => r.get('id') as string));
      return unique.filter((r) => created.has(r.id)).map((r) => ({ ...r }));
    });
  }

  async getAnomalies(ids: readonly string[]): Promise<(AnomalyRecord | null)[]> {
    if (ids.length === 0) return [];
    const res = await this.read((tx) => tx.run('UNWIND $ids AS id OPTIONAL MATCH (a:Anomaly {id: id}) RETURN id, a { .* } AS a', { ids: [...ids] }));
    const byId = new Map<string, AnomalyRecord>();
    for (const r of res.records) if (r.get('a')) byId.set(r.get('id'), anomalyFromProps(r.get('a')));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async listAnomalies(q: AnomalyQuery): Promise<AnomalyPage> {
    const params = {
      kinds: q.kinds && q.kinds.length > 0 ? [...q.kinds] : null,
      minRank: q.minSeverity ? SEVERITY_RANK[q.minSeverity] : 0,
      ack: q.acknowledged ?? null,
      entities: q.entityIds && q.entityIds.length > 0 ? [...q.entityIds] : null,
      after: q.after !== undefined ? decodeSeq(q.after) : null,
      first: neo4j.int(Math.max(0, Math.floor(q.first))),
    };
    const where = `($kinds IS NULL OR a.kind IN $kinds) AND a.severityRank >= $minRank
      AND ($ack IS NULL OR a.acknowledged = $ack)
      AND ($entities IS NULL OR a.entityId IN $entities OR a.userId IN $entities OR a.itemId IN $entities)`;
    const [page, total] = await this.read(async (tx) => [
      await tx.run(`MATCH (a:Anomaly) WHERE ${where} AND ($after IS NULL OR a.seq < $after) RETURN a { .* } AS a ORDER BY a.seq DESC LIMIT $first + 1`, params),
      await tx.run(`MATCH (a:Anomaly) WHERE ${where} RETURN count(a) AS n`, params),
    ]);
    const rows = page.records.map((r) => r.get('a') as Record<string, unknown>);
    const hasNextPage = rows.length > q.first;
    if (hasNextPage) rows.length = q.first;
    const cursors = rows.map((a) => encodeSeq(Number(a.seq)));
    return {
      anomalies: rows.map(anomalyFromProps),
      cursors,
      totalCount: Number(total.records[0]!.get('n')),
      hasNextPage,
      endCursor: cursors.length > 0 ? cursors[cursors.length - 1]! : null,
    };
  }

  async acknowledgeAnomaly(id: string, acknowledged = true): Promise<AnomalyRecord | null> {
    const res = await this.write((tx) => tx.run('MATCH (a:Anomaly {id: $id}) SET a.acknowledged = $ack RETURN a { .* } AS a', { id, ack: acknowledged }));
    const a = res.records[0]?.get('a');
    return a ? anomalyFromProps(a) : null;
  }

  async setActorExcluded(actor: string, excluded: boolean): Promise<boolean> {
    return this.serialized(() => this.write(async (tx) => {
      const res = await tx.run(
        `MERGE (u:User {id: $id})
           ON CREATE SET u.anonymous = $anonymous, u.eventCount = 0, u.excluded = false
         WITH u, coalesce(u.excluded, false) AS was
         SET u.excluded = $excluded
         RETURN was`,
        { id: actor, anonymous: actor.startsWith('session:'), excluded },
      );
      if (res.records[0]!.get('was') === excluded) return false;
      const items = await tx.run(
        `MATCH (:User {id: $id})-[r:INTERACTED]->(i:Item) WHERE r.weight > 0
         SET i.userCount = i.userCount + $delta
         RETURN i.id AS id`,
        { id: actor, delta: excluded ? -1 : 1 },
      );
      const ids = items.records.map((r) => r.get('id') as string).sort();
      if (ids.length > 0) await this.refreshSimilarity(tx, ids);
      return true;
    }));
  }

  // ---- privacy ------------------------------------------------------------------------

  /**
   * One write transaction: records `(:Erased {id, at})` for each actor, takes the actor's positive edges
   * out of the items' userCount (unless the actor was already excluded), DETACH DELETEs the user (its
   * INTERACTED and IN_SEGMENT relationships go with it), deletes the findings linked to it, redacts its id
   * in other findings' message / evidence, and recomputes the SIMILAR lists of the items it touched (and
   * the reverse edges into them), so no score still counts it.
   */
  async eraseUser(userId: string, options: EraseOptions = {}): Promise<ErasureReport> {
    const at = options.at ?? Date.now();
    const actors = [userId, ...(options.sessions ?? []).map((s) => `session:${s}`)];
    return this.serialized(() => this.write(async (tx) => {
      await tx.run('UNWIND $ids AS id MERGE (x:Erased {id: id}) SET x.at = CASE WHEN x.at IS NULL OR x.at < $at THEN $at ELSE x.at END', { ids: actors, at });
      const found = await tx.run(
        `UNWIND $ids AS id
         MATCH (u:User {id: id})
         OPTIONAL MATCH (u)-[seg:IN_SEGMENT]->(:Segment)
         WITH u, count(seg) AS segs
         OPTIONAL MATCH (u)-[r:INTERACTED]->(i:Item)
         RETURN u.id AS id, coalesce(u.eventCount, 0) AS events, segs, collect({item: i.id, positive: r.weight > 0 AND NOT coalesce(u.excluded, false)}) AS edges`,
        { ids: actors },
      );
      let interactionsRemoved = 0;
      let segmentMemberships = 0;
      let events = 0;
      const affected = new Set<string>();
      const decrements = new Map<string, number>();
      for (const r of found.records) {
        events += Number(r.get('events'));
        segmentMemberships += Number(r.get('segs'));
        for (const e of r.get('edges') as { item: string | null; positive: boolean | null }[]) {
          if (e.item === null) continue;
          interactionsRemoved++;
          affected.add(e.item);
          if (e.positive) decrements.set(e.item, (decrements.get(e.item) ?? 0) + 1);
        }
      }
      if (decrements.size > 0) {
        await tx.run('UNWIND $rows AS row MATCH (i:Item {id: row.id}) SET i.userCount = i.userCount - row.n', {
          rows: [...decrements].map(([id, n]) => ({ id, n: neo4j.int(n) })),
        });
      }
      await tx.run('UNWIND $ids AS id MATCH (u:User {id: id}) DETACH DELETE u', { ids: actors });
      const removed = await tx.run('MATCH (a:Anomaly) WHERE a.userId IN $ids OR a.entityId IN $ids DETACH DELETE a RETURN count(*) AS n', { ids: actors });
      const mentions = await tx.run(
        'MATCH (a:Anomaly) WHERE any(id IN $ids WHERE a.message CONTAINS id OR coalesce(a.evidence, "") CONTAINS id) RETURN a.id AS id, a.message AS message, a.evidence AS evidence',
        { ids: actors },
      );
      const redactions = mentions.records
        .map((r) => {
          const message = r.get('message') as string;
          const evidence = r.get('evidence') as string | null;
          return { id: r.get('id') as string, message: redactIds(message, actors), evidence: evidence === null ? null : redactIds(evidence, actors), changed: false, old: [message, evidence] };
        })
        .filter((x) => x.message !== x.old[0] || x.evidence !== x.old[1])
        .map(({ id, message, evidence }) => ({ id, message, evidence }));
      if (redactions.length > 0) await tx.run('UNWIND $rows AS row MATCH (a:Anomaly {id: row.id}) SET a.message = row.message, a.evidence = row.evidence', { rows: redactions });
      if (events > 0) await tx.run("MATCH (m:Meta {id: 'graph'}) SET m.eventsApplied = CASE WHEN m.eventsApplied > $n THEN m.eventsApplied - $n ELSE 0 END", { n: neo4j.int(events) });
      if (options.eventIds && options.eventIds.length > 0) await tx.run('UNWIND $ids AS id MATCH (e:Event {id: id}) DELETE e', { ids: [...options.eventIds] });
      const itemsAffected = [...affected].sort();
      if (itemsAffected.length > 0) await this.refreshSimilarity(tx, itemsAffected);
      return {
        actors,
        found: found.records.length > 0,
        interactionsRemoved,
        itemsAffected,
        segmentMemberships,
        anomaliesRemoved: Number(removed.records[0]?.get('n') ?? 0),
        anomaliesRedacted: redactions.length,
      };
    }));
  }

  async erasedActors(): Promise<Map<string, number>> {
    const res = await this.read((tx) => tx.run('MATCH (x:Erased) RETURN x.id AS id, x.at AS at'));
    return new Map(res.records.map((r) => [r.get('id') as string, Number(r.get('at'))]));
  }

  async excludedActors(): Promise<string[]> {
    const res = await this.read((tx) => tx.run('MATCH (u:User) WHERE u.excluded = true RETURN u.id AS id ORDER BY id'));
    return res.records.map((r) => r.get('id') as string);
  }

  // ---- customer segments ------------------------------------------------------------------------

  async getPurchaseActivity(userIds: readonly string[]): Promise<PurchaseActivityBatch> {
    const res = await this.read((tx) =>
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
      const res = await this.read((tx) =>
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
    const res = await this.read((tx) => tx.run("MATCH (m:SegmentModel {id: 'current'}) RETURN m.json AS json"));
    const json = res.records[0]?.get('json') as string | undefined;
    return json ? JSON.parse(json) : null;
  }

  async setSegmentModel(model: unknown): Promise<void> {
    await this.write((tx) => tx.run("MERGE (m:SegmentModel {id: 'current'}) SET m.json = $json, m.at = $now", { json: JSON.stringify(model), now: Date.now() }));
  }

  async setUserSegments(userIds: readonly string[], segmentIds: readonly (string | null)[]): Promise<void> {
    const rows = userIds.map((id, r) => ({ id, seg: segmentIds[r] ?? null }));
    if (rows.length === 0) return;
    await this.write(async (tx) => {
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
    const res = await this.read((tx) =>
      tx.run('UNWIND $ids AS id OPTIONAL MATCH (:User {id: id})-[:IN_SEGMENT]->(s:Segment) RETURN id, s.id AS seg', { ids: [...userIds] }),
    );
    const byId = new Map<string, string | null>();
    for (const r of res.records) byId.set(r.get('id'), r.get('seg') ?? null);
    return userIds.map((id) => byId.get(id) ?? null);
  }

  /** Members ordered by user id (the embedded graph orders by first-seen); the cursor is the last id. */
  async listSegmentMembers(segmentId: string, first: number, after?: string): Promise<SegmentMemberPage> {
    const params = { seg: segmentId, after: after !== undefined ? decodeCursor(after) : null, first: neo4j.int(Math.max(0, Math.floor(first))) };
    const [page, total] = await this.read(async (tx) => [
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
    const res = await this.read((tx) => tx.run('MATCH (s:Segment)<-[r:IN_SEGMENT]-(:User) RETURN s.id AS id, count(r) AS n'));
    return new Map(res.records.map((r) => [r.get('id') as string, Number(r.get('n'))]));
  }
}

// ---- helpers ------------------------------------------------------------------------------------

function edgeToProps(e: EdgeState): Record<string, unknown> {
  return { ...e.counts, weight: e.weight, quantity: e.quantity, revenue: e.revenue, firstSeenAt: e.firstSeenAt, lastSeenAt: e.lastSeenAt, lastType: e.lastType };
}

function edgeFromProps(p: Record<string, unknown>): EdgeState {
  const counts = emptyCounts();
  for (const t of INTERACTION_TYPES) counts[t] = Number(p[t] ?? 0);
  return {
    counts,
    weight: Number(p.weight ?? 0),
    quantity: Number(p.quantity ?? 0),
    revenue: Number(p.revenue ?? 0),
    firstSeenAt: Number(p.firstSeenAt ?? 0),
    lastSeenAt: Number(p.lastSeenAt ?? 0),
    lastType: (p.lastType as InteractionType) ?? 'VIEW',
  };
}

function itemFromProps(p: Record<string, unknown>): ItemNode {
  const title = (p.title as string | undefined) ?? null;
  let attributes: Record<string, string> = {};
  try {
    attributes = JSON.parse((p.attributes as string | undefined) ?? '{}') as Record<string, string>;
  } catch {
    attributes = {};
  }
  return {
    id: p.id as string,
    title: title ?? (p.id as string),
    category: (p.category as string | undefined) ?? null,
    price: (p.price as number | undefined) ?? null,
    attributes,
    inCatalog: title !== null,
    userCount: Number(p.userCount ?? 0),
  };
}

function anomalyToProps(r: AnomalyRecord): Record<string, unknown> {
  return {
    id: r.id,
    kind: r.kind,
    severity: r.severity,
    entityType: r.entityType,
    entityId: r.entityId,
    score: r.score,
    detectedAt: r.detectedAt,
    message: r.message,
    evidence: r.evidence,
    acknowledged: r.acknowledged,
    userId: r.userId,
    itemId: r.itemId,
  };
}

function anomalyFromProps(p: Record<string, unknown>): AnomalyRecord {
  return {
    id: p.id as string,
    kind: p.kind as string,
    severity: p.severity as AnomalyRecord['severity'],
    entityType: p.entityType as string,
    entityId: p.entityId as string,
    score: Number(p.score),
    detectedAt: Number(p.detectedAt),
    message: p.message as string,
    evidence: (p.evidence as string | undefined) ?? null,
    acknowledged: p.acknowledged === true,
    userId: (p.userId as string | undefined) ?? null,
    itemId: (p.itemId as string | undefined) ?? null,
  };
}

function insertSorted(arr: number[], v: number): void {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  if (arr[lo] !== v) arr.splice(lo, 0, v);
}

interface ActivityRow {
  orders: number[];
  views: number;
  bought: ({ item: string; category: string | null; quantity: number; revenue: number } | null)[];
}

function buildBatch(userIds: readonly string[], rows: Map<string, ActivityRow>): PurchaseActivityBatch {
  const n = userIds.length;
  const b: PurchaseActivityBatch = {
    userIds: [...userIds],
    orders: new Float64Array(n),
    firstPurchaseAt: new Float64Array(n),
    lastPurchaseAt: new Float64Array(n),
    views: new Float64Array(n),
    edgeStart: new Int32Array(n + 1),
    edgeItem: [],
    edgeCategory: [],
    edgeQuantity: new Float64Array(0),
    edgeRevenue: new Float64Array(0),
  };
  const qty: number[] = [];
  const rev: number[] = [];
  userIds.forEach((id, r) => {
    b.edgeStart[r] = b.edgeItem.length;
    const row = rows.get(id);
    if (!row) return;
    if (row.orders.length > 0) {
      b.orders[r] = row.orders.length;
      b.firstPurchaseAt[r] = row.orders[0]!;
      b.lastPurchaseAt[r] = row.orders[row.orders.length - 1]!;
    }
    b.views[r] = row.views;
    for (const e of row.bought) {
      if (!e) continue;
      b.edgeItem.push(e.item);
      b.edgeCategory.push(e.category ?? null);
      qty.push(Number(e.quantity));
      rev.push(Number(e.revenue));
    }
  });
  b.edgeStart[n] = b.edgeItem.length;
  b.edgeQuantity = Float64Array.from(qty);
  b.edgeRevenue = Float64Array.from(rev);
  return b;
}

const CONNECTIVITY = /ServiceUnavailable|SessionExpired|ECONNREFUSED|ECONNRESET|EPIPE|Connection acquisition timed out|Failed to connect|connection (was )?closed|Pool is closed|socket hang up/i;

function isConnectivityError(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return false;
  const e = err as { code?: unknown; message?: unknown } | null;
  return CONNECTIVITY.test(`${String(e?.code ?? '')} ${String(e?.message ?? '')}`);
}

/** Connectivity failures become StoreUnavailableError (code UNAVAILABLE); anything else is rethrown as is. */
function toUnavailable(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  if (isConnectivityError(err)) return new StoreUnavailableError('graph database (Neo4j) is unavailable; retry later', { cause: err });
  return err;
}
