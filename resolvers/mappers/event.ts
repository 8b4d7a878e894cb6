import { EVENT_SCHEMA_VERSION } from '../../src/events/event';
import type { StoredDeadLetter } from '../../src/event-log/event-log';
import type { TrackResult } from '../../src/ingest/tracker';
import type { DeadLetterEntryType, EventInput, ItemInput, TrackEventsResultType, UpsertItemsResultType } from '../../graph-models/event.model';

/**
 * GraphQL inputs -> raw events for the tracker, which validates them (src/events/validate.ts): absent
 * fields are left out rather than sent as null, so the event rules see what the client sent.
 */
export function toInteractionEvents(events: readonly EventInput[], now: number): Record<string, unknown>[] {
  return events.map((e) =>
    dropNullish({
      kind: 'interaction',
      v: EVENT_SCHEMA_VERSION,
      id: e.id,
      type: e.type,
      userId: e.userId,
      sessionId: e.sessionId,
      itemId: e.itemId,
      timestamp: e.timestamp ? e.timestamp.getTime() : now,
      quantity: e.quantity,
      price: e.price,
      servedId: e.servedId,
    }),
  );
}

export function toItemEvents(items: readonly ItemInput[], now: number): Record<string, unknown>[] {
  return items.map((it) =>
    dropNullish({
      kind: 'item',
      v: EVENT_SCHEMA_VERSION,
      // Each upsert is its own event: re-sending a changed item must apply, so the id carries time.
      id: `item:${it.id}:${now}:${Math.random().toString(36).slice(2, 10)}`,
      itemId: it.id,
      title: it.title,
      category: it.category,
      price: it.price,
      attributes: it.attributes ? Object.fromEntries(it.attributes.map((a) => [a.key, a.value])) : undefined,
      timestamp: now,
    }),
  );
}

/** The tracker's answer has the GraphQL shape already; typed here so a change on either side is a compile error. */
export function toTrackEventsResult(result: TrackResult): TrackEventsResultType {
  return result;
}

export function toUpsertItemsResult(result: TrackResult): UpsertItemsResultType {
  return { upserted: result.accepted, rejected: result.rejected };
}

export function toDeadLetterEntry(e: StoredDeadLetter): DeadLetterEntryType {
  return {
    seq: e.seq,
    at: new Date(e.at),
    source: e.source,
    reason: e.reason,
    raw: e.truncated ? `${String(e.raw)}… [truncated: ${e.rawBytes} bytes]` : (JSON.stringify(e.raw) ?? 'null'),
  };
}

function dropNullish(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) if (o[k] === null || o[k] === undefined) delete o[k];
  return o;
}
