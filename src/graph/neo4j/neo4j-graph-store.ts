import type { Driver } from 'neo4j-driver';
import type { FlywheelEvent } from '../../events/event';
import type { GraphStore } from '../graph-store';
import type { AnomalyCountQuery, AnomalyQuery, AnomalyRecord } from '../stores/anomalies';
import type { EraseOptions } from '../stores/erasure';
import type { ItemQuery, TypeCounts } from '../stores/graph-reads';
import { Neo4jAnomalies } from './anomalies';
import { Neo4jErasure } from './erasure';
import { Neo4jEventIds, type IdempotencyWindow } from './event-ids';
import { migrate, schemaVersionOf } from './migrations';
import { ItemCache, type ItemCacheOptions } from './item-cache';
import { Neo4jItemFactors } from './item-factors';
import { Neo4jGraphReads } from './reads';
import { Neo4jSegments } from './segments';
import { Neo4jSession, type Neo4jConnectionOptions } from './session';
import { Neo4jGraphWrites } from './writes';

/**
 * The graph store on Neo4j: one object per concern, sharing one driver and its transaction helpers
 * (session.ts); this class opens them and hands each call to the concern that owns it.
 *
 *   writes.ts     applyEvents (one write transaction per batch)
 *   event-ids.ts  the applied event ids, `(:Event {id})` (idempotency), kept for a window, then pruned
 *   reads.ts      items, users, categories, interaction edges, stats, scanInteractions
 *   anomalies.ts  findings, bot exclusion
 *   segments.ts   IN_SEGMENT, the segment model, purchase activity
 *   erasure.ts    eraseUser, the erasure list
 *   item-factors.ts  the ALS item factors (`itemFactors`, an optional ability of the seam)
 *   migrations.ts versioned schema migrations, run by `open`
 *
 * A new concern is a file here with a class over `Neo4jSession`, and its methods handed on below.
 *
 * Model
 *   (:User {id, anonymous, firstSeenAt, lastSeenAt, eventCount, excluded, orders})
 *   (:Item {id, title, category, price, attributes (JSON text), userCount})-[:IN_CATEGORY]->(:Category {name})
 *   (:User)-[:INTERACTED {VIEW, CLICK, ADD_TO_CART, REMOVE_FROM_CART, PURCHASE, weight, quantity, revenue,
 *                         firstSeenAt, lastSeenAt, lastType}]->(:Item)
 *   (:Event {id, appliedAt})                          one per event applied within the idempotency window (id = idempotencyKey: actor + event id)
 *   (:User)-[:IN_SEGMENT]->(:Segment {id}), (:SegmentModel {id, json}), (:Anomaly {id, seq, ...}),
 *   (:Erased {id, at}), (:Meta {id: 'graph', eventsApplied}), (:Meta {id: 'anomalies', seq}), (:Migration {version})
 *   (:Item {alsFactors, alsFit}), (:Meta {id: 'als', fitId, items, header})   ALS item factors (item-factors.ts)
 *
 * Item-item similarity is not kept in Neo4j: the recommender learns it in memory (src/recommend/) from
 * the edges (`scanInteractions` at start, then every applied batch). Migration 4 drops the `SIMILAR`
 * edges earlier versions maintained.
 */
export interface Neo4jGraphStoreOptions extends Neo4jConnectionOptions {
  typeWeights?: TypeCounts;
  /** Items kept in front of Neo4j (item-cache.ts); off when omitted. */
  itemCache?: ItemCacheOptions;
  /** How long applied event ids are kept (event-ids.ts); kept for ever when omitted. */
  idempotency?: IdempotencyWindow;
  /**
   * For a command that only reads (evaluate-policy's erasure list): no schema migration, no warm-up write, no
   * pruning of event ids. A CLI run against a production database must not change its schema under the
   * gateways that use it.
   */
  readOnly?: boolean;
}

export class Neo4jGraphStore implements GraphStore {
  readonly backend = 'neo4j' as const;
  readonly driver: Driver;
  schemaVersion = 0;
  private readonly session: Neo4jSession;
  private readonly writes: Neo4jGraphWrites;
  private readonly reads: Neo4jGraphReads;
  private readonly anomalies: Neo4jAnomalies;
  private readonly segments: Neo4jSegments;
  private readonly erasure: Neo4jErasure;
  private readonly items: ItemCache;
  /** The applied event ids (idempotency) and their pruning. */
  readonly eventIds: Neo4jEventIds;
  /** The ALS item factors stored on the items (written after each refit, read at start). */
  readonly itemFactors: Neo4jItemFactors;

  private constructor(options: Neo4jGraphStoreOptions) {
    this.session = new Neo4jSession(options);
    this.driver = this.session.driver;
    this.eventIds = new Neo4jEventIds(this.session);
    this.writes = new Neo4jGraphWrites(this.session, this.eventIds, options.typeWeights);
    this.reads = new Neo4jGraphReads(this.session);
    this.anomalies = new Neo4jAnomalies(this.session);
    this.segments = new Neo4jSegments(this.session);
    this.erasure = new Neo4jErasure(this.session);
    this.items = new ItemCache(options.itemCache ?? { entries: 0, ttlMs: 0 }, (ids) => this.reads.getItems(ids));
    this.itemFactors = new Neo4jItemFactors(this.session);
  }

