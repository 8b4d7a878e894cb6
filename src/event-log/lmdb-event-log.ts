import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { FlywheelEvent } from '../events/event';
import { boundDeadLetter } from './dead-letter-format';
import { idempotencyKey } from '../events/idempotency';
import type {
  AppendReceipt,
  BatchHandler,
  ConsumeOptions,
  DeadLetter,
  DeadLetterReceipt,
  EventLog,
  LogConsumer,
  LogRecord,
  RewritableLog,
  StoredDeadLetter,
} from './event-log';

/**
 * The embedded event log: an append-only sequence in LMDB (memory-mapped B+tree, ACID, single writer).
 *
 * - `log`:      first offset of an append -> the events of that append. Offsets are dense integers from
 *               0, one per event; storing a whole append under one key keeps LMDB work per batch, not
 *               per event (the log's hot path).
 * - `ids`:      idempotency key (actor + event id, `idempotencyKey`) -> offset. Makes append idempotent
 *               per actor and id, durably, so a retried request or a re-run import never appends the
 *               same event twice, and one actor's ids never collide with another's.
 * - `offsets`:  consumer group -> last committed offset.
 * - `dead`:     sequence -> dead letter (reason, source, raw input capped by `boundDeadLetter`); the
 *               newest `maxDeadLetters` are kept.
 *
 * An append resolves only after LMDB reports the transaction flushed to disk, so an acknowledged event
 * survives `kill -9` and power loss alike. LMDB allows one writing process per directory: two gateways
 * cannot share one embedded data dir (that is what the Kafka backend is for).
 */
export class LmdbEventLog implements EventLog, RewritableLog {
  readonly backend = 'embedded' as const;
  readonly readYourWrites = true;
  /** The embedded log is the rewritable kind (erasure deletes from it). */
  readonly rewritable: RewritableLog = this;

