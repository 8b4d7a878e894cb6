import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventActor, graphEvents, isGraphEvent, type FlywheelEvent } from '../../../src/events/event';
import { idempotencyKey } from '../../../src/events/idempotency';
import { validateEvent } from '../../../src/events/validate';
import { partitionKey } from '../../../src/event-log/kafka/kafka-event-log';

const now = Date.now();
const impression = {
  kind: 'impression',
  v: 1,
  id: 'served-1',
  userId: 'u1',
  surface: 'recommendations',
  strategy: 'blend',
  items: [
    { itemId: 'i1', position: 1, propensity: 1 },
    { itemId: 'i2', position: 2, propensity: 0.25 },
  ],
  timestamp: now,
};
const view: FlywheelEvent = { kind: 'interaction', v: 1, id: 'e1', type: 'VIEW', userId: 'u1', itemId: 'i1', timestamp: now };
const upsert: FlywheelEvent = { kind: 'item', v: 1, id: 'c1', itemId: 'i1', title: 'Mug', timestamp: now };

test('an impression is a record of its own kind, validated like every record that enters the log', () => {
  const ok = validateEvent(impression);
  assert.equal(ok.ok, true);
  assert.equal(validateEvent({ ...impression, userId: undefined, anchorItemId: 'i0', surface: 'similarItems' }).ok, true, 'anonymous similar-item lists');
  assert.equal(validateEvent({ ...impression, experimentId: 'exp-1', variant: 'treatment' }).ok, true);
  const cases: [unknown, RegExp][] = [
    [{ ...impression, surface: 'homepage' }, /surface: must be one of recommendations, similarItems/],
    [{ ...impression, items: [{ itemId: 'i1', position: 0, propensity: 1 }] }, /items\.0\.position: must be at least 1/],
    [{ ...impression, items: [{ itemId: 'i1', position: 1, propensity: 0 }] }, /items\.0\.propensity: must be above 0/],
    [{ ...impression, items: [{ itemId: 'i1', position: 1, propensity: 1.5 }] }, /items\.0\.propensity: must be at most 1/],
    [
      {
        ...impression,
        items: [
          { itemId: 'i1', position: 1, propensity: 1 },
          { itemId: 'i1', position: 2, propensity: 1 },
        ],
      },
      /items\.1\.itemId: appears twice in one list/,
    ],
    [{ ...impression, experimentId: 'exp-1' }, /variant: experimentId and variant go together/],
    [{ ...impression, strategy: '' }, /strategy: must not be empty/],
    [{ ...impression, items: Array.from({ length: 101 }, (_, i) => ({ itemId: `i${i}`, position: 1, propensity: 1 })) }, /items: must hold at most 100/],
  ];
  for (const [input, reason] of cases) {
    const r = validateEvent(input);
    assert.equal(r.ok, false, `expected rejection of ${JSON.stringify(input).slice(0, 120)}`);
    if (!r.ok) assert.match(r.reason, reason);
  }
});

test('one rule decides what shapes the graph: behaviour and the catalog, never impressions', () => {
  const shown = validateEvent(impression);
  assert.ok(shown.ok);
  assert.equal(isGraphEvent(view), true);
  assert.equal(isGraphEvent(upsert), true);
  assert.equal(isGraphEvent(shown.event), false);
  const batch = [view, upsert];
  assert.equal(graphEvents(batch), batch, 'a batch without impressions is handed on as it is');
  assert.deepEqual(graphEvents([shown.event, view, shown.event, upsert]), [view, upsert]);
});

test('an impression belongs to the person it was shown to (erasure, Kafka key), like their interactions', () => {
  const shown = validateEvent(impression);
  const anon = validateEvent({ ...impression, userId: undefined, sessionId: 's9' });
  const nobody = validateEvent({ ...impression, userId: undefined, anchorItemId: 'i0', surface: 'similarItems' });
  assert.ok(shown.ok && anon.ok && nobody.ok);
  assert.equal(eventActor(shown.event), 'u1');
  assert.equal(eventActor(anon.event), 'session:s9');
  assert.equal(eventActor(nobody.event), undefined);
  assert.equal(eventActor(view), 'u1');
  assert.equal(eventActor(upsert), undefined);
  // The same partition as the user's clicks, so the list is read before the click on it.
  assert.equal(partitionKey(shown.event), partitionKey(view));
  assert.equal(partitionKey(anon.event), 's9');
  assert.equal(partitionKey(nobody.event), 'i0');
});

test("an impression's idempotency key cannot collide with a shopper's event id", () => {
  const shown = validateEvent(impression);
  assert.ok(shown.ok);
  const sameId: FlywheelEvent = { ...view, id: 'served-1' };
  assert.notEqual(idempotencyKey(shown.event), idempotencyKey(sameId));
});
