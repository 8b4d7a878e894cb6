import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ItemCache, type ItemCacheOptions, type ItemLoad } from '../../../src/graph/neo4j/item-cache';
import type { ItemNode } from '../../../src/graph/stores/graph-reads';

const item = (id: string, title = id): ItemNode => ({ id, title, category: null, price: null, attributes: {}, inCatalog: true, userCount: 1 });

/** A stand-in for Neo4j's getItems: answers from a map, and records which ids each call asked for. */
function source(catalogue: Map<string, ItemNode>) {
  const calls: string[][] = [];
  return {
    calls,
    load: async (ids: readonly string[]) => {
      calls.push([...ids]);
      return ids.map((id) => catalogue.get(id) ?? null);
    },
  };
}

/** A cache over `first`, whose source a test can swap for a slow or failing Neo4j (`use`). */
function cacheOver(options: ItemCacheOptions, first: ItemLoad) {
  let current = first;
  const cache = new ItemCache(options, (ids) => current(ids));
  return Object.assign(cache, { use: (load: ItemLoad) => (current = load) });
}

test('items are read once and then served from memory, in the order asked, misses in one call', async () => {
  const catalogue = new Map([
    ['a', item('a')],
    ['b', item('b')],
    ['c', item('c')],
  ]);
  const src = source(catalogue);
  const cache = cacheOver({ entries: 100, ttlMs: 60_000 }, src.load);
  assert.deepEqual(
    (await cache.read(['a', 'b'])).map((i) => i?.id),
    ['a', 'b'],
  );
  assert.deepEqual(
    (await cache.read(['c', 'a', 'x', 'b'])).map((i) => i?.id ?? null),
    ['c', 'a', null, 'b'],
  );
  // The second read asked only for what it did not hold; the unknown item is asked for again next time.
  assert.deepEqual(src.calls, [
    ['a', 'b'],
    ['c', 'x'],
  ]);
  await cache.read(['x']);
  assert.deepEqual(src.calls.at(-1), ['x']);
});

test("this gateway's writes are seen at once: forget and clear drop what they name", async () => {
  const catalogue = new Map([
    ['a', item('a', 'old')],
    ['b', item('b', 'old')],
  ]);
  const src = source(catalogue);
  const cache = cacheOver({ entries: 100, ttlMs: 60_000 }, src.load);
  await cache.read(['a', 'b']);
  catalogue.set('a', item('a', 'new'));
  catalogue.set('b', item('b', 'new'));
  cache.forget(['a']);
  assert.deepEqual(
    (await cache.read(['a', 'b'])).map((i) => i?.title),
    ['new', 'old'],
  );
  cache.clear();
  assert.deepEqual(
    (await cache.read(['a', 'b'])).map((i) => i?.title),
    ['new', 'new'],
  );
});

test('a read that started before a write does not keep what it loaded (it may predate the write)', async () => {
  const catalogue = new Map([['a', item('a', 'old')]]);
  let release!: () => void;
  const slow = (ids: readonly string[]) =>
    new Promise<(ItemNode | null)[]>((resolve) => {
      const answer = ids.map((id) => catalogue.get(id) ?? null); // read before the write below
      release = () => resolve(answer);
    });
  const cache = cacheOver({ entries: 100, ttlMs: 60_000 }, slow);
  const inFlight = cache.read(['a']);
  await new Promise((r) => setImmediate(r)); // misses are read together at the end of the turn
  catalogue.set('a', item('a', 'new'));
  cache.forget(['a']);
  release();
  assert.equal((await inFlight)[0]?.title, 'old');
  cache.use(source(catalogue).load);
  assert.equal((await cache.read(['a']))[0]?.title, 'new');
});

test('kept items expire after ttlMs (other gateways’ writes), and the cache holds at most `entries`', async () => {
  const catalogue = new Map(Array.from({ length: 10 }, (_, k) => [`i${k}`, item(`i${k}`)] as const));
  const src = source(catalogue);
  const cache = cacheOver({ entries: 4, ttlMs: 30 }, src.load);
  await cache.read([...catalogue.keys()]);
  assert.equal(cache.size, 4);
  await cache.read(['i9']);
  assert.equal(src.calls.length, 1, 'i9 is among the newest four');
  await new Promise((r) => setTimeout(r, 60));
  await cache.read(['i9']);
  assert.deepEqual(src.calls.at(-1), ['i9'], 'expired: read again');
});

test('entries 0 (or ttl 0) turns it off: every read goes to the source', async () => {
  const src = source(new Map([['a', item('a')]]));
  for (const cache of [cacheOver({ entries: 0, ttlMs: 1000 }, src.load), cacheOver({ entries: 10, ttlMs: 0 }, src.load)]) {
    await cache.read(['a']);
    await cache.read(['a']);
  }
  assert.equal(src.calls.length, 4);
});

