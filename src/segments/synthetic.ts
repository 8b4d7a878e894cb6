/** Synthetic data for tests and benchmarks of the segmentation module (deterministic for a seed). */
import { createRng } from './random.js';
import type { CustomerActivity, Purchase } from './features.js';

export const DAY = 86_400_000;
export const AS_OF = Date.UTC(2024, 0, 1);

/** Gaussian blobs in `d` dims: returns row-major data and the true blob of each point. */
export function blobs(centres: number[][], perBlob: number, sd: number, seed: number): { data: Float64Array; truth: Int32Array; d: number } {
  const rng = createRng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const d = centres[0]!.length;
  const n = centres.length * perBlob;
  const data = new Float64Array(n * d);
  const truth = new Int32Array(n);
  let i = 0;
  for (let b = 0; b < centres.length; b++) {
    for (let p = 0; p < perBlob; p++, i++) {
      truth[i] = b;
      for (let j = 0; j < d; j++) data[i * d + j] = centres[b]![j]! + sd * gauss();
    }
  }
  return { data, truth, d };
}

export type Group = 'champion' | 'hibernating' | 'new';

/**
 * Synthetic customers in three clearly different behaviours:
 * champions (bought every ~5 days for a year, big baskets), hibernating (one small order ~300 days ago),
 * new (one small order in the last few days).
 */
export function syntheticCustomers(perGroup: number, seed: number, prefix = 'u'): { activities: CustomerActivity[]; group: Map<string, Group> } {
  const rng = createRng(seed);
  const activities: CustomerActivity[] = [];
  const group = new Map<string, Group>();
  const order = (userId: string, o: number, ts: number, items: string[], qty: number): Purchase[] =>
    items.map((itemId) => ({
      timestamp: ts,
      itemId,
      quantity: qty,
      unitPrice: 2 + rng() * 3,
      orderId: `${userId}-${o}`,
      category: itemId.startsWith('a') ? 'home' : 'garden',
    }));
  let u = 0;
  for (const g of ['champion', 'hibernating', 'new'] as const) {
    for (let p = 0; p < perGroup; p++) {
      const userId = `${prefix}${String(u++).padStart(5, '0')}`;
      const purchases: Purchase[] = [];
      if (g === 'champion') {
        const orders = 40 + Math.floor(rng() * 30);
        for (let o = 0; o < orders; o++)
          purchases.push(...order(userId, o, AS_OF - (1 + rng() * 360) * DAY, ['a1', 'a2', `b${o % 7}`], 10 + Math.floor(rng() * 20)));
        purchases.push(...order(userId, 999, AS_OF - rng() * 3 * DAY, ['a1'], 12));
      } else if (g === 'hibernating') {
        purchases.push(...order(userId, 0, AS_OF - (250 + rng() * 100) * DAY, ['c1'], 1));
      } else {
        purchases.push(...order(userId, 0, AS_OF - (0.5 + rng() * 4) * DAY, ['n1', 'n2'], 1));
      }
      activities.push({ userId, purchases, views: 10 + Math.floor(rng() * 50) });
      group.set(userId, g);
    }
  }
  return { activities, group };
}

export function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const rng = createRng(seed);
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
