import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlywheelEvent } from '../../../src/events/event';
import { dropErased } from '../../../src/privacy/erasure-service';

/*
 * The erasure list as every reader of an append-only log applies it (the gateway's live feeds, and
 * `flywheel evaluate-policy` reading the Kafka topic): an erased actor's interactions and impressions up to the
 * erasure time go; later ones (a new account under the same id), other actors' and records about nobody stay.
 */
const at = Date.UTC(2026, 0, 2);
const click = (userId: string, t: number): FlywheelEvent => ({
  kind: 'interaction',
  v: 1,
  id: `c-${userId}-${t}`,
  type: 'CLICK',
  userId,
  itemId: 'i',
  timestamp: t,
});
const list = (sessionId: string, t: number): FlywheelEvent => ({
  kind: 'impression',
  v: 1,
  id: `l-${sessionId}-${t}`,
  sessionId,
  surface: 'recommendations',
  strategy: 'popular',
  items: [{ itemId: 'i', position: 1, propensity: 1 }],
  timestamp: t,
});
const item: FlywheelEvent = { kind: 'item', v: 1, id: 'item-i', itemId: 'i', title: 'I', timestamp: at - 5 };

test('dropErased: erased actors up to their erasure time, interactions and impressions alike', () => {
  const erased = new Map([
    ['gone', at],
    ['session:s-gone', at],
  ]);
  const events = [click('gone', at - 10), click('kept', at - 10), list('s-gone', at - 3), list('s-kept', at - 3), item, click('gone', at + 10)];
  assert.deepEqual(
    dropErased(events, erased).map((e) => e.id),
    ['c-kept-' + (at - 10), 'l-s-kept-' + (at - 3), 'item-i', 'c-gone-' + (at + 10)],
  );
  const none = [click('kept', at)];
  assert.equal(dropErased(none, erased), none, 'the same array when nothing is dropped');
  assert.equal(dropErased(events, new Map()), events);
});
