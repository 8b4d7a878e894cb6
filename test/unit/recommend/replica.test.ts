import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recommender } from '../../../src/recommend/recommender';
import { generateDemoShop } from '../../../src/demo/demo-data';
import { MemoryGraph } from '../../../src/graph/embedded/memory-graph';
import { buy } from './helpers';

/**
 * A replica serves the publisher's shipped item model with histories it reads from the graph: for the same
 * graph it must answer exactly what the publisher answers (items, scores to the last bit, reasons), whatever
 * it evicted in between, even for a shopper whose events arrived out of time order (the demo shop's sessions
 * do) and who removed items from the cart.
 */
async function publisherAndReplica(residentUsers: number) {
  const shop = generateDemoShop({ users: 120, seed: 7 });
  const graph = new MemoryGraph();
  await graph.applyEvents(shop.events);
  const publisher = new Recommender(graph, { backgroundRefresh: false, cacheEntries: 0 });
  publisher.applyEvents(shop.events);
  publisher.refreshNow();
  const replica = new Recommender(graph, { backgroundRefresh: false, cacheEntries: 0, itemModel: 'replica', residentUsers });
  await replica.bootstrap();
  // through JSON, as the rows travel
  const rows = JSON.parse(JSON.stringify(publisher.takeChangedModelRows())) as unknown[];
  assert.ok(rows.length > 50, `rows for the solved items: ${rows.length}`);
  assert.deepEqual(replica.installModelRows(rows).rejected, []);
  return { shop, graph, publisher, replica };
}

test('a replica answers what its publisher answers, for every user, with histories read from the graph', async () => {
  const { shop, publisher, replica } = await publisherAndReplica(1000);
  const users = [...new Set(shop.events.flatMap((e) => (e.kind === 'interaction' && e.userId ? [e.userId] : [])))];
  assert.ok(users.length >= 100);
  for (const strategy of ['blend', 'local-ease', 'item-knn', 'rp3beta', 'popular']) {
    for (const userId of users) {
      const req = { userId, first: 10, strategy };
      assert.deepEqual(await replica.recommend(req), await publisher.recommend(req), `${strategy}, ${userId}`);
    }
  }
  assert.deepEqual(await replica.similarItems(shop.itemIds[3]!, 5), await publisher.similarItems(shop.itemIds[3]!, 5));
});

test('a replica holds at most residentUsers histories and answers the same after evicting', async () => {
  const { shop, publisher, replica } = await publisherAndReplica(5);
  const users = [...new Set(shop.events.flatMap((e) => (e.kind === 'interaction' && e.userId ? [e.userId] : [])))].slice(0, 40);
  for (let round = 0; round < 2; round++)
    for (const userId of users) assert.deepEqual(await replica.recommend({ userId, first: 8 }), await publisher.recommend({ userId, first: 8 }), userId);
  assert.ok(replica.index.userIndex.size <= 5, `resident: ${replica.index.userIndex.size}`);
  assert.ok(replica.index.users.length <= 5, `history slots: ${replica.index.users.length}`);
});

test('more concurrent requests than resident histories: each is answered from its own history (none evicted before it is used)', async () => {
  const { shop, publisher, replica } = await publisherAndReplica(3);
  const users = [...new Set(shop.events.flatMap((e) => (e.kind === 'interaction' && e.userId ? [e.userId] : [])))].slice(0, 24);
  // All at once: their history reads are one graph read, and they come back together.
  const lists = await Promise.all(users.map((userId) => replica.recommend({ userId, first: 8 })));
  for (const [n, userId] of users.entries()) assert.deepEqual(lists[n], await publisher.recommend({ userId, first: 8 }), userId);
  assert.ok(replica.index.userIndex.size <= 3, `resident: ${replica.index.userIndex.size}`);
});

test("a replica does not serve strategies that need every user's history", async () => {
  const { replica } = await publisherAndReplica(10);
  const names = replica.strategies().map((s) => s.name);
  assert.ok(!names.includes('user-knn') && !names.includes('als'), names.join(', '));
  await assert.rejects(replica.recommend({ userId: 'x', first: 3, strategy: 'user-knn' }), /unknown strategy/);
});

