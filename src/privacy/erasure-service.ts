import type { Logger } from 'pino';
import { eventActor, type FlywheelEvent } from '../events/event';
import { idempotencyKey } from '../events/idempotency';
import type { EventLog } from '../event-log/event-log';
import type { ErasureStore } from '../graph/stores/erasure';
import type { GraphWriteStore } from '../graph/stores/graph-writes';
import type { Recommender } from '../recommend/recommender';

/**
 * Right to erasure: `eraseUser(id)` removes a user from everything the gateway serves.
 *
 * Embedded (LMDB log + in-memory graph), in this order, so a crash at any point never brings the user back:
 *   1. look up the user's event ids and the anonymous sessions linked to them (events carrying both ids)
 *      in the log;
 *   2. the graph erases the actors (user + linked sessions): node, edges, segment membership, linked
 *      anomaly findings (others redacted), every derived count and similarity list; records them on its
 *      erasure list;
 *   3. a snapshot is written at once (it no longer holds the user, and it carries the erasure list);
 *   4. the log rewrites their events as holes (offsets of everyone else are kept) and drops their dead
 *      letters. A crash between 3 and 4 leaves events in the log that replay skips (erasure list); running
 *      the erasure again removes them.
 *   5. the recommender forgets the user (see `forgetInRecommender`), and so do the anomaly detectors'
 *      per-actor histories (`onErased`).
 *
 * Kafka: the topic is append-only, so the graph store's erasure list (`(:Erased {id, at})` on Neo4j, in
 * the snapshot on the embedded graph) is what keeps the events out: every apply skips interaction events
 * of an erased actor with a timestamp up to the erasure time, including a replay from offset 0. The raw
 * bytes leave the topic with its retention (see RELIABILITY.md). Live feeds (recommender, anomaly
 * detectors) receive whole batches from the ingestor, so `filter()` is applied to them as well.
 */
export interface ErasureResultData {
  userId: string;
  found: boolean;
  actors: string[];
  interactionsRemoved: number;
  itemsAffected: number;
  segmentMemberships: number;
  anomaliesRemoved: number;
  anomaliesRedacted: number;
  eventsRemoved: number;
  deadLettersRemoved: number;
  /** 'log-rewritten' (embedded log: events deleted) or 'erasure-list' (Kafka: skipped on replay). */
  logStrategy: 'log-rewritten' | 'erasure-list';
  erasedAt: Date;
}

export interface ErasureServiceDeps {
  store: ErasureStore & Pick<GraphWriteStore, 'checkpoint'>;
  log: EventLog;
  logger: Logger;
  /** The recommender currently serving (it may be replaced by a rebuilt one). */
  recommender(): Recommender;
  /** Builds a fresh recommender on the store (same options), and installs a replacement. */
  rebuildRecommender?(): Recommender;
  installRecommender?(next: Recommender): void;
}

type Forgetful = { forgetUser?(userId: string): void };

/** Something that keeps its own per-actor state outside the graph (the anomaly detectors, say). */
export type ActorForgetter = (actors: readonly string[]) => void;

/**
 * The events without those of erased actors up to their erasure time (actor -> time, the erasure list): what every
 * reader of an append-only log (Kafka) must apply, since the records stay in the topic until its retention ends.
 * Returns the same array when nothing is dropped.
 */
export function dropErased(events: readonly FlywheelEvent[], erased: ReadonlyMap<string, number>): readonly FlywheelEvent[] {
  if (erased.size === 0) return events;
  const out = events.filter((e) => {
    const actor = eventActor(e);
    if (actor === undefined) return true;
    const at = erased.get(actor);
    return at === undefined || e.timestamp > at;
  });
  return out.length === events.length ? events : out;
}

export class ErasureService {
  private erased = new Map<string, number>();
  /** Events handed to live feeds while a recommender is being rebuilt. */
  private pending: FlywheelEvent[][] | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private readonly forgetters: ActorForgetter[] = [];

  constructor(private readonly deps: ErasureServiceDeps) {}

  /** Loads the erasure list (so live feeds filter from the first batch). */
  async start(): Promise<void> {
    this.erased = await this.deps.store.erasedActors();
  }

  /** Registers in-memory state outside the graph and the recommender that must forget erased actors. */
  onErased(forget: ActorForgetter): void {
    this.forgetters.push(forget);
  }

