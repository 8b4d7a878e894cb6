import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Neo4jGraphStore } from '../../src/graph/neo4j/neo4j-graph-store';
import { EVENT_SCHEMA_VERSION, type FlywheelEvent } from '../../src/events/event';
import type { ItemFactorModel } from '../../src/graph/stores/item-factors';
import { RecommendationsDocument, TrackEventsDocument } from '../../src/generated/graphql/graphql';
import { startTestGateway } from '../helpers/gateway';
import { run } from '../helpers/typed-client';
import { cleanNeo4j, KAFKA_SKIP, NEO4J_SKIP, neo4jOptions, productionEnv } from './servers';

/**
 * ALS item factors on Neo4j (src/graph/neo4j/item-factors.ts, src/app/als-factors.ts): written back after a
 * fit, read whole or not at all, and loaded by a gateway at start so that it serves `als` without fitting.
 */
const T = Date.UTC(2025, 0, 1);

function model(ids: string[], k: number, base: number, fittedAt: number): ItemFactorModel {
  return {
    formatVersion: 1,
    factors: k,
    hyperparameters: { regularization: 1, alpha: 3, confidence: 'linear', logEpsilon: 1, halfLifeDays: 180 },
    fittedAt,
    fitMs: 12.5,
    position: { interactions: 3, users: 1, items: ids.length, latestEventAt: T },
    itemIds: ids,
    vectors: Float64Array.from({ length: ids.length * k }, (_, t) => base + t / 7 - 0.3),
  };
}

test('item factors are written to the items and read back whole; a model half-overwritten by another fit is not read', { skip: NEO4J_SKIP }, async () => {
  await cleanNeo4j();
  const store = await Neo4jGraphStore.open(neo4jOptions());
  try {
    const events: FlywheelEvent[] = ['f1', 'f2', 'f3'].map((itemId, t) => ({
      kind: 'interaction',
      v: EVENT_SCHEMA_VERSION,
      id: `f-${t}`,
      type: 'PURCHASE',
      userId: 'fu',
      itemId,
      timestamp: T + t,
    }));
    await store.applyEvents(events);
    assert.equal(await store.itemFactors.readItemFactors(), null, 'nothing stored yet');
    const first = model(['f1', 'f2', 'f3'], 4, 0, T + 10);
    await store.itemFactors.writeItemFactors(first);
    const back = await store.itemFactors.readItemFactors();
    assert.ok(back);
    assert.deepEqual([...back.itemIds], ['f1', 'f2', 'f3']);
    assert.deepEqual(Array.from(back.vectors), Array.from(first.vectors), 'float64 values as written');
    assert.equal(back.factors, 4);
    assert.equal(back.fittedAt, T + 10);
    assert.deepEqual(back.position, first.position);
    assert.deepEqual(back.hyperparameters, first.hyperparameters);

    const second = model(['f1', 'f2', 'f3'], 4, 5, T + 20);
    assert.deepEqual(await store.itemFactors.writeItemFactors(second), { written: 3, notInGraph: 0 });
    assert.deepEqual(Array.from((await store.itemFactors.readItemFactors())!.vectors), Array.from(second.vectors), 'the newer fit replaces it');

    // a fit that names an item the graph writer has not applied yet (the recommender reads the fan-out): the
    // items the graph holds are stored and read back; the caller learns of the one that is not
    const ahead = model(['f1', 'f2', 'f3', 'not-yet'], 4, 9, T + 25);
    assert.deepEqual(await store.itemFactors.writeItemFactors(ahead), { written: 3, notInGraph: 1 });
    const shorter = await store.itemFactors.readItemFactors();
    assert.ok(shorter, 'the items written are a model');
    assert.deepEqual([...shorter.itemIds], ['f1', 'f2', 'f3']);
    assert.deepEqual(Array.from(shorter.vectors), Array.from(ahead.vectors.subarray(0, 12)));
    await store.itemFactors.writeItemFactors(second);

    // an item's vector from a fit whose header is not (yet) the stored one: the model is incomplete
    await store.driver.executeQuery("MATCH (i:Item {id: 'f2'}) SET i.alsFactors = [1.0, 2.0, 3.0, 4.0], i.alsFit = 'a-later-fit'");
    assert.equal(await store.itemFactors.readItemFactors(), null, 'never a mix of two fits');

    const [item] = await store.getItems(['f1']);
    assert.deepEqual(Object.keys(item!).sort(), ['attributes', 'category', 'id', 'inCatalog', 'price', 'title', 'userCount']);
    const index = await store.driver.executeQuery("SHOW INDEXES YIELD name, labelsOrTypes, properties WHERE name = 'item_als_fit' RETURN properties");
    assert.deepEqual(index.records[0]?.get('properties'), ['alsFit'], 'migration 5 indexes the fit tag');
  } finally {
    await store.close();
  }
});

