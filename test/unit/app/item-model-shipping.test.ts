import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startItemModelPublisher } from '../../../src/app/item-model-shipping';
import { createMetrics } from '../../../src/observability/metrics';
import type { ItemModelFeed } from '../../../src/event-log/event-log';
import type { ItemModelRow } from '../../../src/recommend/item-model-rows';
import { Recommender } from '../../../src/recommend/recommender';
import { buy, twoBasketShop } from '../recommend/helpers';

/** A feed in memory that keeps the newest row per key, as a compacted topic does; it can be made to fail. */
function memoryFeed() {
  const rows = new Map<string, ItemModelRow>();
  const feed = {
    failing: false,
    requests: 0,
    rows,
    async publish(batch: readonly { key: string; value: unknown }[]) {
      feed.requests++;
      if (feed.failing) throw new Error('broker unavailable');
      for (const r of batch) rows.set(r.key, r.value as ItemModelRow);
    },
    follow: () => Promise.reject(new Error('not used here')),
    elect: () => Promise.reject(new Error('not used here')),
  };
  return feed satisfies ItemModelFeed;
}

const until = async (what: string, ok: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!ok()) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('the publisher ships every solved item, then what re-solves change; rows that failed go with the next round', async () => {
  const rec = new Recommender(null, { backgroundRefresh: false });
  rec.applyEvents(twoBasketShop());
  rec.refreshNow();
  const feed = memoryFeed();
  feed.failing = true;
  const metrics = createMetrics();
  const value = async (m: { get(): Promise<{ values: { value: number }[] }> }) => (await m.get()).values[0]?.value ?? 0;
  const publisher = startItemModelPublisher(() => rec, feed, pino({ level: 'silent' }), 10, metrics);
  try {
    await until('a round was tried', () => feed.requests >= 2);
    assert.equal(feed.rows.size, 0);
    assert.equal(publisher.published, 0);
    // what an operator sees: failed rounds, and the rows waiting
    assert.ok((await value(metrics.itemModelShipFailures)) >= 2);
    assert.equal(await value(metrics.itemModelRowsPending), 8);
    assert.equal(await value(metrics.itemModelRowsShipped), 0);
    feed.failing = false;
    await until('the rows of the failed rounds were shipped', () => feed.rows.size === 8);
    assert.equal(await value(metrics.itemModelRowsShipped), 8);
    assert.equal(await value(metrics.itemModelRowsPending), 0);
    const before = feed.rows.get('a1')!;
    // a new shopper links a1 and b1: both items (and the shopper's other items) are re-solved and shipped again
    rec.applyEvents([buy('x', 'a1', 50), buy('x', 'b1', 50)]);
    rec.refreshNow();
    await until('the changed rows were shipped', () => feed.rows.get('a1') !== before);
    assert.equal(feed.rows.get('a1')!.degree, before.degree + 1);
    assert.ok(feed.rows.get('a1')!.knn.ids.includes('b1'), 'a1 now has b1 among its neighbours');
  } finally {
    await publisher.stop();
  }
  const shipped = publisher.published;
  rec.applyEvents([buy('y', 'a2', 60)]);
  rec.refreshNow();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(publisher.published, shipped, 'nothing ships after stop');
});

test('stop ships what is pending before it returns', async () => {
  const rec = new Recommender(null, { backgroundRefresh: false });
  rec.applyEvents(twoBasketShop());
  rec.refreshNow();
  const feed = memoryFeed();
  const publisher = startItemModelPublisher(() => rec, feed, pino({ level: 'silent' }), 60_000);
  await publisher.stop();
  assert.equal(feed.rows.size, 8);
});

test('a standby publisher ships nothing; once it leads it ships the whole model, and again after it lost and regained the lead', async () => {
  const rec = new Recommender(null, { backgroundRefresh: false });
  rec.applyEvents(twoBasketShop());
  rec.refreshNow();
  const feed = memoryFeed();
  let leading = false;
  const publisher = startItemModelPublisher(
    () => rec,
    feed,
    pino({ level: 'silent' }),
    5,
    undefined,
    () => leading,
  );
  try {
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(feed.requests, 0, 'a standby ships nothing');
    rec.applyEvents([buy('x', 'a1', 50)]);
    rec.refreshNow(); // a change while standing by: the new leader's first round includes it
    leading = true;
    await until('the new leader shipped the whole model', () => feed.rows.size === 8);
    const shipped = publisher.published;
    assert.equal(shipped, 8);
    leading = false;
    await new Promise((r) => setTimeout(r, 30));
    leading = true;
    await until('the whole model again after regaining the lead', () => publisher.published === shipped + 8);
  } finally {
    await publisher.stop();
  }
});
