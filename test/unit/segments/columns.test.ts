import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ItemUpsertEvent } from '../../../src/events/event';
import { MemoryGraph } from '../../../src/graph/embedded/memory-graph';
import { ActivityColumnsBuilder, columnsFromProfiles } from '../../../src/segments/columns';
import type { CustomerProfile } from '../../../src/segments/features';
import { featuresFromActivity, profileFromActivity } from '../../../src/segments/graph-features';
import { fitSegmentsFromColumns, fitSegmentsWithLabels } from '../../../src/segments/model';
import { SYNTHETIC_AS_OF, syntheticPurchaseBatches } from '../../../src/segments/synthetic-graph';

/** The columnar fit (refit worker, CLI) must give what the profile-based fit gives on the same graph. */
describe('columnar segment fit', () => {
  const graph = new MemoryGraph();
  for (const batch of syntheticPurchaseBatches(3000, { seed: 5, items: 300 })) graph.applySync(batch);
  // A few categories, so top categories are exercised too.
  graph.applySync(
    Array.from({ length: 300 }, (_, i): ItemUpsertEvent => ({
      kind: 'item',
      v: 1,
      id: `upsert-${i}`,
      itemId: `sku-${i}`,
      title: `Item ${i}`,
      category: `cat-${i % 7}`,
      price: 10,
      timestamp: SYNTHETIC_AS_OF - 1000,
    })),
  );

  it('builds the same features as graph-features.ts and matches the profile path', async () => {
    const builder = new ActivityColumnsBuilder();
    const profiles: CustomerProfile[] = [];
    let rows = 0;
    for await (const b of graph.scanPurchaseActivity(700)) {
      builder.add(b);
      for (let r = 0; r < b.userIds.length; r++, rows++) {
        const p = profileFromActivity(b, r, SYNTHETIC_AS_OF);
        if (p) profiles.push(p);
        const f = featuresFromActivity(b, r, SYNTHETIC_AS_OF);
        assert.equal(f === null, builder.rowOf()[rows] === -1);
      }
    }
    const cols = builder.build(SYNTHETIC_AS_OF);
    assert.equal(cols.n, profiles.length);
    for (let i = 0; i < cols.n; i += 97) {
      const f = profiles[i]!.features;
      assert.equal(cols.userIds[i], f.userId);
      for (const name of ['recency', 'frequency', 'monetary', 'tenure', 'breadth', 'categories', 'averageOrderValue'] as const)
        assert.equal(cols.features[name][i], f[name], name);
      assert.equal(Number.isNaN(cols.features.conversion[i]!) ? null : cols.features.conversion[i], f.conversion);
    }
    const opts = { asOf: SYNTHETIC_AS_OF, kRange: [3, 5] as [number, number], seed: 3, topN: 10 };
    const a = fitSegmentsFromColumns(cols, opts);
    const b = fitSegmentsWithLabels(profiles, opts);
    const c = fitSegmentsFromColumns(columnsFromProfiles(profiles), opts);
    for (const other of [b, c]) {
      assert.deepEqual([...other.labels], [...a.labels]);
      assert.equal(other.model.k, a.model.k);
      assert.equal(other.model.silhouette, a.model.silhouette);
      assert.deepEqual(
        other.model.segments.map((s) => [s.id, s.name, s.size, s.centroid, s.topItems]),
        a.model.segments.map((s) => [s.id, s.name, s.size, s.centroid, s.topItems]),
      );
      assert.deepEqual(
        other.model.segments.map((s) => s.topCategories.map((t) => [t.category, t.customers])),
        a.model.segments.map((s) => s.topCategories.map((t) => [t.category, t.customers])),
      );
    }
    assert.ok(a.model.segments.every((s) => s.topCategories.length > 0 && s.topItems.length === 10));
  });

  it('medians are exact (odd and even sizes)', () => {
    const mk = (userId: string, recency: number, frequency: number, monetary: number): CustomerProfile => ({
      features: { userId, recency, frequency, monetary, tenure: recency, breadth: 1, categories: 0, conversion: null, averageOrderValue: monetary / frequency },
      items: new Map(),
      categories: new Map(),
    });
    const ps = [mk('a', 1, 1, 10), mk('b', 3, 1, 30), mk('c', 2, 1, 20), mk('d', 4, 1, 40)];
    const m = fitSegmentsWithLabels(ps, { asOf: 0, k: 1 }).model;
    assert.deepEqual(m.segments[0]!.centroid, { recency: 2.5, frequency: 1, monetary: 25 });
    const m3 = fitSegmentsWithLabels(ps.slice(0, 3), { asOf: 0, k: 1 }).model;
    assert.deepEqual(m3.segments[0]!.centroid, { recency: 2, frequency: 1, monetary: 20 });
  });
});
