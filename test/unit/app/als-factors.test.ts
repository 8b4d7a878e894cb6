import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { writeAlsFactorsBack } from '../../../src/app/als-factors';
import { Recommender } from '../../../src/recommend/recommender';
import type { ItemFactorModel, ItemFactorStore, ItemFactorWrite } from '../../../src/graph/stores/item-factors';
import { buy, twoBasketShop } from '../recommend/helpers';

/**
 * The write-back of ALS fits to the graph store (src/app/als-factors.ts). The recommender reads the fan-out
 * and the graph writer its own consumer group, so a fit can name items the graph does not hold yet: such a
 * fit is written again until every item got its vector, unless a newer fit replaces it.
 */

/** A store that holds `known` items; what it was asked to write, in order. */
class GraphOfKnownItems implements ItemFactorStore {
  readonly writes: { fittedAt: number; written: number }[] = [];
  constructor(readonly known: Set<string>) {}
  async writeItemFactors(model: ItemFactorModel): Promise<ItemFactorWrite> {
    const written = model.itemIds.filter((id) => this.known.has(id)).length;
    this.writes.push({ fittedAt: model.fittedAt, written });
    return { written, notInGraph: model.itemIds.length - written };
  }
  async readItemFactors(): Promise<ItemFactorModel | null> {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!ok()) {
    assert.ok(Date.now() < deadline, what);
    await sleep(5);
  }
}

function fittedRecommender(): Recommender {
  const rec = new Recommender(null, { backgroundRefresh: false, cacheEntries: 0, defaultStrategy: 'als', als: { factors: 4, iterations: 4, refitMinutes: 0 } });
  rec.applyEvents(twoBasketShop());
  return rec;
}

test('a fit with items the graph does not hold yet is written again once they are there; a full write is not repeated', async () => {
  const rec = fittedRecommender();
  const items = () => rec.index.items.map((m) => m.id);
  const store = new GraphOfKnownItems(new Set());
  writeAlsFactorsBack(rec, store, pino({ level: 'silent' }), { attempts: 10, afterMs: 20 });
  for (const id of items().slice(0, 2)) store.known.add(id);
  rec.refreshNow();
  await until('the fit is written', () => store.writes.length >= 1);
  assert.equal(store.writes[0]!.written, 2, 'only the items the graph holds');
  await until('written again', () => store.writes.length >= 2);
  for (const id of items()) store.known.add(id);
  await until('every item written', () => store.writes.at(-1)!.written === items().length);
  const n = store.writes.length;
  await sleep(100);
  assert.equal(store.writes.length, n, 'no write after a whole one');
  assert.ok(
    store.writes.every((w) => w.fittedAt === store.writes[0]!.fittedAt),
    'the same fit each time',
  );
  rec.close();
});

test('the rewrites of a short fit stop after their attempts, when a newer fit comes, and when the recommender closes', async () => {
  const rec = fittedRecommender();
  const store = new GraphOfKnownItems(new Set());
  writeAlsFactorsBack(rec, store, pino({ level: 'silent' }), { attempts: 3, afterMs: 10 });
  rec.refreshNow();
  await until('first write and three more', () => store.writes.length >= 4);
  await sleep(80);
  assert.equal(store.writes.length, 4, 'three rewrites, then it waits for the next fit');

  rec.applyEvents([buy('late', 'a1', 50)]);
  rec.refreshNow();
  await until('the newer fit is written', () => store.writes.length >= 5);
  const newer = store.writes[4]!.fittedAt;
  assert.ok(newer >= store.writes[0]!.fittedAt);
  rec.close();
  const n = store.writes.length;
  await sleep(80);
  assert.equal(store.writes.length, n, 'nothing written after close');
});
