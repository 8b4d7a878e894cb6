import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePort, startServeProcess, waitForExit } from '../helpers/process';

/**
 * Issue 11: `flywheel serve` froze for good (no /healthz, SIGTERM ignored) when several clients sent
 * trackEvents at once. The gateway runs as its own process here so that a hang shows up as timeouts and
 * a process that must be killed, not as a test runner that hangs with it.
 */
const CLIENTS = 8;
const REQUESTS_PER_CLIENT = 200;
const REQUEST_TIMEOUT_MS = 15_000;

interface RunResult {
  acknowledged: number;
  failures: string[];
  slowestHealthMs: number;
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

const TRACK = 'mutation T($events: [EventInput!]!) { trackEvents(events: $events) { accepted duplicates rejected { reason } } }';
const TYPES = ['VIEW', 'CLICK', 'ADD_TO_CART', 'PURCHASE'] as const;

async function writeConcurrently(base: string, run: string, batchSize: number): Promise<RunResult> {
  const failures: string[] = [];
  let acknowledged = 0;
  let slowestHealthMs = 0;
  let writing = true;
  // /healthz must keep answering while the writers run: that is what froze first.
  const health = (async () => {
    while (writing) {
      const started = Date.now();
      try {
        const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        if (res.status !== 200) failures.push(`/healthz ${res.status}`);
      } catch (err) {
        failures.push(`/healthz: ${(err as Error).message}`);
      }
      slowestHealthMs = Math.max(slowestHealthMs, Date.now() - started);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const client = async (c: number) => {
    for (let r = 0; r < REQUESTS_PER_CLIENT && failures.length < 5; r++) {
      const events = Array.from({ length: batchSize }, (_, i) => ({
        id: `${run}-${c}-${r}-${i}`,
        type: TYPES[(r + i) % TYPES.length],
        userId: `writer-${(c * 7 + r) % 40}`,
        itemId: `item-${(r * 13 + i) % 120}`,
        ...(TYPES[(r + i) % TYPES.length] === 'PURCHASE' ? { quantity: 1, price: 9.5 } : {}),
      }));
      try {
        const res = await post(`${base}/graphql`, { query: TRACK, variables: { events } });
        const body = (await res.json()) as { data?: { trackEvents: { accepted: number; rejected: unknown[] } }; errors?: unknown[] };
        if (res.status !== 200 || !body.data) failures.push(`client ${c} request ${r}: ${res.status} ${JSON.stringify(body.errors)}`);
        else if (body.data.trackEvents.rejected.length > 0)
          failures.push(`client ${c} request ${r}: rejected ${JSON.stringify(body.data.trackEvents.rejected)}`);
        else acknowledged += body.data.trackEvents.accepted;
      } catch (err) {
        failures.push(`client ${c} request ${r}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  writing = false;
  await health;
  return { acknowledged, failures, slowestHealthMs };
}

async function ingestedTotal(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).text();
  const line = text.split('\n').find((l) => l.startsWith('flywheel_events_ingested_total '));
  return Number(line?.split(' ')[1] ?? NaN);
}

for (const batchSize of [1, 10]) {
  test(`${CLIENTS} clients x ${REQUESTS_PER_CLIENT} trackEvents requests of ${batchSize} event(s), three runs: every request answered, every acknowledged event applied`, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'flywheel-writers-'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let child: ChildProcess | null = null;
    try {
      // Every client comes from one address; this test is about liveness, not the rate limiter.
      child = await startServeProcess(['serve', '--data-dir', dataDir], port, { FLYWHEEL_RATE_LIMIT_PER_MINUTE: '10000000' });
      let expected = 0;
      for (let run = 0; run < 3; run++) {
        const result = await writeConcurrently(base, `b${batchSize}r${run}`, batchSize);
        assert.deepEqual(result.failures, [], `run ${run}: the gateway stopped answering`);
        assert.equal(result.acknowledged, CLIENTS * REQUESTS_PER_CLIENT * batchSize);
        expected += result.acknowledged;
        // trackEvents answers after ingestion applied the events (read-your-writes), so the count is exact.
        assert.equal(await ingestedTotal(base), expected, `run ${run}: acknowledged events missing from the graph`);
      }
      child.kill('SIGTERM');
      const code = await Promise.race([waitForExit(child), new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
      assert.equal(code, 0, 'the gateway stops on SIGTERM after the load');
    } finally {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
