import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventTypeCounts } from '../../../src/ingest/event-type-counts';
import type { FlywheelEvent } from '../../../src/events/event';

const DAY = 86_400_000;
const view = (t: number, type = 'VIEW'): FlywheelEvent =>
  ({ kind: 'interaction', v: 1, id: `e${t}`, type, userId: 'u', itemId: 'i', timestamp: t }) as FlywheelEvent;
const item = (t: number): FlywheelEvent => ({ kind: 'item', v: 1, id: `c${t}`, itemId: 'i', title: 'I', timestamp: t }) as FlywheelEvent;

test('event types are counted by UTC day of their own time; catalog upserts as CATALOG; since and the day bound apply', () => {
  const c = new EventTypeCounts(2);
  c.add([view(10 * DAY + 5), view(10 * DAY + 6), view(10 * DAY + 7, 'PURCHASE'), item(11 * DAY)]);
  assert.deepEqual(c.list(0), [
    { day: 10 * DAY, type: 'PURCHASE', count: 1 },
    { day: 10 * DAY, type: 'VIEW', count: 2 },
    { day: 11 * DAY, type: 'CATALOG', count: 1 },
  ]);
  assert.deepEqual(c.list(10 * DAY + 1000).length, 3, 'a day that ends after since is kept whole');
  assert.deepEqual(c.list(11 * DAY), [{ day: 11 * DAY, type: 'CATALOG', count: 1 }]);
  c.add([view(12 * DAY)]);
  assert.deepEqual(
    c.list(0).map((r) => r.day),
    [11 * DAY, 12 * DAY],
    'only the newest two days are kept',
  );
});