test(
  'a gateway writes its fit to Neo4j; a new gateway loads it at start and serves als at once, without fitting',
  { skip: NEO4J_SKIP ?? KAFKA_SKIP },
  async () => {
    await cleanNeo4j();
    const env = productionEnv('als-factors', {
      FLYWHEEL_RECOMMENDER: 'als',
      FLYWHEEL_ALS_FACTORS: '8',
      FLYWHEEL_ALS_ITERATIONS: '4',
      // a fit that started before the last events reached this gateway's fan-out is followed by another soon
      FLYWHEEL_ALS_REFIT_MINUTES: '0.02',
      FLYWHEEL_ANOMALIES: 'off',
    });
    const first = await startTestGateway({ env });
    let list: { id: string; score: number }[] = [];
    try {
      const events = [];
      for (let u = 0; u < 24; u++) {
        const g = u % 3;
        for (let t = 0; t < 4; t++)
          events.push({ id: `af-${u}-${t}`, type: 'PURCHASE' as const, userId: `af${u}`, itemId: `g${g}-${(u + t) % 6}`, quantity: 1 });
      }
      const tracked = await run(first.graphqlUrl, TrackEventsDocument, { events });
      assert.equal(tracked.data!.trackEvents.accepted, events.length);
      const probe = await Neo4jGraphStore.open(neo4jOptions());
      try {
        const deadline = Date.now() + 60_000;
        let stored: ItemFactorModel | null = null;
        // the first ask of als plans the first fit (a second after), in the refit worker; then the write-back,
        // again until the graph writer has applied every item (it can lag the fan-out the recommender reads)
        while (!stored || stored.position.interactions < events.length || stored.itemIds.length < 18) {
          assert.ok(Date.now() < deadline, 'the fit reached Neo4j within 60 s');
          await run(first.graphqlUrl, RecommendationsDocument, { userId: 'af0', first: 5 });
          await new Promise((r) => setTimeout(r, 200));
          stored = await probe.itemFactors.readItemFactors();
        }
        assert.equal(stored.factors, 8);
        assert.equal(stored.itemIds.length, 18);
        assert.equal(first.app.recommender.als.model!.loaded, false);
      } finally {
        await probe.close();
      }
      const res = await run(first.graphqlUrl, RecommendationsDocument, { userId: 'af0', first: 5 });
      // what als scored (a short list is filled from trending, whose ties fall by each gateway's own item order)
      list = res.data!.recommendations.filter((r) => /\(als/.test(r.reason)).map((r) => ({ id: r.item.id, score: r.score }));
      assert.ok(list.length >= 3, 'als answered');
    } finally {
      await first.close();
    }

    const second = await startTestGateway({ env });
    try {
      const als = second.app.recommender.als;
      assert.ok(als.model, 'factors served from the start');
      assert.equal(als.model.loaded, true, 'loaded from Neo4j');
      assert.equal(als.stale(), false, 'the stored fit saw this very data: no refit planned');
      const res = await run(second.graphqlUrl, RecommendationsDocument, { userId: 'af0', first: 5 });
      const again = res.data!.recommendations.filter((r) => /\(als/.test(r.reason)).map((r) => ({ id: r.item.id, score: r.score }));
      assert.equal(again.length, list.length);
      // the same scores rank by rank; the same items, except that items whose scores tie (this shop's groups are
      // symmetric) may come in another order, since the two gateways number their items differently
      const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a));
      for (let t = 0; t < list.length; t++) {
        assert.ok(close(again[t]!.score, list[t]!.score), `score at rank ${t + 1}: ${again[t]!.score} against ${list[t]!.score}`);
        const tied = list.some((o, u) => u !== t && close(o.score, list[t]!.score));
        if (!tied) assert.equal(again[t]!.id, list[t]!.id, `item at rank ${t + 1}`);
      }
      assert.deepEqual(als.fits, { worker: 0, sync: 0 }, 'no fit');
    } finally {
      await second.close();
    }
  },
);