test('a write to other items, or a batch that touched none, does not stop a read in flight from keeping its items', async () => {
  const catalogue = new Map([
    ['a', item('a')],
    ['b', item('b')],
  ]);
  let release!: () => void;
  const slow = (ids: readonly string[]) =>
    new Promise<(ItemNode | null)[]>((resolve) => {
      release = () => resolve(ids.map((id) => catalogue.get(id) ?? null));
    });
  const cache = cacheOver({ entries: 100, ttlMs: 60_000 }, slow);
  const inFlight = cache.read(['a']);
  await new Promise((r) => setImmediate(r));
  cache.forget([]); // a batch of impressions: nothing in the graph changed
  cache.forget(['b']);
  release();
  await inFlight;
  const src = source(catalogue);
  cache.use(src.load);
  await cache.read(['a']);
  assert.deepEqual(src.calls, [], 'a was kept');
});

test('an item asked for in the second half of its ttl is served at once and read again in the background, with the others due', async () => {
  const catalogue = new Map([
    ['a', item('a', 'v1')],
    ['b', item('b', 'v1')],
  ]);
  const src = source(catalogue);
  const cache = cacheOver({ entries: 100, ttlMs: 200 }, src.load);
  await cache.read(['a', 'b']);
  await new Promise((r) => setTimeout(r, 120));
  catalogue.set('a', item('a', 'v2'));
  catalogue.set('b', item('b', 'v2'));
  const served = cache.read(['a']);
  const servedToo = cache.read(['b']);
  assert.deepEqual([(await served)[0]?.title, (await servedToo)[0]?.title], ['v1', 'v1'], 'what is kept, without waiting');
  await new Promise((r) => setImmediate(r));
  assert.equal(src.calls.length, 1, 'due items wait for each other (ttl / 10 here: 20 ms)');
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(
    src.calls,
    [
      ['a', 'b'],
      ['a', 'b'],
    ],
    'one background read for both',
  );
  // past the first read's ttl, the refreshed items are served from memory
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(
    (await cache.read(['a', 'b'])).map((i) => i?.title),
    ['v2', 'v2'],
  );
  assert.equal(src.calls.length, 2, 'not read again: the refresh renewed them');
});

test('a background refresh that started before a write to its item does not keep what it read', async () => {
  const catalogue = new Map([['a', item('a', 'v1')]]);
  const cache = cacheOver({ entries: 100, ttlMs: 100 }, source(catalogue).load);
  await cache.read(['a']);
  await new Promise((r) => setTimeout(r, 60));
  let release!: () => void;
  let asked = 0;
  const slow = (ids: readonly string[]) =>
    new Promise<(ItemNode | null)[]>((resolve) => {
      asked++;
      const answer = ids.map((id) => catalogue.get(id) ?? null);
      release = () => resolve(answer);
    });
  cache.use(slow);
  await cache.read(['a']); // due: refresh planned
  await new Promise((r) => setTimeout(r, 25));
  assert.equal(asked, 1, 'the refresh is in flight');
  catalogue.set('a', item('a', 'v2'));
  cache.forget(['a']);
  release();
  await new Promise((r) => setImmediate(r));
  cache.use(source(catalogue).load);
  assert.equal((await cache.read(['a']))[0]?.title, 'v2');
});

test('misses of one turn, from any number of requests, are one read; a miss already being read is shared', async () => {
  const catalogue = new Map(['a', 'b', 'c'].map((id) => [id, item(id)] as const));
  const src = source(catalogue);
  const cache = cacheOver({ entries: 100, ttlMs: 60_000 }, src.load);
  const lists = await Promise.all([cache.read(['a', 'b']), cache.read(['b', 'c']), cache.read(['a'])]);
  assert.deepEqual(
    lists.map((l) => l.map((i) => i?.id)),
    [['a', 'b'], ['b', 'c'], ['a']],
  );
  assert.deepEqual(src.calls, [['a', 'b', 'c']], 'one read for the three requests');
  let release!: () => void;
  const slow = (ids: readonly string[]) =>
    new Promise<(ItemNode | null)[]>((resolve) => {
      release = () => resolve(ids.map((id) => item(id, 'slow')));
    });
  cache.clear();
  cache.use(slow);
  const first = cache.read(['a']);
  await new Promise((r) => setImmediate(r));
  cache.use(src.load);
  const second = cache.read(['a']); // a is being read: wait for that read, do not start another
  release();
  assert.deepEqual([(await first)[0]?.title, (await second)[0]?.title], ['slow', 'slow']);
  assert.equal(src.calls.length, 1);
});

test('a failed shared read fails every request waiting for it, and the next miss reads again', async () => {
  const failing = () => Promise.reject(new Error('neo4j down'));
  const cache = cacheOver({ entries: 100, ttlMs: 60_000 }, failing);
  const results = await Promise.allSettled([cache.read(['a']), cache.read(['a', 'b'])]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
  const src = source(new Map([['a', item('a')]]));
  cache.use(src.load);
  assert.equal((await cache.read(['a']))[0]?.id, 'a');
  assert.equal(src.calls.length, 1);
});