test('an event the graph has not applied yet reaches a history read after it (the recent events)', async () => {
  const { shop, graph, replica } = await publisherAndReplica(10);
  const userId = 'late-shopper';
  const [a, b] = [shop.itemIds[0]!, shop.itemIds[1]!];
  // the fan-out delivers the purchase of `a` before the graph writer applied it; `b` is in the graph already
  await graph.applyEvents([buy(userId, b, 1)]);
  replica.applyEvents([buy(userId, a, 2)]);
  const list = await replica.recommend({ userId, first: 50 });
  assert.ok(!list.some((r) => r.itemId === a), 'bought a is not recommended: the history has it');
  assert.ok(!list.some((r) => r.itemId === b), 'bought b is not recommended: read from the graph');
  // resident now: later events go straight to the history
  replica.applyEvents([buy(userId, shop.itemIds[2]!, 3)]);
  assert.ok(!(await replica.recommend({ userId, first: 50 })).some((r) => r.itemId === shop.itemIds[2]));
});

test('rows that are not rows of this version are reported and skipped, the others installed', async () => {
  const { replica } = await publisherAndReplica(10);
  const good = { v: 1, item: 'n1', degree: 3, knn: { ids: ['n2'], w: [0.5] }, rp3: { ids: [], w: [] }, ease: { ids: ['n2'], w: [0.25] } };
  const r = replica.installModelRows([
    good,
    { ...good, v: 2 },
    { ...good, item: '' },
    { ...good, knn: { ids: ['x'], w: [] } },
    { ...good, ease: { ids: ['x'], w: [Number.NaN] } },
    'garbage',
    null,
  ]);
  assert.equal(r.installed, 1);
  assert.deepEqual(
    r.rejected.map((x) => x.reason),
    [
      'version 2, this gateway reads 1',
      'item: not a non-empty string',
      'knn: 1 ids but 0 weights',
      'ease: a weight is not a finite number',
      'not an object',
      'not an object',
    ],
  );
  assert.equal(replica.index.degree(replica.index.itemIndex.get('n1')!), 3);
});

test('tied scores rank alike on a replica that met the items in another order (ties go by item id, not by index)', async () => {
  // Four items bought by the same shoppers score the same for a newcomer; the replica interns them in reverse.
  const events = [];
  for (let u = 0; u < 6; u++) for (const i of ['t1', 't2', 't3', 't4', 'seed']) events.push(buy(`s${u}`, i, u));
  events.push(buy('newcomer', 'seed', 9));
  const graph = new MemoryGraph();
  await graph.applyEvents(events);
  const publisher = new Recommender(graph, { backgroundRefresh: false, cacheEntries: 0 });
  publisher.applyEvents(events);
  publisher.refreshNow();
  const replica = new Recommender(graph, { backgroundRefresh: false, cacheEntries: 0, itemModel: 'replica', residentUsers: 10 });
  for (const id of ['t4', 't3', 't2', 't1']) replica.index.internItem(id); // as a catalogue read in another order would
  replica.installModelRows(JSON.parse(JSON.stringify(publisher.takeChangedModelRows())) as unknown[]);
  const tied = (r: Recommender) => [...r.index.itemIndex.keys()].filter((id) => id.startsWith('t'));
  assert.deepEqual(tied(publisher), ['t1', 't2', 't3', 't4']);
  assert.deepEqual(tied(replica), ['t4', 't3', 't2', 't1']);
  for (const strategy of ['blend', 'item-knn', 'popular']) {
    const req = { userId: 'newcomer', first: 4, strategy };
    const list = await publisher.recommend(req);
    assert.equal(new Set(list.map((r) => r.score)).size, 1, `${strategy}: the four items tie: ${JSON.stringify(list)}`);
    assert.deepEqual(await replica.recommend(req), list, strategy);
  }
});
