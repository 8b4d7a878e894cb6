import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Scenario } from './consumer-scenarios';

/**
 * The embedded log's consumer must never spin without yielding (issue 11: the gateway froze under
 * concurrent writers). Each scenario runs in a worker thread; a thread stuck on microtasks never answers,
 * so the test terminates it after a deadline and fails instead of hanging with it.
 */
async function runScenario(scenario: Scenario, deadlineMs: number): Promise<{ ok: boolean; detail: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-liveness-'));
  const worker = new Worker(path.join(__dirname, 'consumer-scenarios.js'), { workerData: { scenario, dir } });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${deadlineMs} ms: the thread is stuck` }), deadlineMs);
      worker.once('message', (m: { ok: boolean; detail: string }) => {
        clearTimeout(timer);
        resolve(m);
      });
      worker.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } finally {
    await worker.terminate();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a consumer whose read snapshot lags behind the wake-up still yields and catches up', async () => {
  const result = await runScenario('stale-snapshot', 15_000);
  assert.ok(result.ok, result.detail);
  assert.equal(result.detail, 'handled 20');
});

test('a wake-up from the log means the records are committed and readable (many concurrent appends)', async () => {
  const result = await runScenario('wake-means-readable', 15_000);
  assert.ok(result.ok, result.detail);
  assert.match(result.detail, /^read 3000, empty wakes 0$/);
});
