import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventLog } from '../../../src/event-log/event-log';
import type { FlywheelEvent, ImpressionEvent } from '../../../src/events/event';
import { createLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { ImpressionRecorder } from '../../../src/outcomes/impressions';

function fakeLog(fail: boolean): { log: EventLog; appended: FlywheelEvent[] } {
  const appended: FlywheelEvent[] = [];
  const log = {
    append: async (events: readonly FlywheelEvent[]) => {
      if (fail) throw new Error('log is down');
      appended.push(...events);
      return { positions: events.map((_, i) => i), duplicates: [], lastPosition: events.length - 1 };
    },
  } as unknown as EventLog;
  return { log, appended };
}

async function counter(metrics: ReturnType<typeof createMetrics>, name: string): Promise<number> {
  const m = await metrics.registry.getSingleMetric(name)!.get();
  return m.values.reduce((s, v) => s + v.value, 0);
}

test('a served list becomes one impression record: positions from 1, propensity 1 unless given, session actors as sessionId', async () => {
  const { log, appended } = fakeLog(false);
  const metrics = createMetrics();
  const rec = new ImpressionRecorder(log, metrics, createLogger('silent'), { now: () => 1_700_000_000_000 });
  const list = await rec.record({ surface: 'recommendations', actor: 'session:s1', strategy: 'popular', itemIds: ['a', 'b'], propensities: [0.5, 0.25] });
  assert.equal(await list.recorded, true);
  assert.equal(appended.length, 1);
  const e = appended[0]!;
  assert.equal(e.kind, 'impression');
  if (e.kind !== 'impression') return;
  assert.equal(e.id, list.servedId);
  assert.equal(e.sessionId, 's1');
  assert.equal(e.userId, undefined);
  assert.deepEqual(e.items, [
    { itemId: 'a', position: 1, propensity: 0.5 },
    { itemId: 'b', position: 2, propensity: 0.25 },
  ]);
  const other = await rec.record({ surface: 'recommendations', actor: 'u1', strategy: 'blend', itemIds: ['a'], experiment: { id: 'x1', variant: 'control' } });
  await other.recorded;
  assert.notEqual(other.servedId, list.servedId);
  const e2 = appended[1]!;
  assert.ok(e2.kind === 'impression' && e2.userId === 'u1' && e2.variant === 'control' && e2.items[0]!.propensity === 1);
  assert.equal(await counter(metrics, 'flywheel_impressions_recorded_total'), 2);
});

test('an empty answer logs nothing; a log that refuses the impression does not fail the list, and the miss is counted', async () => {
  const ok = fakeLog(false);
  const metrics = createMetrics();
  const empty = await new ImpressionRecorder(ok.log, metrics, createLogger('silent')).record({ surface: 'similarItems', strategy: 's', itemIds: [] });
  assert.equal(await empty.recorded, false);
  assert.equal(ok.appended.length, 0);
  const down = fakeLog(true);
  const list = await new ImpressionRecorder(down.log, metrics, createLogger('silent')).record({
    surface: 'recommendations',
    actor: 'u1',
    strategy: 's',
    itemIds: ['a'],
  });
  assert.equal(await list.recorded, false);
  assert.equal(list.entries.length, 1, 'still served');
  assert.equal(await counter(metrics, 'flywheel_impressions_unrecorded_total'), 1);
  // An id the event rules refuse (too long for the log) is not appended, and is counted the same way.
  const long = await new ImpressionRecorder(ok.log, metrics, createLogger('silent')).record({
    surface: 'recommendations',
    actor: 'u'.repeat(300),
    strategy: 's',
    itemIds: ['a'],
  });
  assert.equal(await long.recorded, false);
  assert.equal(ok.appended.length, 0);
  assert.equal(await counter(metrics, 'flywheel_impressions_unrecorded_total'), 2);
});

test('the list is answered before its impression is committed; the lists of one turn share one append; past maxInFlight, a request waits for its own', async () => {
  const appended: FlywheelEvent[][] = [];
  const commits: (() => void)[] = [];
  const log = {
    append: (events: readonly FlywheelEvent[]) =>
      new Promise((resolve) => {
        appended.push([...events]); // the place in the log is taken at the call, the commit comes later
        commits.push(() => resolve({ positions: [0], duplicates: [], lastPosition: 0 }));
      }),
  } as unknown as EventLog;
  const rec = new ImpressionRecorder(log, createMetrics(), createLogger('silent'), { maxInFlight: 2 });
  const itemsOf = (batch: FlywheelEvent[]) => batch.map((e) => (e as ImpressionEvent).items[0]!.itemId);
  const a = await rec.record({ surface: 'recommendations', actor: 'u1', strategy: 's', itemIds: ['a'] });
  const b = await rec.record({ surface: 'recommendations', actor: 'u1', strategy: 's', itemIds: ['b'] });
  assert.equal(rec.pending, 2, 'answered with both impressions outstanding');
  assert.equal(appended.length, 0, 'held until the end of the turn');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(appended.map(itemsOf), [['a', 'b']], 'one append for both, in call order');
  let third = false;
  const c = rec.record({ surface: 'recommendations', actor: 'u1', strategy: 's', itemIds: ['c'] }).then(() => (third = true));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(appended.map(itemsOf), [['a', 'b'], ['c']]);
  assert.equal(third, false, 'over the bound: the third request waits for its commit');
  commits.forEach((commit) => commit());
  await c;
  assert.equal(third, true);
  assert.deepEqual(await Promise.all([a.recorded, b.recorded]), [true, true]);
  assert.equal(rec.pending, 0);
});

test('with lingerMs (Kafka), the lists of several turns share one append, and a flush (the tracker, before a click) sends them at once', async () => {
  const appended: string[][] = [];
  const log = {
    append: async (events: readonly FlywheelEvent[]) => {
      appended.push(events.map((e) => (e as ImpressionEvent).items[0]!.itemId));
      return { positions: [0], duplicates: [], lastPosition: 0 };
    },
  } as unknown as EventLog;
  const rec = new ImpressionRecorder(log, createMetrics(), createLogger('silent'), { lingerMs: 40 });
  const serve = (itemId: string) => rec.record({ surface: 'recommendations', actor: 'u1', strategy: 's', itemIds: [itemId] });
  await serve('a');
  await new Promise((r) => setImmediate(r));
  await serve('b');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(appended, [], 'still lingering after two turns');
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(appended, [['a', 'b']], 'one append for both turns, in call order');
  await serve('c');
  rec.flush();
  assert.deepEqual(appended, [['a', 'b'], ['c']], 'a flush does not wait for the linger');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(appended.length, 2, 'the linger timer of a flushed buffer appends nothing more');
  await rec.drain();
});

test('beforeAppend appends the buffered lists at once, without waiting for the linger or their commit (the log keeps call order)', async () => {
  const commits: (() => void)[] = [];
  const log = {
    append: () => new Promise((resolve) => commits.push(() => resolve({ positions: [0], duplicates: [], lastPosition: 0 }))),
  } as unknown as EventLog;
  const rec = new ImpressionRecorder(log, createMetrics(), createLogger('silent'), { lingerMs: 1000 });
  await rec.record({ surface: 'recommendations', actor: 'u1', strategy: 's', itemIds: ['a'] });
  assert.equal(commits.length, 0, 'lingering');
  rec.beforeAppend();
  assert.equal(commits.length, 1, 'the buffered list is appended at once, not after the linger');
  commits.forEach((commit) => commit());
  await rec.drain();
});
