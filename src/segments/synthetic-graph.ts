/**
 * Synthetic purchase events for tests and benchmarks of segmentation on the graph (deterministic for a
 * seed): five behaviours in log-RFM space (champions, loyal, new, at risk, hibernating), one PURCHASE event
 * per order over a catalog with skewed popularity. About 2.4 events per user.
 */
import type { InteractionEvent } from '../events/event';
import { createRng } from './random.js';

export const SYNTHETIC_AS_OF = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;

export type SyntheticGroup = 'champion' | 'loyal' | 'new' | 'at-risk' | 'hibernating';

const GROUPS: { group: SyntheticGroup; share: number; recency: [number, number]; orders: [number, number]; basket: number }[] = [
  { group: 'champion', share: 0.1, recency: [0, 15], orders: [6, 12], basket: 80 },
  { group: 'loyal', share: 0.2, recency: [10, 60], orders: [3, 5], basket: 50 },
  { group: 'new', share: 0.2, recency: [0, 20], orders: [1, 1], basket: 25 },
  { group: 'at-risk', share: 0.2, recency: [90, 200], orders: [2, 4], basket: 45 },
  { group: 'hibernating', share: 0.3, recency: [200, 365], orders: [1, 1], basket: 15 },
];

/** Batches of events for `users` users (ids `${prefix}${n}`), and each user's group via `groupOf`. */
export function* syntheticPurchaseBatches(
  users: number,
  { seed = 1, prefix = 'su', batchSize = 20_000, items = 2000, asOf = SYNTHETIC_AS_OF } = {},
): Generator<InteractionEvent[]> {
  const rng = createRng(seed);
  let batch: InteractionEvent[] = [];
  for (let u = 0; u < users; u++) {
    const g = pickGroup(u);
    const userId = `${prefix}${u}`;
    const orders = g.orders[0] + Math.floor(rng() * (g.orders[1] - g.orders[0] + 1));
    const last = asOf - (g.recency[0] + rng() * (g.recency[1] - g.recency[0])) * DAY;
    for (let o = 0; o < orders; o++) {
      // Skewed popularity: low item numbers are bought far more often.
      const item = Math.floor(items * rng() * rng() * rng());
      const quantity = 1 + Math.floor(rng() * 4);
      const price = Math.round((g.basket / quantity) * (0.5 + rng()) * 100) / 100;
      const timestamp = Math.round(last - o * (3 + rng() * 20) * DAY);
      batch.push({ kind: 'interaction', v: 1, id: `${userId}:${o}`, type: 'PURCHASE', userId, itemId: `sku-${item}`, timestamp, quantity, price });
    }
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** The group of synthetic user number `u` (deterministic, independent of the seed). */
export function syntheticGroupOf(u: number): SyntheticGroup {
  return pickGroup(u).group;
}

function pickGroup(u: number): (typeof GROUPS)[number] {
  // Deterministic stratification: the user number's position in a cycle of 100.
  const x = ((u * 37) % 100) / 100;
  let acc = 0;
  for (const g of GROUPS) {
    acc += g.share;
    if (x < acc) return g;
  }
  return GROUPS[GROUPS.length - 1]!;
}
