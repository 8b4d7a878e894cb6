import type { FlywheelEvent } from '../../events/event';

/**
 * Graph writes: the one path by which events change the graph (the ingestor's side of the store), and
 * where the store's own durability is read from. How one event changes a user-item edge is written once,
 * in src/graph/edge-rule.ts, for every backend.
 */
export interface GraphWriteStore {
  /**
   * Applies a batch of validated events in order. Idempotent per event id: an id that was applied
   * before changes nothing and is counted as a duplicate.
   */
  applyEvents(events: readonly FlywheelEvent[], logPosition?: number): Promise<ApplySummary>;

  /**
   * The log position up to which this store's state survives a restart, when the store keeps its own
   * durable position (the embedded graph restores a snapshot and replays the log after it). Undefined
   * when the consumer group's committed offset is the source of truth (Neo4j).
   */
  durablePosition(): number | undefined;

  /** Persists what must survive a restart (a snapshot for the embedded graph). */
  checkpoint(): Promise<void>;
}

export interface ApplySummary {
  applied: number;
  duplicates: number;
  /** Ids of actors whose edges changed, for live subscriptions. */
  touchedUsers: string[];
  touchedItems: string[];
}
