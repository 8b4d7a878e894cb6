import neo4j from 'neo4j-driver';
import type { Logger } from 'pino';
import type { Neo4jSession, Statements } from './session';

/** How long applied event ids are remembered on Neo4j, and how often the older ones are deleted. */
export interface IdempotencyWindow {
  /** An id applied longer ago than this is forgotten: the same id arriving later is applied again. */
  windowMs: number;
  /** How often the forgotten ones are deleted (default: a quarter of the window, at most 10 minutes). */
  pruneEveryMs?: number;
}

/**
 * The applied event ids on Neo4j: one `(:Event {id, appliedAt})` per applied event (id = idempotencyKey),
 * created in the batch's own write transaction (writes.ts), so a batch and its ids commit together.
 *
 * They are kept for a window, not for ever: at 20,000 events/s a node per event would be 1.7 billion nodes a
 * day. Who can send an id again, and when: the ingestion consumer group redelivers a batch whose offsets it had
 * not committed (seconds), a replay re-reads at most the topic's retention (7 days by Kafka's default), and a
 * client retries a request within its own timeout. So the window defaults to 7 days
 * (`FLYWHEEL_IDEMPOTENCY_WINDOW_HOURS`), and an id older than that is deleted, in batches of 10,000 per write
 * transaction through the `appliedAt` index (migration 1), by every gateway on a timer: deleting an id twice
 * is harmless, and none of these deletes touch a node a batch write locks (a batch creates new Event nodes).
 */
export class Neo4jEventIds {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  /** Ids deleted by this gateway since it started (tests, logs). */
  pruned = 0;

  constructor(private readonly session: Neo4jSession) {}

  /** Which of these keys were applied (inside the batch's transaction). */
  async known(tx: Statements, keys: readonly string[]): Promise<Set<string>> {
    const res = await tx.run('UNWIND $ids AS id MATCH (e:Event {id: id}) RETURN e.id AS id', { ids: keys });
    return new Set(res.records.map((r) => r.get('id') as string));
  }

  /** Records these keys as applied now (inside the batch's transaction). */
  async record(tx: Statements, keys: readonly string[]): Promise<void> {
    await tx.run('UNWIND $ids AS id CREATE (:Event {id: id, appliedAt: $now})', { ids: keys, now: Date.now() });
  }

  /** Deletes the ids applied before `before` (epoch ms), 10,000 per transaction; returns how many. */
  prune(before: number, batch = 10_000): Promise<number> {
    // one pass at a time per gateway: a timer tick that finds one running waits for it instead of racing it
    this.running ??= this.pruneAll(before, batch).finally(() => (this.running = null));
    return this.running;
  }

  /** Prunes on a timer (unref'd) from now until `stop`; a failed pass is logged and the next tick tries again. */
  start(window: IdempotencyWindow, logger?: Logger): void {
    if (this.timer || !(window.windowMs > 0)) return;
    const every = window.pruneEveryMs ?? Math.min(10 * 60_000, Math.max(1000, window.windowMs / 4));
    this.timer = setInterval(() => {
      this.prune(Date.now() - window.windowMs)
        .then((n) => {
          if (n > 0) logger?.info({ pruned: n, windowMs: window.windowMs }, 'applied event ids older than the idempotency window deleted');
        })
        .catch((err: unknown) => logger?.warn({ err }, 'pruning applied event ids failed; the next pass tries again'));
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private async pruneAll(before: number, batch: number): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.session.write(async (tx) => {
        const res = await tx.run('MATCH (e:Event) WHERE e.appliedAt < $before WITH e LIMIT $batch DELETE e RETURN count(*) AS n', {
          before,
          batch: neo4j.int(batch),
        });
        return Number(res.records[0]?.get('n') ?? 0);
      });
      total += n;
      this.pruned += n;
      if (n < batch) return total;
    }
  }
}
