import 'reflect-metadata';
import { generateDemoShop } from '../src/demo/demo-data';
import type { FlywheelEvent } from '../src/events/event';
import { MemoryGraph } from '../src/graph/embedded/memory-graph';
import { Recommender } from '../src/recommend/recommender';

/**
 * How far a gateway's live item model drifts from one solved from scratch on the same data
 * (`node dist/bench/model-drift.js`, BENCH_DRIFT_USERS=400 shoppers of the demo shop).
 *
 * A live model re-solves, per event, the item and the user's latest items (item-model.ts): an item whose
 * neighbours' degrees changed keeps its old normalisation until it is touched. So two gateways that saw the same
 * events in other interleavings (Kafka partitions read side by side), or one that joined and solved everything
 * from the stored edges, may serve other lists. Compared, for 100 shoppers' top 10: a live model (batches of 50,
 * each followed by a re-solve of what it marked, as the background refresh does), a second live model fed the
 * events in another interleaving, and a model bootstrapped from the graph and solved whole; then the same after a
 * full re-solve of both live models (`invalidateAll`).
 */
const USERS = Number(process.env.BENCH_DRIFT_USERS ?? 400);

function live(graph: MemoryGraph, batches: FlywheelEvent[][]): Recommender {
  const r = new Recommender(graph, { backgroundRefresh: false, cacheEntries: 0 });
  for (const b of batches) {
    r.applyEvents(b);
    r.model.refreshSome(Infinity);
  }
  return r;
}

async function agreement(x: Recommender, y: Recommender, users: string[]): Promise<{ sameItems: number; identical: number }> {
  let sameItems = 0;
  let identical = 0;
  for (const userId of users) {
    const [a, b] = [await x.recommend({ userId, first: 10 }), await y.recommend({ userId, first: 10 })];
    if (a.map((r) => r.itemId).join() === b.map((r) => r.itemId).join()) sameItems++;
    if (JSON.stringify(a) === JSON.stringify(b)) identical++;
  }
  return { sameItems, identical };
}

async function main(): Promise<void> {
  const shop = generateDemoShop({ users: USERS, seed: 11 });
  const graph = new MemoryGraph();
  await graph.applyEvents(shop.events);
  const inOrder: FlywheelEvent[][] = [];
  for (let i = 0; i < shop.events.length; i += 50) inOrder.push(shop.events.slice(i, i + 50));
  // another interleaving: two halves (as two partitions) read in alternating batches of 37
  const [even, odd] = [shop.events.filter((_, k) => k % 2 === 0), shop.events.filter((_, k) => k % 2 === 1)];
  const interleaved: FlywheelEvent[][] = [];
  for (let i = 0; i < even.length; i += 37) interleaved.push(odd.slice(i, i + 37), even.slice(i, i + 37));
  const a = live(graph, inOrder);
  const b = live(graph, interleaved);
  const fresh = new Recommender(graph, { backgroundRefresh: false, cacheEntries: 0 });
  await fresh.bootstrap();
  fresh.refreshNow();
  const users = [...new Set(shop.events.flatMap((e) => (e.kind === 'interaction' && e.userId ? [e.userId] : [])))].slice(0, 100);
  const report = async (when: string) => {
    const [vsFresh, vsOther] = [await agreement(a, fresh, users), await agreement(a, b, users)];
    console.log(
      `${when}: live vs solved from scratch: same top 10 for ${vsFresh.sameItems} of ${users.length}, identical ${vsFresh.identical}; live vs live in another interleaving: ${vsOther.sameItems}, identical ${vsOther.identical}`,
    );
    return { vsFresh, vsOther };
  };
  const before = await report('live models');
  for (const r of [a, b]) {
    r.model.invalidateAll();
    r.refreshNow();
  }
  const after = await report('after a full re-solve of both live models');
  console.log(JSON.stringify({ users: users.length, before, after }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
