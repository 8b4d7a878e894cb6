import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../helpers/gateway';
import type { FlywheelEvent } from '../../src/events/event';

const ev = (id: string): FlywheelEvent => ({ kind: 'interaction', v: 1, id, type: 'VIEW', userId: 'watch-u', itemId: 'watch-i', timestamp: Date.now() });

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return Number(line?.split(' ').pop());
}

test('/readyz answers 503 "ingestion stalled" and flywheel_ingest_stalled is 1 while ingestion is behind and not moving', async () => {
  const gw = await startTestGateway({ env: { FLYWHEEL_STALL_SECONDS: '1' } });
  const store = gw.app.store;
  const apply = store.applyEvents.bind(store);
  try {
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 200);
    // The graph refuses every write: the consumer retries the same batch and never commits.
    store.applyEvents = () => Promise.reject(new Error('graph unavailable (test)'));
    await gw.app.log.append([ev('w1'), ev('w2')]);
    await new Promise((r) => setTimeout(r, 1500));
    const res = await fetch(`${gw.url}/readyz`);
    const body = (await res.json()) as { status: string; ingestLag: number; secondsWithoutProgress: number };
    assert.equal(res.status, 503);
    assert.equal(body.status, 'ingestion stalled');
    assert.equal(body.ingestLag, 2);
    assert.ok(body.secondsWithoutProgress >= 1);
    assert.equal(await metric(gw.url, 'flywheel_ingest_stalled'), 1);
    assert.ok((await metric(gw.url, 'flywheel_ingest_seconds_without_progress')) >= 1);

    store.applyEvents = apply; // the graph is back: the retried batch goes through
    await gw.app.ingestor.waitFor(1, 15_000);
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 200);
    assert.equal(await metric(gw.url, 'flywheel_ingest_stalled'), 0);
    assert.ok((await metric(gw.url, 'flywheel_event_loop_delay_seconds')) >= 0);
  } finally {
    store.applyEvents = apply;
    await gw.close();
  }
});
