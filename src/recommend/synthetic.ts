import { mulberry32 as rng } from '../util/prng';
import { EVENT_SCHEMA_VERSION, type FlywheelEvent } from '../events/event';

/**
 * A deterministic synthetic shop for benchmarks: items in categories (100 items each), users with one to
 * three favourite categories, Zipf-like popularity inside a category, 90 % of a user's events in their
 * favourites. Streams events in batches so 5M interactions never sit in memory at once.
 */
export interface SyntheticOptions {
  users: number;
  items: number;
  interactions: number;
  seed: number;
  batchSize: number;
}

export const DEFAULT_SYNTHETIC: SyntheticOptions = { users: 100_000, items: 50_000, interactions: 5_000_000, seed: 42, batchSize: 100_000 };

export { mulberry32 as rng } from '../util/prng';

export function* syntheticEvents(opts: Partial<SyntheticOptions> = {}): Generator<FlywheelEvent[]> {
  const o = { ...DEFAULT_SYNTHETIC, ...opts };
  const r = rng(o.seed);
  const perCat = 100;
  const cats = Math.ceil(o.items / perCat);
  const t0 = Date.UTC(2024, 0, 1);
  let batch: FlywheelEvent[] = [];
  for (let i = 0; i < o.items; i++) {
    batch.push({
      kind: 'item',
      v: EVENT_SCHEMA_VERSION,
      id: `si${i}`,
      itemId: `i${i}`,
      title: `item ${i} of cat${Math.floor(i / perCat)}`,
      category: `cat${Math.floor(i / perCat)}`,
      price: 1 + Math.floor(r() * 100),
      timestamp: t0,
    });
  }
  yield batch;
  batch = [];
  const favs = Array.from({ length: o.users }, () => Array.from({ length: 1 + Math.floor(r() * 3) }, () => Math.floor(r() * cats)));
  const types = ['VIEW', 'VIEW', 'CLICK', 'ADD_TO_CART', 'PURCHASE'] as const;
  for (let e = 0; e < o.interactions; e++) {
    const u = Math.floor(Math.pow(r(), 1.5) * o.users); // some users far more active than others
    const f = favs[u]!;
    const cat = r() < 0.9 ? f[Math.floor(r() * f.length)]! : Math.floor(r() * cats);
    const within = Math.floor(Math.pow(r(), 2) * perCat); // Zipf-ish inside the category
    const item = Math.min(o.items - 1, cat * perCat + within);
    batch.push({
      kind: 'interaction',
      v: EVENT_SCHEMA_VERSION,
      id: `se${e}`,
      type: types[Math.floor(r() * types.length)]!,
      userId: `u${u}`,
      itemId: `i${item}`,
      timestamp: t0 + e * 500,
    });
    if (batch.length >= o.batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
