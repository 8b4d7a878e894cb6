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

/** A store that is down for its first `failures` writes (as Neo4j restarting), then holds every item. */
class StoreDownAtFirst implements ItemFactorStore {
  readonly attempts: number[] = [];
  written = 0;
  constructor(private failures: number) {}
  async writeItemFactors(model: ItemFactorModel): Promise<ItemFactorWrite> {
    this.attempts.push(Date.now());
    if (this.failures-- > 0) throw new Error('ServiceUnavailable: the database is restarting');
    this.written++;
    return { written: model.itemIds.length, notInGraph: 0 };
  }
  async readItemFactors(): Promise<ItemFactorModel | null> {
    return null;
  }
}

test('a write that fails is tried again after a doubling wait until it lands; attempts used up leave it to the next fit', async () => {
  const rec = fittedRecommender();
  const store = new StoreDownAtFirst(3);
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg as string) });
  writeAlsFactorsBack(rec, store, logger, { attempts: 10, afterMs: 20 });
  rec.refreshNow();
  await until('written once the store is back', () => store.written === 1);
  assert.equal(store.attempts.length, 4, 'three failures, then the write');
  const gaps = store.attempts.slice(1).map((t, i) => t - store.attempts[i]!);
  assert.ok(gaps[0]! >= 19 && gaps[1]! >= 39 && gaps[2]! >= 79, `waits double: ${gaps}`);
  assert.deepEqual(warnings, [
    'could not write the ALS item factors to the graph; trying again',
    'could not write the ALS item factors to the graph; trying again',
    'could not write the ALS item factors to the graph; trying again',
  ]);
  await sleep(100);
  assert.equal(store.attempts.length, 4, 'nothing more once it landed');
  rec.close();

  const down = fittedRecommender();
  const never = new StoreDownAtFirst(Infinity);
  writeAlsFactorsBack(down, never, pino({ level: 'silent' }), { attempts: 2, afterMs: 5 });
  down.refreshNow();
  await until('the first write and its two retries', () => never.attempts.length >= 3);
  await sleep(80);
  assert.equal(never.attempts.length, 3, 'two retries, then it waits for the next fit');
  down.close();
});