  private readonly root: RootDatabase;
  private readonly log: Database<Buffer, number>;
  private readonly ids: Database<number, string>;
  private readonly offsets: Database<number, string>;
  private readonly dead: Database<StoredDeadLetter, number>;
  /** Offset the next append will be assigned (advanced inside the write transaction). */
  private nextOffset: number;
  /**
   * Offset after the last event that is committed and visible to readers. Consumers are woken against
   * this, never against `nextOffset`: an offset is assigned before its transaction commits, and a reader
   * woken in between would find nothing and go round again (the gateway froze under concurrent writers).
   */
  private visibleEnd: number;
  private nextDeadSeq: number;
  private readonly appended = new EventEmitter();
  private readonly consumers = new Set<LmdbConsumer>();
  private closed = false;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.root = open({ path: path.join(dir, 'events.lmdb'), compression: false });
    // Batches are stored as JSON bytes: V8's JSON is faster than msgpack for large arrays of small objects.
    this.log = this.root.openDB({ name: 'log', encoding: 'binary' });
    this.ids = this.root.openDB({ name: 'ids' });
    this.offsets = this.root.openDB({ name: 'offsets' });
    this.dead = this.root.openDB({ name: 'dead' });
    this.nextOffset = lastBatchEnd(this.log);
    this.visibleEnd = this.nextOffset;
    this.nextDeadSeq = lastKey(this.dead) + 1;
    this.appended.setMaxListeners(0);
  }

  /** Offset after the last committed event (= number of events ever stored and readable). */
  endOffset(): number {
    return this.visibleEnd;
  }

  async append(events: readonly FlywheelEvent[]): Promise<AppendReceipt> {
    if (this.closed) throw new Error('event log is closed');
    const receipt = await this.root.transaction(() => {
      const positions: number[] = [];
      const duplicates: number[] = [];
      const inBatch = new Map<string, number>();
      const stored: FlywheelEvent[] = [];
      const first = this.nextOffset;
      let lastPosition = -1;
      events.forEach((event, index) => {
        const key = idempotencyKey(event);
        const seen = inBatch.get(key) ?? this.ids.get(key);
        if (seen !== undefined) {
          positions.push(seen);
          duplicates.push(index);
          return;
        }
        const offset = this.nextOffset++;
        stored.push(event);
        this.ids.put(key, offset);
        inBatch.set(key, offset);
        positions.push(offset);
        lastPosition = offset;
      });
      if (stored.length > 0) this.log.put(first, encodeBatch(stored));
      return { positions, duplicates, lastPosition };
    });
    await this.root.flushed;
    if (receipt.lastPosition >= 0) {
      // lmdb-js renews its read snapshot when it resolves the commit, so from here a read sees the batch.
      // Transactions commit in order, so every offset below this one is committed too.
      this.visibleEnd = Math.max(this.visibleEnd, receipt.lastPosition + 1);
      this.appended.emit('append', receipt.lastPosition);
    }
    return receipt;
  }

  async consume(group: string, handler: BatchHandler, options: ConsumeOptions = {}): Promise<LogConsumer> {
    const committed = options.startAfter ?? this.offsets.get(group) ?? (options.fromBeginning === false ? this.visibleEnd - 1 : -1);
    const consumer = new LmdbConsumer(this, group, committed, handler, options.maxBatch ?? 5000);
    this.consumers.add(consumer);
    consumer.start();
    return consumer;
  }

  /**
   * @internal used by consumers. `scannedTo` is the highest offset looked at: erased events are holes
   * (null), and a consumer must move past a stretch of holes even when it yields no record.
   */
  readRange(fromOffset: number, limit: number): LogRecord[] & { scannedTo?: number } {
    const records: LogRecord[] & { scannedTo?: number } = [];
    records.scannedTo = fromOffset - 1;
    // The batch holding `fromOffset` starts at the greatest key <= fromOffset.
    let start = fromOffset;
    for (const key of this.log.getKeys({ start: fromOffset, reverse: true, limit: 1 })) start = key;
    for (const { key, value: bytes } of this.log.getRange({ start })) {
      const value = decodeBatch(bytes);
      for (let i = 0; i < value.length; i++) {
        const offset = key + i;
        if (offset < fromOffset) continue;
        records.scannedTo = offset;
        if (value[i] === null) continue;
        records.push({ offset, event: value[i] });
        if (records.length >= limit) return records;
      }
    }
    return records;
  }

  /** @internal used by consumers */
  async commit(group: string, offset: number): Promise<void> {
    await this.offsets.put(group, offset);
  }

  /** @internal resolves when something after `offset` is committed and readable, or after `timeoutMs`. */
  waitForAppend(offset: number, timeoutMs: number): Promise<void> {
    if (this.visibleEnd - 1 > offset || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.appended.off('append', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.appended.on('append', done);
    });
  }

  /** Dead letters kept (retention by count: the oldest are removed first). */
  maxDeadLetters = 10_000;

  async deadLetter(entries: readonly DeadLetter[]): Promise<DeadLetterReceipt> {
    if (entries.length === 0) return { pruned: 0 };
    const at = Date.now();
    const pruned = await this.root.transaction(() => {
      for (const e of entries) {
        const seq = this.nextDeadSeq++;
        this.dead.put(seq, { ...boundDeadLetter(e), ...(e.origin ? { origin: e.origin } : {}), seq, at });
      }
      // Sequences are dense (erasure only removes), so keeping those >= next - max keeps at most max.
      let removed = 0;
      for (const key of this.dead.getKeys({ end: this.nextDeadSeq - this.maxDeadLetters })) {
        this.dead.remove(key);
        removed++;
      }
      return removed;
    });
    await this.root.flushed;
    return { pruned };
  }

  async listDeadLetters(limit: number): Promise<StoredDeadLetter[]> {
    return [...this.dead.getRange({ reverse: true, limit }).map(({ value }) => value)];
  }

  /** Removes every event whose actor matches, for erasure requests. Returns how many were removed. */
  async eraseWhere(predicate: (event: FlywheelEvent) => boolean): Promise<number> {
    let removed = 0;
    await this.root.transaction(() => {
      for (const { key, value: bytes } of this.log.getRange({})) {
        const value = decodeBatch(bytes);
        // Erased events become holes (null) so that every other event keeps its offset.
        let changed = false;
        const kept = value.map((event) => {
          if (event === null || !predicate(event)) return event;
          this.ids.remove(idempotencyKey(event));
          removed++;
          changed = true;
          return null;
        });
        if (changed) this.log.put(key, encodeBatch(kept));
      }
    });
    await this.root.flushed;
    return removed;
  }

  /** Every stored event in log order (erasure looks up a user's event ids and linked sessions with it). */
  *scanEvents(through?: number): Iterable<FlywheelEvent> {
    // Keys are each batch's first offset; a batch's events follow it in order (holes are null).
    for (const { key, value: bytes } of this.log.getRange(through === undefined ? {} : { end: through + 1 })) {
      const first = key as number;
      const batch = decodeBatch(bytes);
      const n = through === undefined ? batch.length : Math.min(batch.length, through - first + 1);
      for (let i = 0; i < n; i++) if (batch[i] !== null) yield batch[i]!;
    }
  }

  /** Removes dead letters whose raw input matches (erasure: rejected input can name the user too). */
  async eraseDeadLettersWhere(predicate: (entry: StoredDeadLetter) => boolean): Promise<number> {
    let removed = 0;
    await this.root.transaction(() => {
      for (const { key, value } of this.dead.getRange({})) {
        if (!predicate(value)) continue;
        this.dead.remove(key);
        removed++;
      }
    });
    await this.root.flushed;
    return removed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.appended.emit('append', Number.MAX_SAFE_INTEGER);
    await Promise.all([...this.consumers].map((c) => c.stop()));
    await this.root.flushed;
    await this.root.close();
  }

  /** @internal wakes consumers parked in waitForAppend (used on stop). */
  wake(): void {
    this.appended.emit('append', -1);
  }

  /** @internal */
  forget(consumer: LmdbConsumer): void {
    this.consumers.delete(consumer);
  }

  isClosed(): boolean {
    return this.closed;
  }
}

