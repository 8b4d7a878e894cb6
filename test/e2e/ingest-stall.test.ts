import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../helpers/gateway';
import type { FlywheelEvent } from '../../src/events/event';

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ').pop()) : NaN;
}

test('/readyz turns 503 and flywheel_ingest_stalled 1 while ingestion is behind and not advancing; both recover', async () => {
  const gw = await startTestGateway({ env: { FLYWHEEL_INGEST_STALL_MS: '1000' } });
  try {
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 200);
    // The graph refuses every batch (a store that is down): ingestion retries, the partition waits.
    const store = gw.app.store as { applyEvents: (...a: unknown[]) => Promise<unknown> };
    const apply = store.applyEvents.bind(store);
    store.applyEvents = async () => {
      throw Object.assign(new Error('graph unavailable (test)'), { code: 'ServiceUnavailable' });
    };
    const e: FlywheelEvent = { kind: 'interaction', v: 1, id: 'stall-1', type: 'VIEW', userId: 'u1', itemId: 'i1', timestamp: Date.now() };
    await gw.app.log.append([e]);
    await fetch(`${gw.url}/readyz`); // first look: behind, not yet stalled
    await new Promise((r) => setTimeout(r, 1500));
    const stalled = await fetch(`${gw.url}/readyz`);
    assert.equal(stalled.status, 503);
    const body = (await stalled.json()) as { status: string; ingestLag: number; eventLoopDelayMs: { p99: number; max: number } };
    assert.deepEqual([body.status, body.ingestLag], ['ingestion stalled', 1]);
    assert.ok(body.eventLoopDelayMs.max >= 0, 'readiness also reports the event-loop delay');
    assert.equal(await metric(gw.url, 'flywheel_ingest_stalled'), 1);
    assert.equal(await metric(gw.url, 'flywheel_ingest_lag_events'), 1);
    store.applyEvents = apply;
    const deadline = Date.now() + 10_000;
    while ((await fetch(`${gw.url}/readyz`)).status !== 200) {
      assert.ok(Date.now() < deadline, 'ready again once the graph takes the batch');
      await new Promise((r) => setTimeout(r, 100));
    }
    // The gauges follow within the same deadline (they can trail /readyz by a scrape on a loaded machine).
    while ((await metric(gw.url, 'flywheel_ingest_stalled')) !== 0) {
      assert.ok(Date.now() < deadline, 'flywheel_ingest_stalled back to 0');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await metric(gw.url, 'flywheel_ingest_lag_events'), 0);
  } finally {
    await gw.close();
  }
});
