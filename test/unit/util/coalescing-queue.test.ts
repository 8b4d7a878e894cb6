import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoalescingQueue } from '../../../src/util/coalescing-queue';

test('calls arriving during a write go out together in the next, in order, each with its own result', async () => {
  const writes: number[][] = [];
  const q = new CoalescingQueue<number, number>(async (items) => {
    writes.push(items);
    await new Promise((r) => setTimeout(r, 5));
    return items.map((n) => n * 10);
  });
  const results = await Promise.all([1, 2, 3, 4].map((n) => q.push(n)));
  assert.deepEqual(results, [10, 20, 30, 40]);
  assert.deepEqual(writes, [[1], [2, 3, 4]]);
});

test('a limit takes whole items up to the maximum; a larger item goes alone; a failed write fails its own callers only', async () => {
  const writes: number[][] = [];
  const q = new CoalescingQueue<number, number>(
    async (items) => {
      writes.push(items);
      if (items.includes(7)) throw new Error('refused');
      return items;
    },
    { sizeOf: (n) => n, max: 5 },
  );
  const calls = [1, 2, 3, 9, 7, 1].map((n) => q.push(n));
  const settled = await Promise.allSettled(calls);
  await q.idle();
  assert.deepEqual(writes, [[1], [2, 3], [9], [7], [1]]);
  assert.deepEqual(
    settled.map((s) => s.status),
    ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
  );
});
