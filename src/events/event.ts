/**
 * The event contract: what every producer (GraphQL `trackEvents`, the importer, Kafka) hands to the
 * event log, and what ingestion applies to the graph. Versioned so that old log entries stay readable
 * when the shape grows: a reader accepts every version up to EVENT_SCHEMA_VERSION.
 */
export const EVENT_SCHEMA_VERSION = 1;

export const INTERACTION_TYPES = ['VIEW', 'CLICK', 'ADD_TO_CART', 'REMOVE_FROM_CART', 'PURCHASE'] as const;
export type InteractionType = (typeof INTERACTION_TYPES)[number];

/** A behaviour event: one user (or anonymous session) did something to one item at one time. */
export interface InteractionEvent {
  kind: 'interaction';
  /** Schema version of this record. */
  v: number;
  /** Producer-chosen id; applying the same id twice counts once. */
  id: string;
  type: InteractionType;
  /** Known customer; at least one of userId and sessionId is set. */
  userId?: string;
  /** Anonymous session, for shoppers who are not logged in. */
  sessionId?: string;
  itemId: string;
  /** Milliseconds since the epoch (UTC). */
  timestamp: number;
  /** Units; PURCHASE, ADD_TO_CART and REMOVE_FROM_CART only. */
  quantity?: number;
  /** Unit price in the shop's currency; PURCHASE (and optionally carts). */
  price?: number;
}

/** A catalog upsert: creates or replaces an item's descriptive fields. */
export interface ItemUpsertEvent {
  kind: 'item';
  v: number;
  id: string;
  itemId: string;
  title: string;
  category?: string;
  price?: number;
  attributes?: Record<string, string>;
  timestamp: number;
}

export type FlywheelEvent = InteractionEvent | ItemUpsertEvent;

/** The graph identity of whoever acted: a customer, or an anonymous session prefixed so ids never clash. */
export function actorId(e: Pick<InteractionEvent, 'userId' | 'sessionId'>): string {
  return e.userId ?? `session:${e.sessionId}`;
}
