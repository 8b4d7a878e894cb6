import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlywheelEvent } from '../../src/events/event';
import type { EventLog, LogConsumer, LogRecord } from '../../src/event-log/event-log';

/**
 * The event log contract: append, consume in a group, commit only after the handler succeeded,
 * redelivery after a failing handler or a stop before commit, dead letters. Run against the embedded
 * LMDB log (test/unit/contract) and Kafka (test/integration) with the same expectations.
 *
 * `open()` returns a fresh, empty log (a new directory / new topics); `group()` a group id never used.
 */
export interface EventLogHandle {
  log: EventLog;
  close(): Promise<void>;
}

export interface EventLogContractOptions {
  skip?: string;
  /** How long to wait for deliveries (a Kafka group join takes a few seconds). */
  timeoutMs?: number;
}

let n = 0;
export function event(userId: string, itemId = 'i1'): FlywheelEvent {
  return { kind: 'interaction', v: 1, id: `log-${process.pid}-${++n}`, type: 'VIEW', userId, itemId, timestamp: Date.UTC(2026, 0, 1) + n };
}

export async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function ids(records: readonly LogRecord[]): string[] {
  return records.map((r) => (r.event as FlywheelEvent).id);
}

export function eventLogContract(name: string, open: () => Promise<EventLogHandle>, group: () => string, options: EventLogContractOptions = {}): void {
  const timeout = options.timeoutMs ?? 10_000;
  const it = (title: string, fn: (log: EventLog) => Promise<void>) =>
    test(title, options.skip ? { skip: options.skip } : { timeout: timeout * 6 }, async () => {
      const h = await open();
      try {
        await fn(h.log);
      } finally {
        await h.close();
      }
    });

  describe(`EventLog contract: ${name}`, () => {
    it('appended events reach a consumer from the beginning, in order per user, as decoded JSON', async (log) => {
      const events = [event('u1'), event('u2'), event('u1'), event('u3'), event('u1')];
      const receipt = await log.append(events);
      assert.equal(receipt.positions.length, events.length);
      assert.ok(receipt.lastPosition >= 0);
      const seen: LogRecord[] = [];
      const c = await log.consume(group(), async (records) => void seen.push(...records), { fromBeginning: true });
      try {
        await waitUntil(() => seen.length >= events.length, timeout, 'all events');
        assert.deepEqual(ids(seen).sort(), events.map((e) => e.id).sort());
        const u1 = seen.map((r) => r.event as FlywheelEvent).filter((e) => e.kind === 'interaction' && e.userId === 'u1');
        assert.deepEqual(
          u1.map((e) => e.id),
          [events[0]!.id, events[2]!.id, events[4]!.id],
          "one user's events stay in order",
        );
        assert.deepEqual(seen.find((r) => (r.event as FlywheelEvent).id === events[1]!.id)!.event, events[1]);
        for (const r of seen) assert.equal(typeof r.offset, 'number');
        // Later appends reach the running consumer too.
        const more = [event('u4')];
        await log.append(more);
        await waitUntil(() => seen.length >= events.length + 1, timeout, 'a live append');
        assert.equal(ids(seen).at(-1), more[0]!.id);
      } finally {
        await c.stop();
      }
    });

    it('concurrent appends are stored in call order (a list before the click on it), each with its own receipt', async (log) => {
      // 40 appends issued without waiting, alternating sizes, all one user's (one partition): the log must
      // keep them in the order they were called, as attribution needs (EventLog.append).
      const appends = Array.from({ length: 40 }, (_, k) => Array.from({ length: 1 + (k % 3) }, () => event('ordered')));
      const receipts = await Promise.all(appends.map((events) => log.append(events)));
      receipts.forEach((r, k) => assert.equal(r.positions.length, appends[k]!.length, `append ${k} has a position per event`));
      const positions = receipts.flatMap((r) => r.positions);
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => a - b),
        'positions grow in call order',
      );
      const seen: LogRecord[] = [];
      const c = await log.consume(group(), async (records) => void seen.push(...records), { fromBeginning: true });
      try {
        const expected = appends.flat().map((e) => e.id);
        await waitUntil(() => seen.length >= expected.length, timeout, 'every appended event');
        assert.deepEqual(ids(seen), expected, 'the log order is the call order');
      } finally {
        await c.stop();
      }
    });

    it('offsets are committed after the handler succeeded: a new member of the group resumes after them', async (log) => {
      const g = group();
      const first = [event('a'), event('b'), event('c')];
      await log.append(first);
      const seen1: string[] = [];
      const c1 = await log.consume(g, async (records) => void seen1.push(...ids(records)), { fromBeginning: true });
      await waitUntil(() => seen1.length >= 3, timeout, 'the first batch');
      await settle(log, c1, timeout);
      await c1.stop();
      const second = [event('a'), event('d')];
      await log.append(second);
      const seen2: string[] = [];
      const c2 = await log.consume(g, async (records) => void seen2.push(...ids(records)), { fromBeginning: true });
      try {
        await waitUntil(() => seen2.length >= 2, timeout, 'the second batch');
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(seen2.sort(), second.map((e) => e.id).sort(), 'committed records are not redelivered');
      } finally {
        await c2.stop();
      }
    });

    it('a failing handler gets the same records again (at-least-once), and nothing after them is committed first', async (log) => {
      const events = [event('x'), event('x'), event('x')];
      await log.append(events);
      let failures = 0;
      const delivered: string[] = [];
      const c = await log.consume(
        group(),
        async (records) => {
          if (failures < 2) {
            failures++;
            throw new Error('graph write failed (test)');
          }
          delivered.push(...ids(records));
        },
        { fromBeginning: true },
      );
      try {
        await waitUntil(() => delivered.length >= 3, timeout, 'redelivery after failures');
        assert.equal(failures, 2);
        assert.deepEqual(
          delivered,
          events.map((e) => e.id),
          'the same records, in order, none skipped',
        );
      } finally {
        await c.stop();
      }
    });

    it('a consumer stopped before its handler succeeded leaves the records to the next member', async (log) => {
      const g = group();
      const events = [event('y'), event('z')];
      await log.append(events);
      let attempts = 0;
      const c1 = await log.consume(
        g,
        async () => {
          attempts++;
          throw new Error('always failing (test)');
        },
        { fromBeginning: true },
      );
      await waitUntil(() => attempts >= 1, timeout, 'a first attempt');
      await c1.stop();
      const seen: string[] = [];
      const c2 = await log.consume(g, async (records) => void seen.push(...ids(records)), { fromBeginning: true });
      try {
        await waitUntil(() => seen.length >= 2, timeout, 'redelivery to the next member');
        assert.deepEqual(seen.sort(), events.map((e) => e.id).sort());
      } finally {
        await c2.stop();
      }
    });

    it('dead letters keep the reason, the source and the raw input, newest first', async (log) => {
      await log.deadLetter([{ source: 'graphql', reason: 'type: must be one of VIEW, ...', raw: { type: 'LOOK' } }]);
      await log.deadLetter([{ source: 'import', reason: 'itemId: required', raw: { id: 'e1' } }]);
      const dead = await log.listDeadLetters(10);
      assert.equal(dead.length, 2);
      assert.equal(dead[0]!.source, 'import');
      assert.equal(dead[0]!.reason, 'itemId: required');
      assert.deepEqual(dead[0]!.raw, { id: 'e1' });
      assert.deepEqual(dead[1]!.raw, { type: 'LOOK' });
      assert.ok(dead[0]!.at > 0);
      assert.equal((await log.listDeadLetters(1)).length, 1);
    });
  });
}

/** Waits until the consumer's group has committed everything (lag 0); Kafka's lag is refreshed on demand. */
async function settle(_log: EventLog, c: LogConsumer, timeoutMs: number): Promise<void> {
  const withLagNow = c as LogConsumer & { lagNow?: () => Promise<number> };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lag = withLagNow.lagNow ? await withLagNow.lagNow() : c.lag();
    if (lag === 0) return;
    if (Date.now() > deadline) throw new Error(`group lag still ${lag} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
