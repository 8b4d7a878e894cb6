import type { Logger } from 'pino';
import type { FlywheelEvent } from '../events/event';
import { validateEvent } from '../events/validate';
import type { EventLog, LogRecord, PartitionOffsets } from '../event-log/event-log';
import { Attribution, type AttributionOptions, type AttributionRecord, type OutcomeBucket, type OutcomeGroup, type OutcomeTotals } from './attribution';

/**
 * The live outcome state of this gateway: attribution of clicks, carts and purchases to served lists, and
 * the totals per strategy and variant. Fed by the `attribute-outcomes` pipeline stage on every event
 * (ingestion on one machine; each instance's fan-out consumer on Kafka + Neo4j, like the detectors, so
 * every gateway answers for the whole stream). It is derived from the log only, so it is rebuilt from the
 * log at start (`bootstrap`) rather than stored anywhere:
 *
 * - embedded log: the stored records up to the graph snapshot's position, read in place; ingestion then
 *   replays the tail after it through the stage, so every record is seen once;
 * - Kafka + Neo4j: the topic from its earliest retained record up to where the fan-out consumer was pinned;
 *   the fan-out then continues from exactly there;
 * - Kafka + embedded graph: nothing to do, ingestion reads the topic from the start.
 *
 * Erased actors' records are dropped on the way in (`filter`, the ErasureService's). On erasure the
 * embedded gateway rebuilds the state from the rewritten log, so their counts go as well; on Kafka the
 * actors are forgotten (their past counts stay in the totals, anonymous, until the next start, whose
 * rebuild skips them through the erasure list).
 */
export interface OutcomesDeps {
  log: EventLog;
  logger: Logger;
  /** Drops records of erased actors (ErasureService.filter). */
  filter(events: readonly FlywheelEvent[]): readonly FlywheelEvent[];
}

export class Outcomes {
  private attribution: Attribution;

  constructor(
    private readonly options: AttributionOptions,
    private readonly deps: OutcomesDeps,
  ) {
    this.attribution = new Attribution(options);
  }

  /** The pipeline stage's entry: a batch in log order. */
  observe(events: readonly FlywheelEvent[]): void {
    this.attribution.observe(this.deps.filter(events));
  }

  /** Rebuilds the state from what the log held before this gateway's consumers start (see the class comment). */
  async bootstrap(from: { through: number } | { broadcastEnd: PartitionOffsets; group: string } | null): Promise<number> {
    if (from === null) return 0;
    const started = Date.now();
    let records = 0;
    if ('through' in from) {
      if (!this.deps.log.rewritable || from.through < 0) return 0;
      records = this.replayStored(this.attribution, from.through);
    } else {
      const broadcast = this.deps.log.broadcast;
      if (!broadcast) return 0;
      await broadcast.readUntil(from.broadcastEnd, from.group, async (batch: readonly LogRecord[]) => {
        const events: FlywheelEvent[] = [];
        for (const r of batch) {
          if (r.undecodable) continue;
          // Ingestion dead-letters what is invalid; the rebuild steps over it, as the fan-out does.
          const v = validateEvent(r.event);
          if (v.ok) events.push(v.event);
        }
        records += batch.length;
        this.observe(events);
      });
    }
    this.deps.logger.info({ records, ms: Date.now() - started }, 'outcomes rebuilt from the log');
    return records;
  }

  /**
   * Erasure. Where the log was rewritten (embedded), the state is rebuilt from it in one synchronous pass,
   * so nothing derived from the erased records stays and no batch interleaves; records ingestion has not
   * fed yet are fed again later and counted once (ids). Elsewhere the actors are forgotten.
   */
  forgetActors(actors: readonly string[]): void {
    if (this.deps.log.rewritable) {
      const next = new Attribution(this.options);
      this.replayStored(next, undefined);
      this.attribution = next;
      return;
    }
    this.attribution.forgetActors(actors);
  }

  totals(): OutcomeTotals[] {
    return this.attribution.totals();
  }

  buckets(group: OutcomeGroup, from?: number, to?: number): OutcomeBucket[] {
    return this.attribution.buckets(group, from, to);
  }

  attributionOf(e: Parameters<Attribution['attributionOf']>[0]): AttributionRecord | null | undefined {
    return this.attribution.attributionOf(e);
  }

  unattributedCounts() {
    return this.attribution.unattributedCounts();
  }

  private replayStored(into: Attribution, through: number | undefined): number {
    let count = 0;
    let chunk: FlywheelEvent[] = [];
    for (const e of this.deps.log.rewritable!.scanEvents(through)) {
      chunk.push(e);
      if (chunk.length === 5000) {
        into.observe(this.deps.filter(chunk));
        count += chunk.length;
        chunk = [];
      }
    }
    into.observe(this.deps.filter(chunk));
    return count + chunk.length;
  }
}
