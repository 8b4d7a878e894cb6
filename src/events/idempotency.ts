import { createHash } from 'node:crypto';
import type { FlywheelEvent } from './event';

/**
 * The idempotency key of an event: its id scoped by the actor that sent it. Event ids are chosen by
 * producers, so a global id namespace would let one shopper pre-empt (and learn about) ids another
 * shopper will send. Scoped by actor, "same id twice is a no-op" only ever holds for the same actor:
 *
 * - interactions: the customer (`u`, userId) or, without one, the anonymous session (`s`, sessionId);
 * - catalog upserts: one `catalog` scope (only admins send them);
 * - experiment records: one `experiments` scope (analysts' mutations);
 * - impressions: one `served` scope; their ids (servedIds) are chosen by the gateway, unguessable, and a
 *   shopper's own event ids never collide with them.
 *
 * Every place that dedupes by event id (the embedded log's `ids` index, the in-memory graph, Neo4j's
 * `(:Event {id})` nodes) uses this key, so the log and the graphs agree on what a duplicate is.
 * Parts are length-prefixed so no two (scope, id) pairs share a key; keys longer than LMDB's key limit
 * allows (ids are up to 256 characters, UTF-8 up to 4 bytes each) are replaced by their SHA-256.
 */
export function idempotencyKey(e: FlywheelEvent): string {
  const scope =
    e.kind === 'item'
      ? 'c:catalog'
      : e.kind === 'impression'
        ? 'g:served'
        : e.kind === 'experiment'
          ? 'x:experiments'
          : e.userId !== undefined
            ? `u:${e.userId}`
            : `s:${e.sessionId ?? ''}`;
  const key = `${scope.length}:${scope}|${e.id}`;
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short keys (nearly all) skip counting bytes.
  if (key.length * 3 <= MAX_PLAIN_KEY_BYTES || Buffer.byteLength(key, 'utf8') <= MAX_PLAIN_KEY_BYTES) return key;
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** Well under LMDB's 1,978-byte key limit. */
const MAX_PLAIN_KEY_BYTES = 1024;
