/** Right to erasure on the graph (see src/privacy/). */
export interface ErasureStore {
  /**
   * Removes the actors (the user and the anonymous sessions linked to them) with their edges, segment
   * membership, the anomaly findings linked to them (evidence naming them elsewhere is redacted), and
   * every derived count (item userCount) they contributed to. Records the actors on a durable erasure
   * list: interaction events of an erased actor with a timestamp up to the erasure time are skipped when
   * applied later (replay of a log that still holds them: Kafka).
   */
  eraseUser(userId: string, options?: EraseOptions): Promise<ErasureReport>;
  /** The erasure list: actor id -> erasure time (ms). */
  erasedActors(): Promise<Map<string, number>>;
}

export interface EraseOptions {
  /** Anonymous session ids linked to the user (their events carried both ids); erased as "session:<id>". */
  sessions?: readonly string[];
  /** Idempotency keys (`idempotencyKey`) of the user's events known to the embedded log, forgotten by the idempotency set too. */
  eventIds?: readonly string[];
  /** Erasure time (ms); events of the actors up to this time are skipped if they are applied again. */
  at?: number;
}

export interface ErasureReport {
  /** Graph actor ids erased (the user, then "session:<id>" for linked sessions). */
  actors: string[];
  /** Whether the graph knew any of them. */
  found: boolean;
  interactionsRemoved: number;
  /** Items whose counts changed because the actors left them. */
  itemsAffected: string[];
  segmentMemberships: number;
  anomaliesRemoved: number;
  anomaliesRedacted: number;
}

/** Replaces every occurrence of an erased id in free text (anomaly messages, evidence JSON). */
export function redactIds(text: string, ids: readonly string[]): string {
  let out = text;
  for (const id of ids) {
    if (id.length === 0) continue;
    // Whole ids only: erasing "u1" must not touch "u10".
    const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(?<![\\w:.-])${escaped}(?![\\w.-])`, 'g'), '[erased]');
  }
  return out;
}
