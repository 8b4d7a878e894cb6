import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { MemoryGraph } from '../../../src/graph/embedded/memory-graph';
import { featuresFromActivity } from '../../../src/segments/graph-features';
import type { InteractionEvent } from '../../../src/events/event';

const DAY = 86_400_000;
const T = Date.UTC(2024, 0, 1);
const buy = (id: string, userId: string, itemId: string, ts: number, quantity = 1, price = 10): InteractionEvent => ({
  kind: 'interaction',
  v: 1,
  id,
  type: 'PURCHASE',
  userId,
  itemId,
  timestamp: ts,
  quantity,
  price,
});

describe('embedded graph: segment storage and purchase activity', () => {
  it('derives RFM from purchase edges: one order per checkout instant', async () => {
    const g = new MemoryGraph();
    g.applySync([
      buy('1', 'u1', 'a', T - 10 * DAY, 2, 5),
      buy('2', 'u1', 'b', T - 10 * DAY, 1, 30), // same checkout
      buy('3', 'u1', 'a', T - 2 * DAY, 1, 5),
      { kind: 'interaction', v: 1, id: '4', type: 'VIEW', userId: 'u1', itemId: 'c', timestamp: T - DAY },
      { kind: 'interaction', v: 1, id: '5', type: 'VIEW', userId: 'u2', itemId: 'c', timestamp: T - DAY },
    ]);
    const b = await g.getPurchaseActivity(['u1', 'u2', 'nobody']);
    const f = featuresFromActivity(b, 0, T)!;
    assert.equal(f.frequency, 2);
    assert.equal(f.monetary, 45);
    assert.equal(f.recency, 2);
    assert.equal(f.tenure, 10);
    assert.equal(f.breadth, 2);
    assert.equal(f.conversion, 1);
    assert.equal(featuresFromActivity(b, 1, T), null);
    assert.equal(featuresFromActivity(b, 2, T), null);
    assert.equal(b.userIds[2], 'nobody');
  });

  it('keeps IN_SEGMENT, sizes, paging and the model in the snapshot', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-seg-'));
    try {
      const file = path.join(dir, 'graph.snapshot');
      const g = new MemoryGraph({ snapshotPath: file });
      const events = Array.from({ length: 25 }, (_, i) => buy(`e${i}`, `u${i}`, 'a', T - i * DAY));
      g.applySync(events, 24);
      await g.setSegmentModel({ version: 1, note: 'model' });
      await g.setUserSegments(
        events.map((e) => e.userId!),
        events.map((_, i) => (i % 3 === 0 ? 'seg-1' : 'seg-2')),
      );
      await g.setUserSegments(['u0', 'ghost'], [null, 'seg-1']);
      assert.deepEqual([...(await g.segmentSizes())].sort(), [
        ['seg-1', 8],
        ['seg-2', 16],
      ]);
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await g.listSegmentMembers('seg-2', 5, after);
        assert.equal(page.totalCount, 16);
        seen.push(...page.userIds);
        if (!page.hasNextPage) break;
        after = page.endCursor!;
      }
      assert.equal(seen.length, 16);
      assert.equal(new Set(seen).size, 16);
      await g.checkpoint();

      const h = new MemoryGraph({ snapshotPath: file });
      await h.restore();
      assert.deepEqual(await h.getSegmentModel(), { version: 1, note: 'model' });
      assert.deepEqual(await h.getUserSegments(['u0', 'u1', 'u3', 'ghost']), [null, 'seg-2', 'seg-1', null]);
      assert.deepEqual([...(await h.segmentSizes())].sort(), [
        ['seg-1', 8],
        ['seg-2', 16],
      ]);
      const b = await h.getPurchaseActivity(['u3']);
      assert.equal(b.orders[0], 1);
      assert.equal(b.lastPurchaseAt[0], T - 3 * DAY);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
