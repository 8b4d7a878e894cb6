import { MemoryGraph } from '../src/graph/embedded/memory-graph';
import { syntheticEvents } from '../src/recommend/synthetic';
import { heapUsed } from './shared';

/**
 * What the embedded graph's applied event ids (idempotency keys, src/graph/embedded/applied-ids.ts) cost in
 * memory, next to the rest of the graph:
 *   node --expose-gc dist/bench/applied-ids.js [events=1000000]
 * Applies the synthetic shop's events, measures the heap, forgets the ids, measures again. Prints one JSON
 * object. The idempotency window bounds the ids to one to two windows of events; a run of this bench is
 * inside one window, so it shows what each id costs, not the bound.
 */
const [events = 1_000_000] = process.argv.slice(2).map(Number);

async function main(): Promise<void> {
  const g = new MemoryGraph();
  const heap0 = heapUsed();
  let applied = 0;
  for (const batch of syntheticEvents({ users: Math.round(events / 50), items: 50_000, interactions: events, seed: 1, batchSize: 10_000 })) {
    applied += (await g.applyEvents(batch)).applied;
  }
  const withIds = heapUsed();
  const ids = (g as unknown as { state: { appliedIds: { size: number; clear(): void } } }).state.appliedIds;
  const count = ids.size;
  ids.clear();
  const withoutIds = heapUsed();
  console.log(
    JSON.stringify({
      events: applied,
      ids: count,
      graphMB: Math.round((withIds - heap0) / 1e6),
      idsMB: Math.round((withIds - withoutIds) / 1e6),
      bytesPerId: Math.round((withIds - withoutIds) / count),
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