class LmdbConsumer implements LogConsumer {
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private waiters: { offset: number; resolve: () => void; reject: (e: Error) => void; timer?: NodeJS.Timeout }[] = [];

  constructor(
    private readonly log: LmdbEventLog,
    private readonly group: string,
    private committed: number,
    private readonly handler: BatchHandler,
    private readonly maxBatch: number,
  ) {}

  start(): void {
    this.running = true;
    this.loopDone = this.loop();
  }

  position(): number {
    return this.committed + 1;
  }

  lag(): number {
    return Math.max(0, this.log.endOffset() - 1 - this.committed);
  }

  waitFor(offset: number, timeoutMs = 30_000): Promise<void> {
    if (offset <= this.committed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: (typeof this.waiters)[number] = { offset, resolve, reject };
      waiter.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`ingestion did not reach offset ${offset} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.log.wake();
    await this.loopDone;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error('consumer stopped'));
    }
    this.waiters = [];
    this.log.forget(this);
  }

  private async loop(): Promise<void> {
    let backoffMs = 50;
    while (this.running && !this.log.isClosed()) {
      const records = this.log.readRange(this.committed + 1, this.maxBatch);
      if (records.length === 0) {
        // Only holes (erased events) after the committed offset: step over them.
        if (records.scannedTo !== undefined && records.scannedTo > this.committed) {
          await this.log.commit(this.group, records.scannedTo);
          this.committed = records.scannedTo;
          this.releaseWaiters();
          continue;
        }
        await this.log.waitForAppend(this.committed, 1000);
        // A round without progress always passes through the event loop: otherwise, when the wait
        // resolves at once (woken for records the read snapshot does not show yet), the loop would run on
        // microtasks alone and starve HTTP, timers, signals and lmdb-js, whose snapshot renewal is itself a
        // macrotask. Rounds with progress need no extra turn: their offset commit is an LMDB write, which
        // resolves from the event loop.
        await yieldToEventLoop();
        continue;
      }
      try {
        await this.handler(records);
      } catch {
        // The handler reports its own errors; the batch is retried (at-least-once) after a pause.
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5000);
        continue;
      }
      backoffMs = 50;
      const last = records[records.length - 1]!.offset;
      await this.log.commit(this.group, last);
      this.committed = last;
      this.releaseWaiters();
    }
  }

  private releaseWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.offset <= this.committed) {
        clearTimeout(w.timer);
        w.resolve();
      } else still.push(w);
    }
    this.waiters = still;
  }
}

/** Offset after the last stored event: last batch key + its length (0 for an empty log). */
function lastBatchEnd(db: Database<Buffer, number>): number {
  for (const { key, value } of db.getRange({ reverse: true, limit: 1 })) return key + decodeBatch(value).length;
  return 0;
}

function lastKey(db: Database<unknown, number>): number {
  for (const key of db.getKeys({ reverse: true, limit: 1 })) return key;
  return -1;
}

function encodeBatch(events: readonly (FlywheelEvent | null)[]): Buffer {
  return Buffer.from(JSON.stringify(events), 'utf8');
}

function decodeBatch(bytes: Buffer | Uint8Array): (FlywheelEvent | null)[] {
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as (FlywheelEvent | null)[];
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
