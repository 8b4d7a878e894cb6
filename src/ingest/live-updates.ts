import type { AnomalyRecord } from '../graph/graph-store';

/**
 * What the core announces as it happens, for whoever pushes it to clients. The core calls these; the
 * GraphQL layer implements a listener (resolvers/pubsub.ts turns each call into a subscription topic), so
 * nothing under src/ imports the API. A listener must not throw and must not block: it is called on the
 * ingestion path, between the stages of a batch.
 */
export interface LiveUpdateListener {
  /** The user's interactions changed: their recommendations may have. */
  userUpdated(userId: string): void;
  /** A new anomaly finding (see AnomalyService's publishScope for which ones). */
  anomalyDetected(record: AnomalyRecord): void;
}

/** Fans announcements out to every attached listener (one per gateway server on this process). */
export class LiveUpdates implements LiveUpdateListener {
  private readonly listeners = new Set<LiveUpdateListener>();

  /** Attaches a listener; returns the function that detaches it (a gateway does on close). */
  attach(listener: LiveUpdateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  userUpdated(userId: string): void {
    for (const l of this.listeners) l.userUpdated(userId);
  }

  anomalyDetected(record: AnomalyRecord): void {
    for (const l of this.listeners) l.anomalyDetected(record);
  }
}
