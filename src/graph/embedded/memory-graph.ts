import type { FlywheelEvent } from '../../events/event';
import type { GraphStore } from '../graph-store';
import type { AnomalyCountQuery, AnomalyQuery, AnomalyRecord } from '../stores/anomalies';
import type { EraseOptions } from '../stores/erasure';
import type { ItemQuery, TypeCounts } from '../stores/graph-reads';
import type { ApplySummary } from '../stores/graph-writes';
import { MemoryAnomalies } from './anomalies';
import { MemoryErasure } from './erasure';
import { GraphState } from './graph-state';
import { MemoryGraphReads } from './reads';
import { MemorySegments } from './segments';
import { dumpGraph, loadGraph, readSnapshot, writeSnapshot } from './snapshot';
import { MemoryGraphWrites } from './writes';

/**
 * The embedded graph store: the whole user-item graph in memory (graph-state.ts), one object per concern
 * over that state, and this class, which hands each call to the concern that owns it and keeps the
 * snapshot lifecycle.
 *
 *   writes.ts     applyEvents / applySync
 *   reads.ts      items, users, categories, interaction edges, stats, scanInteractions
 *   anomalies.ts  findings (../anomaly-table.ts), bot exclusion
 *   segments.ts   IN_SEGMENT, the segment model, purchase activity (storage: segment-store.ts)
 *   erasure.ts    eraseUser, the erasure list
 *   snapshot.ts   the snapshot file, dump and load of the state
 *
 * A new concern is a file here with a class over `GraphState`, and its methods handed on below.
 *
 * Durability comes from the event log: a snapshot records the log position it covers, and on start the
 * ingestor replays the log after that position. Between snapshots nothing is lost, only replayed.
 */
export interface MemoryGraphOptions {
  /** Where snapshots go; no snapshots when undefined (tests, eval). */
  snapshotPath?: string;
  typeWeights?: TypeCounts;
  /** Anomaly findings kept (oldest dropped first). */
  maxAnomalies?: number;
  /** How long applied event ids are remembered (applied-ids.ts); for ever when omitted. */
  idempotencyWindowMs?: number;
  /** The clock of that window (tests). */
  clock?: () => number;
}

export class MemoryGraph implements GraphStore {
  readonly backend = 'embedded' as const;

  private readonly state: GraphState;
  private readonly writes: MemoryGraphWrites;
  private readonly reads: MemoryGraphReads;
  private readonly anomalies: MemoryAnomalies;
  private readonly segments: MemorySegments;
  private readonly erasure: MemoryErasure;
  private snapshotPosition = -1;
  /** Snapshots are written one at a time, in call order (an erasure must not be overwritten by an older dump). */
  private checkpointChain: Promise<void> = Promise.resolve();

  constructor(private readonly options: MemoryGraphOptions = {}) {
    this.state = new GraphState(options.maxAnomalies, options.idempotencyWindowMs, options.clock);
    this.writes = new MemoryGraphWrites(this.state, options.typeWeights);
    this.reads = new MemoryGraphReads(this.state);
    this.anomalies = new MemoryAnomalies(this.state);
    this.segments = new MemorySegments(this.state);
    this.erasure = new MemoryErasure(this.state);
  }

  /** Loads the snapshot if there is one; returns the log position it covers (-1 for none). */
  async restore(): Promise<number> {
    if (!this.options.snapshotPath) return -1;
    const snap = await readSnapshot(this.options.snapshotPath);
    if (!snap) return -1;
    loadGraph(this.state, snap);
    this.snapshotPosition = this.state.position;
    return this.state.position;
  }

  durablePosition(): number | undefined {
    return this.snapshotPosition;
  }

  async checkpoint(): Promise<void> {
    const run = this.checkpointChain.then(() => this.checkpointNow());
    this.checkpointChain = run.catch(() => undefined);
    return run;
  }

  private async checkpointNow(): Promise<void> {
    const s = this.state;
    if (
      !this.options.snapshotPath ||
      (s.position === this.snapshotPosition && !s.anomalyTable.dirty && !s.excludedDirty && !s.segments.dirty && !s.erasureDirty)
    )
      return;
    const position = s.position;
    s.erasureDirty = false;
    await writeSnapshot(this.options.snapshotPath, dumpGraph(s));
    this.snapshotPosition = position;
    s.excludedDirty = false;
    s.segments.dirty = false;
  }

  async close(): Promise<void> {
    await this.checkpoint();
  }

  // ---- graph writes
  async applyEvents(events: readonly FlywheelEvent[], logPosition?: number): Promise<ApplySummary> {
    return this.writes.applySync(events, logPosition);
  }
  /** Synchronous core of applyEvents: the whole batch lands in one turn of the event loop. */
  applySync(events: readonly FlywheelEvent[], logPosition?: number): ApplySummary {
    return this.writes.applySync(events, logPosition);
  }

  // ---- graph reads
  getItems(ids: readonly string[]) {
    return this.reads.getItems(ids);
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
  setActorExcluded(actorId: string, excluded: boolean) {
    return this.anomalies.setActorExcluded(actorId, excluded);
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
  peekUserSegment(userId: string) {
    return this.segments.peekUserSegment(userId);
  }
  listSegmentMembers(segmentId: string, first: number, after?: string) {
    return this.segments.listSegmentMembers(segmentId, first, after);
  }
  segmentSizes() {
    return this.segments.segmentSizes();
  }

  // ---- erasure
  eraseUser(userId: string, options?: EraseOptions) {
    return this.erasure.eraseUser(userId, options);
  }
  erasedActors() {
    return this.erasure.erasedActors();
  }
}
