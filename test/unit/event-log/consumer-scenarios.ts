import { parentPort, workerData } from 'node:worker_threads';
import { LmdbEventLog } from '../../../src/event-log/lmdb-event-log';
import type { FlywheelEvent } from '../../../src/events/event';

/**
 * Scenarios for lmdb-consumer-liveness.test.ts, run inside a worker thread: on the code that hung, the
 * consumer spun on microtasks and never let its thread reach the event loop again, so the only way to
 * observe (and survive) the failure is from another thread that can terminate this one.
 */
export type Scenario = 'stale-snapshot' | 'wake-means-readable';

const ev = (id: string): FlywheelEvent => ({ kind: 'interaction', v: 1, id, type: 'VIEW', userId: `u${id}`, itemId: 'i', timestamp: Date.now() });

async function staleSnapshot(dir: string): Promise<string> {
  // lmdb-js renews its read snapshot in a macrotask. Simulate the widest form of that window: right after
  // every append, reads show nothing new until the thread has passed through the event loop once.
  const log = new LmdbEventLog(dir);
  const realRead = log.readRange.bind(log);
  let stale = false;
  log.readRange = (from, limit) => {
    if (!stale) return realRead(from, limit);
    const empty: ReturnType<typeof realRead> = [];
    empty.scannedTo = from - 1;
    return empty;
  };
  let handled = 0;
  const consumer = await log.consume('g', async (records) => {
    handled += records.length;
  });
  for (let i = 0; i < 20; i++) {
    const receipt = await log.append([ev(`${i}`)]);
    stale = true;
    setTimeout(() => (stale = false), 0);
    await consumer.waitFor(receipt.lastPosition, 5000);
  }
  await log.close();
  return `handled ${handled}`;
}

async function wakeMeansReadable(dir: string): Promise<string> {
  // Many writers at once: offsets are assigned inside queued transactions long before they commit. A
  // reader woken by the log must then find the records it was woken for, or it goes round empty-handed.
  const log = new LmdbEventLog(dir);
  const writers: Promise<unknown>[] = [];
  const total = 3000;
  for (let b = 0; b < total / 10; b++) {
    writers.push(log.append(Array.from({ length: 10 }, (_, i) => ev(`${b}-${i}`))));
  }
  let seen = -1;
  let emptyWakes = 0;
  while (seen < total - 1) {
    await log.waitForAppend(seen, 1000);
    const records = log.readRange(seen + 1, 100_000);
    if (records.length === 0) {
      emptyWakes++;
      if (emptyWakes > 5) throw new Error(`woken ${emptyWakes} times for offsets after ${seen} that were not readable`);
      await new Promise((r) => setImmediate(r));
      continue;
    }
    seen = records.scannedTo!;
  }
  await Promise.all(writers);
  await log.close();
  return `read ${seen + 1}, empty wakes ${emptyWakes}`;
}

if (parentPort && workerData?.scenario) {
  const { scenario, dir } = workerData as { scenario: Scenario; dir: string };
  const run = scenario === 'stale-snapshot' ? staleSnapshot : wakeMeansReadable;
  run(dir).then(
    (detail) => parentPort!.postMessage({ ok: true, detail }),
    (err: Error) => parentPort!.postMessage({ ok: false, detail: err.message }),
  );
}
