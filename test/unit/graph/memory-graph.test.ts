import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryGraph } from '../../../src/graph/embedded/memory-graph';
import type { FlywheelEvent, InteractionType } from '../../../src/events/event';
import type { InteractionEdge } from '../../../src/graph/graph-store';

let seq = 0;
const t0 = Date.UTC(2025, 0, 1);
function ev(userId: string, itemId: string, type: InteractionType = 'PURCHASE', extra: Partial<FlywheelEvent> = {}): FlywheelEvent {
  return {
    kind: 'interaction',
    v: 1,
    id: `e${++seq}`,
    type,
    userId,
    itemId,
    timestamp: t0 + seq * 1000,
    ...(type === 'PURCHASE' ? { quantity: 1, price: 2 } : {}),
    ...extra,
  } as FlywheelEvent;
}

test('an event id applied twice counts once', async () => {
  const g = new MemoryGraph();
  const e = ev('u1', 'i1');
  const first = await g.applyEvents([e, e]);
  const again = await g.applyEvents([e]);
  assert.equal(first.applied, 1);
  assert.equal(first.duplicates, 1);
  assert.equal(again.applied, 0);
  const [edges] = await g.getInteractions(['u1'], 10);
  assert.equal(edges!.length, 1);
  assert.equal(edges![0]!.counts.PURCHASE, 1);
  assert.equal(edges![0]!.quantity, 1);
});

test('edges carry per-type counts, weight, quantity, revenue and first/last seen', async () => {
  const g = new MemoryGraph();
  await g.applyEvents([ev('u1', 'i1', 'VIEW'), ev('u1', 'i1', 'ADD_TO_CART', { quantity: 2 }), ev('u1', 'i1', 'PURCHASE', { quantity: 2, price: 5 })]);
  const [[edge]] = (await g.getInteractions(['u1'], 10)) as [[InteractionEdge]];
  assert.deepEqual(edge.counts, { VIEW: 1, CLICK: 0, ADD_TO_CART: 1, REMOVE_FROM_CART: 0, PURCHASE: 1 });
  assert.equal(edge.weight, 1 + 3 + 5);
  assert.equal(edge.quantity, 2);
  assert.equal(edge.revenue, 10);
  assert.ok(edge.lastSeenAt > edge.firstSeenAt);
  assert.equal(edge.lastType, 'PURCHASE');
});

test('items named by events before the catalog get a placeholder, then catalog data', async () => {
  const g = new MemoryGraph();
  await g.applyEvents([ev('u1', 'sku-9', 'VIEW')]);
  let [item] = await g.getItems(['sku-9']);
  assert.equal(item!.inCatalog, false);
  assert.equal(item!.title, 'sku-9');
  await g.applyEvents([{ kind: 'item', v: 1, id: 'c1', itemId: 'sku-9', title: 'Lamp', category: 'lighting', price: 9, timestamp: t0 }]);
  [item] = await g.getItems(['sku-9']);
  assert.equal(item!.title, 'Lamp');
  assert.equal(item!.category, 'lighting');
  const [cat] = await g.getCategories(['lighting']);
  assert.equal(cat!.itemCount, 1);
});

test('cursor paging walks every item exactly once', async () => {
  const g = new MemoryGraph();
  const events = Array.from({ length: 25 }, (_, i) => ev('u', `item-${String(i).padStart(2, '0')}`, 'VIEW'));
  await g.applyEvents(events);
  const seen: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await g.listItems({ first: 10, after });
    seen.push(...page.items.map((i) => i.id));
    assert.equal(page.totalCount, 25);
    if (!page.hasNextPage) break;
    after = page.endCursor!;
  }
  assert.equal(seen.length, 25);
  assert.equal(new Set(seen).size, 25);
});

test('a snapshot restores the graph, its position and its applied ids', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-snap-'));
  try {
    const file = path.join(dir, 'graph.snapshot');
    const g = new MemoryGraph({ snapshotPath: file });
    const e = ev('u1', 'i1');
    await g.applyEvents([e, ev('u1', 'i2', 'VIEW'), ev('u2', 'i1')], 41);
    await g.checkpoint();
    const restored = new MemoryGraph({ snapshotPath: file });
    assert.equal(await restored.restore(), 41);
    assert.deepEqual(await restored.stats(), await g.stats());
    assert.deepEqual(await restored.getInteractions(['u1', 'u2'], 10), await g.getInteractions(['u1', 'u2'], 10));
    assert.equal((await restored.applyEvents([e])).duplicates, 1, 'applied ids survive the snapshot');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
