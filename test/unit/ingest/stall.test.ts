import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Ingestor } from '../../../src/ingest/ingestor';
import type { BatchHandler, ConsumeOptions, EventLog, LogConsumer } from '../../../src/event-log/event-log';
import type { GraphStore } from '../../../src/graph/graph-store';

/** A log whose consumer is behind by `lag` records and delivers only when told to. */
function fakeLog(state: { lag: number }) {
  let deliver: BatchHandler | null = null;
  let options: ConsumeOptions | undefined;
  const consumer: LogConsumer = {
    position: () => 0,
    lag: () => state.lag,
    waitFor: () => Promise.resolve(),
    stop: async () => undefined,
  };
  const log = {
    backend: 'kafka',
    readYourWrites: false,
    consume: async (_g: string, h: BatchHandler, o?: ConsumeOptions) => {
      deliver = h;
      options = o;
      return consumer;
    },
    deadLetter: async () => ({ pruned: 0 }),
  } as unknown as EventLog;
  return { log, deliver: (records: Parameters<BatchHandler>[0]) => deliver!(records), options: () => options };
}

const store = {
  durablePosition: () => undefined,
  applyEvents: async () => ({ applied: 1, duplicates: 0, touchedUsers: [], touchedItems: [] }),
} as unknown as GraphStore;
const ev = { kind: 'interaction', v: 1, id: 'e1', type: 'VIEW', userId: 'u', itemId: 'i', timestamp: Date.now() };

test('ingestion that is behind and does not advance for stallMs counts as stalled; progress or catching up clears it', async () => {
  const state = { lag: 0 };
  const f = fakeLog(state);
  const ingestor = new Ingestor(f.log, store, { group: 'g', logger: pino({ level: 'silent' }), stallMs: 100 });
  await ingestor.start();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await sleep(150);
  assert.equal(ingestor.stalled(), false, 'idle and not behind: not stalled');
  state.lag = 5;
  assert.equal(ingestor.stalled(), false, 'just fell behind: not yet');
  await sleep(150);
  assert.equal(ingestor.stalled(), true, 'behind for longer than stallMs without progress');
  await f.deliver([{ offset: 0, event: ev }]);
  assert.equal(ingestor.stalled(), false, 'a batch applied is progress');
  await sleep(150);
  assert.equal(ingestor.stalled(), true);
  state.lag = 0;
  assert.equal(ingestor.stalled(), false, 'caught up');
});

test('ingestion hands the log a poison policy: graph errors that say nothing about the data are never poison', async () => {
  const f = fakeLog({ lag: 0 });
  const ingestor = new Ingestor(f.log, store, { group: 'g', logger: pino({ level: 'silent' }) });
  await ingestor.start();
  const poison = f.options()!.poison!;
  assert.equal(poison.maxAttempts, 5);
  assert.equal(poison.isPoison(Object.assign(new Error('down'), { code: 'ServiceUnavailable', retriable: true })), false);
  assert.equal(poison.isPoison(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), false);
  assert.equal(poison.isPoison(new Error('Property values can only be of primitive types')), true);
});