  /** Connects, checks the server, runs the schema migrations. */
  static async open(options: Neo4jGraphStoreOptions): Promise<Neo4jGraphStore> {
    const store = new Neo4jGraphStore(options);
    const { session } = store;
    try {
      await session.driver.verifyConnectivity(session.db());
      if (options.readOnly) {
        store.schemaVersion = await schemaVersionOf(session.driver, session.database);
        return store;
      }
      store.schemaVersion = await migrate(session.driver, session.database, options.logger);
      // The anomaly counter, (:Meta {id: 'anomalies'}), is created by migration 6.
      await session.write((tx) => tx.run("MERGE (m:Meta {id: 'graph'}) ON CREATE SET m.eventsApplied = 0"));
      // planning ahead is an optimisation: a gateway whose warm-up fails starts anyway, and its first batch plans
      await store.writes.warmUp().catch((err: unknown) => options.logger?.warn({ err }, 'Neo4j: could not plan the batch statements ahead'));
      if (options.idempotency) store.eventIds.start(options.idempotency, options.logger);
    } catch (err) {
      await session.close().catch(() => undefined);
      throw err;
    }
    return store;
  }

  /** `CALL dbms.components()`: the server name, version and edition (tests print it). */
  async serverVersion(): Promise<string> {
    const res = await this.driver.executeQuery('CALL dbms.components() YIELD name, versions, edition RETURN name, versions, edition', {}, this.session.db());
    return res.records.map((r) => `${r.get('name')} ${(r.get('versions') as string[]).join(',')} ${r.get('edition')}`).join('; ');
  }

  async close(): Promise<void> {
    await this.eventIds.stop();
    await this.session.close();
  }

  // ---- graph writes
  async applyEvents(events: readonly FlywheelEvent[]) {
    const summary = await this.writes.applyEvents(events);
    this.items.forget(summary.touchedItems);
    return summary;
  }
  durablePosition() {
    return this.writes.durablePosition();
  }
  checkpoint() {
    return this.writes.checkpoint();
  }

  // ---- graph reads
  getItems(ids: readonly string[]) {
    return this.items.read(ids);
  }
  getCategories(names: readonly string[]) {
    return this.reads.getCategories(names);
  }
  getUsers(ids: readonly string[]) {
    return this.reads.getUsers(ids);
  }
  getInteractions(userIds: readonly string[], first: number) {
    return this.reads.getInteractions(userIds, first);
  }
  getItemInteractions(itemIds: readonly string[], first: number) {
    return this.reads.getItemInteractions(itemIds, first);
  }
  listItems(query: ItemQuery) {
    return this.reads.listItems(query);
  }
  stats() {
    return this.reads.stats();
  }
  scanInteractions(batchSize: number) {
    return this.reads.scanInteractions(batchSize);
  }

  // ---- anomalies
  putAnomalies(records: readonly AnomalyRecord[]) {
    return this.anomalies.putAnomalies(records);
  }
  getAnomalies(ids: readonly string[]) {
    return this.anomalies.getAnomalies(ids);
  }
  listAnomalies(query: AnomalyQuery) {
    return this.anomalies.listAnomalies(query);
  }
  countAnomalies(query: AnomalyCountQuery) {
    return this.anomalies.countAnomalies(query);
  }
  acknowledgeAnomaly(id: string, acknowledged?: boolean) {
    return this.anomalies.acknowledgeAnomaly(id, acknowledged);
  }
  async setActorExcluded(actorId: string, excluded: boolean) {
    const changed = await this.anomalies.setActorExcluded(actorId, excluded);
    // The actor's items' userCount moved: which items is not returned, and exclusions are rare.
    this.items.clear();
    return changed;
  }
  excludedActors() {
    return this.anomalies.excludedActors();
  }

  // ---- segments
  getPurchaseActivity(userIds: readonly string[]) {
    return this.segments.getPurchaseActivity(userIds);
  }
  scanPurchaseActivity(batchSize?: number) {
    return this.segments.scanPurchaseActivity(batchSize);
  }
  getSegmentModel() {
    return this.segments.getSegmentModel();
  }
  setSegmentModel(model: unknown) {
    return this.segments.setSegmentModel(model);
  }
  setUserSegments(userIds: readonly string[], segmentIds: readonly (string | null)[]) {
    return this.segments.setUserSegments(userIds, segmentIds);
  }
  getUserSegments(userIds: readonly string[]) {
    return this.segments.getUserSegments(userIds);
  }
  listSegmentMembers(segmentId: string, first: number, after?: string) {
    return this.segments.listSegmentMembers(segmentId, first, after);
  }
  segmentSizes() {
    return this.segments.segmentSizes();
  }

  // ---- erasure
  async eraseUser(userId: string, options?: EraseOptions) {
    const report = await this.erasure.eraseUser(userId, options);
    this.items.clear();
    return report;
  }
  erasedActors() {
    return this.erasure.erasedActors();
  }
}
