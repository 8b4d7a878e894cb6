import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LmdbEventLog } from '../../../src/event-log/lmdb-event-log';
import { boundDeadLetter, DEAD_LETTER_RAW_BYTES } from '../../../src/event-log/dead-letter-format';
import { DeadLetterSink } from '../../../src/ingest/dead-letter-sink';
import { EventTracker } from '../../../src/ingest/tracker';
import { createMetrics } from '../../../src/observability/metrics';
import type { Ingestor } from '../../../src/ingest/ingestor';

// One invalid event of ~2 KB (an item id far over the 256-character limit), as a shopper could send.
const invalid = (n: number) => ({ kind: 'interaction', v: 1, id: `bad-${n}`, type: 'VIEW', userId: 'u16', itemId: 'x'.repeat(2000), timestamp: Date.now() });
const noIngestor = {} as Ingestor; // nothing valid is tracked, so ingestion is never waited for

async function dropped(metrics: ReturnType<typeof createMetrics>, reason: string): Promise<number> {
  const m = await metrics.deadLettersDropped.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

test('dead letters are bounded: 20 batches of 1,000 invalid events from one shopper grow the embedded log by a bounded amount', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-dead-'));
  try {
    const log = new LmdbEventLog(dir);
    const metrics = createMetrics();
    const tracker = new EventTracker(log, noIngestor, metrics, { deadLetters: new DeadLetterSink(log, { metrics, perIdentity: 1000 }) });
    const file = path.join(dir, 'events.lmdb');
    const before = statSync(file).size;
    for (let b = 0; b < 20; b++) {
      const result = await tracker.track(
        Array.from({ length: 1000 }, (_, i) => invalid(b * 1000 + i)),
        'graphql',
        'jwt:shopper:u16',
      );
      assert.equal(result.rejected.length, 1000, 'the sender still gets every rejection');
    }
    const grown = statSync(file).size - before;
    // 1,000 stored entries of ~2.1 KB (one 4 KiB LMDB page each: ~4.1 MB); the unbounded store of
    // before kept all 20,000 and grew by ~83 MB here.
    assert.ok(grown < 8 * 1024 * 1024, `log grew by ${grown} bytes`);
    assert.equal((await log.listDeadLetters(5000)).length, 1000);
    assert.equal(await dropped(metrics, 'quota'), 19_000);
    // Another sender has a quota of its own.
    await tracker.track([invalid(1)], 'graphql', 'jwt:shopper:u15');
    assert.equal((await log.listDeadLetters(5000)).length, 1001);
    await log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dead letters are bounded: retention keeps the newest N entries and counts what it removed', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-dead-'));
  try {
    const log = new LmdbEventLog(dir);
    log.maxDeadLetters = 50;
    const metrics = createMetrics();
    const sink = new DeadLetterSink(log, { metrics, perIdentity: 1_000_000 });
    for (let b = 0; b < 4; b++)
      await sink.record(
        Array.from({ length: 30 }, (_, i) => ({ source: 'import:x', reason: 'bad', raw: { n: b * 30 + i } })),
        'import:x',
      );
    const kept = await log.listDeadLetters(1000);
    assert.equal(kept.length, 50);
    assert.deepEqual(kept[0]!.raw, { n: 119 }, 'newest first');
    assert.deepEqual(kept.at(-1)!.raw, { n: 70 });
    assert.equal(await dropped(metrics, 'retention'), 70);
    await log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a dead letter always fits: raw input is capped (as a prefix of its JSON text) with the full size', () => {
  const big = { id: 'e', payload: 'y'.repeat(1024 * 1024) };
  const d = boundDeadLetter({ source: 'kafka:t/3@17', reason: 'r'.repeat(5000), raw: big });
  assert.equal(d.truncated, true);
  assert.equal(d.rawBytes, JSON.stringify(big).length);
  assert.ok(Buffer.byteLength(String(d.raw)) <= DEAD_LETTER_RAW_BYTES);
  assert.ok(String(d.raw).startsWith('{"id":"e","payload":"yyy'));
  assert.ok(d.reason.length <= 1000);
  // Small input is kept as it is; multi-byte text is never cut inside a character.
  assert.deepEqual(boundDeadLetter({ source: 's', reason: 'r', raw: { a: 1 } }), { source: 's', reason: 'r', raw: { a: 1 } });
  const text = boundDeadLetter({ source: 's', reason: 'r', raw: 'é'.repeat(5000) });
  assert.equal(text.rawBytes, 10_000);
  assert.ok(!String(text.raw).includes('\ufffd'));
});