  /** Drops events of erased actors up to their erasure time (for the ingestor's live listeners). */
  filter(events: readonly FlywheelEvent[]): readonly FlywheelEvent[] {
    return dropErased(events, this.erased);
  }

  /** Called with every batch fed to the recommender, so a rebuild in progress misses nothing. */
  noteFed(events: readonly FlywheelEvent[]): void {
    this.pending?.push([...events]);
  }

  /** Erasures run one at a time. */
  erase(userId: string): Promise<ErasureResultData> {
    const run = this.running.then(() => this.eraseNow(userId));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async eraseNow(userId: string): Promise<ErasureResultData> {
    const { store, log, logger } = this.deps;
    const at = Date.now();
    // 1. what the log knows: event ids and linked anonymous sessions
    const sessions = new Set<string>();
    const eventIds: string[] = [];
    const rewritable = log.rewritable;
    if (rewritable) {
      for (const e of rewritable.scanEvents()) if (e.kind === 'interaction' && e.userId === userId && e.sessionId !== undefined) sessions.add(e.sessionId);
      for (const e of rewritable.scanEvents())
        if (e.kind === 'interaction' && (e.userId === userId || (e.userId === undefined && e.sessionId !== undefined && sessions.has(e.sessionId))))
          eventIds.push(idempotencyKey(e));
    }
    // 2. the graph (and its erasure list), 3. a snapshot without them
    const report = await store.eraseUser(userId, { sessions: [...sessions], eventIds, at });
    for (const a of report.actors) this.erased.set(a, Math.max(at, this.erased.get(a) ?? 0));
    await store.checkpoint();
    // 4. the log
    let eventsRemoved = 0;
    let deadLettersRemoved = 0;
    if (rewritable) {
      // Interactions and impressions (the lists shown to them) alike: every record about the person.
      const ofUser = (e: FlywheelEvent) =>
        (e.kind === 'interaction' || e.kind === 'impression') &&
        (e.userId === userId || (e.userId === undefined && e.sessionId !== undefined && sessions.has(e.sessionId)));
      eventsRemoved = await rewritable.eraseWhere(ofUser);
      const needles = [userId, ...sessions].map((id) => JSON.stringify(id));
      deadLettersRemoved = await rewritable.eraseDeadLettersWhere((d) => {
        // A truncated dead letter keeps a prefix of the input's JSON text: search that text as it is.
        const raw = typeof d.raw === 'string' ? d.raw : (JSON.stringify(d.raw) ?? '');
        return needles.some((n) => raw.includes(n));
      });
    }
    // 5. the recommender and other in-memory state (anomaly detector histories)
    await this.forgetInRecommender(report.actors);
    for (const forget of this.forgetters) forget(report.actors);
    logger.warn({ actors: report.actors.length, interactions: report.interactionsRemoved, eventsRemoved }, 'user erased');
    return {
      userId,
      found: report.found || eventsRemoved > 0,
      actors: report.actors,
      interactionsRemoved: report.interactionsRemoved,
      itemsAffected: report.itemsAffected.length,
      segmentMemberships: report.segmentMemberships,
      anomaliesRemoved: report.anomaliesRemoved,
      anomaliesRedacted: report.anomaliesRedacted,
      eventsRemoved,
      deadLettersRemoved,
      logStrategy: rewritable ? 'log-rewritten' : 'erasure-list',
      erasedAt: new Date(at),
    };
  }

  /**
   * The recommender keeps its own index of interactions: `forgetUser(id)` is called when it exists, and
   * the recommender is rebuilt from the (already erased) store and swapped in, with the batches applied
   * meanwhile replayed into the new one.
   */
  private async forgetInRecommender(actors: readonly string[]): Promise<void> {
    const current = this.deps.recommender() as Recommender & Forgetful;
    // Immediate: their co-occurrences stop counting at once.
    if (typeof current.forgetUser === 'function') for (const a of actors) current.forgetUser(a);
    // Complete: `forgetUser` leaves their share of the trending counts (and their id in the index), so
    // the recommender is rebuilt from the erased store as well. Drop this once forgetUser undoes those.
    const { rebuildRecommender, installRecommender } = this.deps;
    if (!rebuildRecommender || !installRecommender) return;
    this.pending = [];
    try {
      const next = rebuildRecommender();
      await next.bootstrap();
      await next.whenFresh();
      for (const batch of this.pending) next.applyEvents(this.filter(batch));
      installRecommender(next);
      current.close();
    } finally {
      this.pending = null;
    }
  }
}
