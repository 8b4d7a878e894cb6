import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gql } from '../helpers/gateway';
import { BIN, freePort, waitForExit } from '../helpers/process';

/**
 * A restart after a crash replays the log tail after the last snapshot, and the detectors find the same
 * anomalies again: they are stored once (same ids), and neither logged nor published as new a second time.
 */
async function start(dataDir: string, port: number): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--port', String(port)], {
    env: { ...process.env, LOG_LEVEL: 'info', FLYWHEEL_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(out);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return { child, out: () => out };
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`not ready: ${out}`);
}

test('after a crash, anomalies re-detected while replaying the log are not announced again', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-restart-'));
  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/graphql`;
    const first = await start(dir, port);
    const t = Date.now() - 120_000;
    const clicks = Array.from(
      { length: 60 },
      (_, i) => `{ id: "b${i}", type: CLICK, userId: "crash-bot", itemId: "i${i}", timestamp: "${new Date(t + i * 100).toISOString()}" }`,
    );
    const res = await gql<{ trackEvents: { accepted: number } }>(url, `mutation { trackEvents(events: [${clicks.join(',')}]) { accepted } }`);
    assert.equal(res.data?.trackEvents.accepted, 60);
    const deadline = Date.now() + 10_000;
    while (!/new anomal/.test(first.out()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(first.out(), /"msg":"1 new anomaly: 1 BOT_ACTIVITY/);
    first.child.kill('SIGKILL'); // no final snapshot: the restart replays these events
    await waitForExit(first.child);

    const second = await start(dir, port);
    const count = await gql<{ anomalies: { totalCount: number } }>(url, '{ anomalies(first: 5) { totalCount } }');
    assert.equal(count.data?.anomalies.totalCount, 1, 'stored once');
    second.child.kill('SIGTERM');
    await waitForExit(second.child);
    assert.match(second.out(), /"from":0/, 'the log was replayed from the start');
    assert.doesNotMatch(second.out(), /new anomal/, `not announced again:\n${second.out()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
