import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LmdbEventLog } from '../../../src/event-log/lmdb-event-log';
import type { LogRecord } from '../../../src/event-log/event-log';
import type { FlywheelEvent } from '../../../src/events/event';

const ev = (id: string): FlywheelEvent => ({ kind: 'interaction', v: 1, id, type: 'VIEW', userId: 'u', itemId: 'i', timestamp: Date.now() });

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'flywheel-log-'));
}

test('append assigns dense offsets and reports duplicates by id, also across reopen', async () => {
  const dir = tempDir();
  try {
    let log = new LmdbEventLog(dir);
    const r1 = await log.append([ev('a'), ev('b'), ev('a')]);
    assert.deepEqual(r1.positions, [0, 1, 0]);
    assert.deepEqual(r1.duplicates, [2]);
    assert.equal(r1.lastPosition, 1);
    await log.close();
    log = new LmdbEventLog(dir);
    const r2 = await log.append([ev('b'), ev('c')]);
    assert.deepEqual(r2.positions, [1, 2]);
    assert.deepEqual(r2.duplicates, [0]);
    assert.equal(log.endOffset(), 3);
    await log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a consumer resumes after its committed offset and waitFor resolves once handled', async () => {
  const dir = tempDir();
  try {
    let log = new LmdbEventLog(dir);
    const seen: string[] = [];
    const handler = async (records: readonly LogRecord[]) => {
      for (const r of records) seen.push((r.event as FlywheelEvent).id);
    };
    let consumer = await log.consume('g', handler);
    const receipt = await log.append([ev('1'), ev('2'), ev('3')]);
    await consumer.waitFor(receipt.lastPosition, 5000);
    assert.deepEqual(seen, ['1', '2', '3']);
    assert.equal(consumer.lag(), 0);
    await log.close();

    log = new LmdbEventLog(dir);
    await log.append([ev('4')]);
    consumer = await log.consume('g', handler);
    await consumer.waitFor(3, 5000);
    assert.deepEqual(seen, ['1', '2', '3', '4'], 'committed records are not redelivered');
    await log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing handler is retried and the batch is not committed until it succeeds', async () => {
  const dir = tempDir();
  try {
    const log = new LmdbEventLog(dir);
    let calls = 0;
    const consumer = await log.consume('g', async () => {
      calls++;
      if (calls < 3) throw new Error('graph down');
    });
    const r = await log.append([ev('x')]);
    await consumer.waitFor(r.lastPosition, 5000);
    assert.equal(calls, 3);
    await log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dead letters keep source, reason and raw input, newest first', async () => {
  const dir = tempDir();
  try {
    const log = new LmdbEventLog(dir);
    await log.deadLetter([{ source: 'graphql', reason: 'bad 1', raw: { id: 1 } }]);
    await log.deadLetter([{ source: 'import', reason: 'bad 2', raw: 'line' }]);
    const list = await log.listDeadLetters(10);
    assert.deepEqual(
      list.map((d) => [d.source, d.reason, d.raw]),
      [
        ['import', 'bad 2', 'line'],
        ['graphql', 'bad 1', { id: 1 }],
      ],
    );
    await log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("idempotency is scoped by actor: another user's event with the same id is stored, and duplicates reveal only the sender's own ids", async () => {
  const dir = tempDir();
  try {
    const log = new LmdbEventLog(dir);
    const of = (userId: string, itemId: string): FlywheelEvent => ({
      kind: 'interaction',
      v: 1,
      id: 'order-1',
      type: 'PURCHASE',
      userId,
      itemId,
      quantity: 1,
      timestamp: Date.now(),
    });
    const bySixteen = await log.append([of('u16', 'i9')]);
    assert.deepEqual(bySixteen.duplicates, []);
    const byFifteen = await log.append([of('u15', 'i1')]);
    assert.deepEqual(byFifteen.duplicates, [], "u15 does not learn that u16 used the id, and u15's event is kept");
    assert.equal(byFifteen.lastPosition, 1);
    assert.deepEqual((await log.append([of('u15', 'i1')])).duplicates, [0], "u15's own resend is a duplicate");
    const anon: FlywheelEvent = { kind: 'interaction', v: 1, id: 'order-1', type: 'VIEW', sessionId: 'u15', itemId: 'i1', timestamp: Date.now() };
    assert.deepEqual((await log.append([anon])).duplicates, [], 'a session is another actor than the customer of the same name');
    // Erasure frees the erased actor's ids, not the other actor's.
    assert.equal(await log.eraseWhere((e) => e.kind === 'interaction' && e.userId === 'u15'), 1);
    assert.deepEqual((await log.append([of('u15', 'i1'), of('u16', 'i9')])).duplicates, [1]);
    await log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
