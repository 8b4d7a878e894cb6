import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../helpers/gateway';
import type { FlywheelEvent } from '../../src/events/event';

test('FLYWHEEL_INGEST_MAX_BATCH bounds every batch the ingestor applies to the graph', async () => {
  const gw = await startTestGateway({ env: { FLYWHEEL_INGEST_MAX_BATCH: '3' } });
  try {
    const store = gw.app.store as { applyEvents: (events: unknown[], ...rest: unknown[]) => Promise<unknown> };
    const apply = store.applyEvents.bind(store);
    const sizes: number[] = [];
    store.applyEvents = async (events, ...rest) => {
      sizes.push(events.length);
      return apply(events, ...rest);
    };
    const now = Date.now();
    const events: FlywheelEvent[] = Array.from({ length: 10 }, (_, i) => ({
      kind: 'interaction',
      v: 1,
      id: `max-batch-${i}`,
      type: 'VIEW',
      userId: 'u-max-batch',
      itemId: `i${i}`,
      timestamp: now,
    }));
    await gw.app.log.append(events); // one append: without the bound the ingestor would take all ten at once
    const deadline = Date.now() + 10_000;
    while (sizes.reduce((a, b) => a + b, 0) < 10) {
      assert.ok(Date.now() < deadline, `all ten applied (so far ${JSON.stringify(sizes)})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(sizes.length >= 4, `ten events in batches of at most three: ${JSON.stringify(sizes)}`);
    assert.ok(Math.max(...sizes) <= 3, `no batch over three: ${JSON.stringify(sizes)}`);
  } finally {
    await gw.close();
  }
});
