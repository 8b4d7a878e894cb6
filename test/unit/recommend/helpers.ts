import { PerformanceObserver } from 'node:perf_hooks';
import { EVENT_SCHEMA_VERSION, type FlywheelEvent, type InteractionType } from '../../../src/events/event';

let n = 0;
const DAY = 86_400_000;
export const T0 = Date.UTC(2024, 0, 1);

export function buy(userId: string, itemId: string, day = 0, type: InteractionType = 'PURCHASE'): FlywheelEvent {
  return { kind: 'interaction', v: EVENT_SCHEMA_VERSION, id: `t${n++}`, type, userId, itemId, timestamp: T0 + day * DAY };
}

export function view(sessionId: string, itemId: string, day = 0): FlywheelEvent {
  return { kind: 'interaction', v: EVENT_SCHEMA_VERSION, id: `t${n++}`, type: 'VIEW', sessionId, itemId, timestamp: T0 + day * DAY };
}

export function item(itemId: string, title: string, category?: string, price?: number): FlywheelEvent {
  return {
    kind: 'item',
    v: EVENT_SCHEMA_VERSION,
    id: `i${n++}`,
    itemId,
    title,
    ...(category ? { category } : {}),
    ...(price !== undefined ? { price } : {}),
    timestamp: T0,
  };
}

/** A small shop with two clear baskets: {a1..a4} are bought together, {b1..b4} are bought together. */
export function twoBasketShop(): FlywheelEvent[] {
  const events: FlywheelEvent[] = [];
  for (const [id, cat, price] of [
    ['a1', 'kitchen', 5],
    ['a2', 'kitchen', 6],
    ['a3', 'kitchen', 50],
    ['a4', 'garden', 7],
    ['b1', 'garden', 3],
    ['b2', 'garden', 4],
    ['b3', 'garden', 5],
    ['b4', 'toys', 9],
  ] as const) {
    events.push(item(id, `${id} ${cat} thing`, cat, price));
  }
  for (let u = 0; u < 12; u++) {
    const basket = u % 2 === 0 ? ['a1', 'a2', 'a3', 'a4'] : ['b1', 'b2', 'b3', 'b4'];
    // every shopper misses one item of the basket, so there is something to recommend
    basket.forEach((i, k) => k !== (u >> 1) % 4 && events.push(buy(`u${u}`, i, k)));
  }
  return events;
}

/**
 * Runs `work` (already warmed up: optimised code, buffers grown) and reports what it cost the heap: the
 * heap's growth across it and the garbage collections that started during it. Allocation-free kernels
 * assert both are (near) zero.
 */
export async function heapCostOf(work: () => void): Promise<{ heapGrowth: number; gcs: number }> {
  const starts: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) starts.push(e.startTime);
  });
  obs.observe({ entryTypes: ['gc'] });
  const t0 = performance.now();
  const heap0 = process.memoryUsage().heapUsed;
  work();
  const heap1 = process.memoryUsage().heapUsed;
  const t1 = performance.now();
  await new Promise((r) => setTimeout(r, 50)); // gc entries are delivered asynchronously
  obs.disconnect();
  return { heapGrowth: heap1 - heap0, gcs: starts.filter((t) => t >= t0 && t <= t1).length };
}
