import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryGraph } from '../../../src/graph/embedded/memory-graph';
import { AppliedIds } from '../../../src/graph/embedded/applied-ids';
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

test('applied ids are remembered for at least the idempotency window, at most two, and the window survives a snapshot', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-window-'));
  const file = path.join(dir, 'graph.snapshot');
  const hour = 3_600_000;
  let now = Date.UTC(2026, 11, 1);
  const clock = () => now;
  try {
    const g = new MemoryGraph({ snapshotPath: file, idempotencyWindowMs: 24 * hour, clock });
    const a = ev('w1', 'i1', 'VIEW');
    const b = ev('w1', 'i2', 'VIEW');
    assert.equal((await g.applyEvents([a])).applied, 1);
    now += 23 * hour;
    assert.equal((await g.applyEvents([a])).duplicates, 1, 'inside the window: a duplicate');
    now += 2 * hour; // 25 h after a: the next add starts a new generation, a is still remembered
    assert.equal((await g.applyEvents([b])).applied, 1);
    assert.equal((await g.applyEvents([a], 1)).duplicates, 1, 'one to two windows old: still a duplicate');
    await g.checkpoint();
    now += 24 * hour; // 49 h after a, 24 h after b
    const restored = new MemoryGraph({ snapshotPath: file, idempotencyWindowMs: 24 * hour, clock });
    await restored.restore();
    assert.equal((await restored.applyEvents([ev('w1', 'i3', 'VIEW')])).applied, 1, 'this add rotates: a generation goes');
    assert.equal((await restored.applyEvents([b])).duplicates, 1, 'b, a window old, is kept across the snapshot');
    const again = await restored.applyEvents([a]);
    assert.equal(again.applied, 1, 'a, two windows old, counts again');
    const edge = (await restored.getInteractions(['w1'], 10))[0]!.find((e) => e.itemId === 'i1')!;
    assert.equal(edge.counts.VIEW, 2);
    const forever = new MemoryGraph({ clock });
    await forever.applyEvents([a]);
    now += 1000 * hour;
    assert.equal((await forever.applyEvents([a])).duplicates, 1, 'no window: remembered for ever');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a snapshot written before generations (one list of ids) loads as the current generation', () => {
  let now = 0;
  const ids = new AppliedIds(10, () => now);
  ids.load(['x', 'y']);
  now = 9;
  ids.add('z');
  assert.ok(ids.has('x') && ids.has('z'));
  now = 15;
  ids.add('w'); // x, y, z become the previous generation: a window after the load, not before
  assert.ok(ids.has('x'));
  now = 26;
  ids.add('v');
  assert.ok(!ids.has('x') && !ids.has('z') && ids.has('w') && ids.has('v'));
  assert.equal(ids.size, 2);
});
