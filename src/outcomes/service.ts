import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { FlywheelEvent } from '../events/event';
import { validEventsOf, validateEvent } from '../events/validate';
import type { EventLog, LogRecord, PartitionOffsets } from '../event-log/event-log';
import { Attribution, type AttributionOptions, type AttributionRecord, type OutcomeBucket, type OutcomeGroup, type OutcomeTotals } from './attribution';
import { ExperimentBook, type AppliedExperimentRecord, type ExperimentView, type GuardrailFailure, type VariantBlend } from './experiments';
import type { SrmResult } from '../experiments/srm';
import { schemaVersionOf, type ExperimentEvent } from '../events/event';

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
  /** A variant was shipped: its strategy (and a weighted variant's blend weights) become the default (on every gateway, as each reads the record). */
  onShipped?(strategy: string, experimentId: string, blend?: Readonly<Record<string, number>>): void;
  /** The running experiment's weighted variants changed: the blends its requests need (ExperimentBook's hook). */
  onVariantBlends?(blends: readonly VariantBlend[]): void;
  /** A running experiment's users per variant do not fit its shares (once per experiment). */
  onSampleRatioMismatch?(experiment: ExperimentView, users: number[], srm: SrmResult, at: number): void;
  /** A guardrail of a running A/B experiment failed its always-valid non-inferiority test (once per experiment, variant and metric). */
  onGuardrailFailure?(experiment: ExperimentView, failure: GuardrailFailure, at: number): void;
}

/** Attribution and experiments, derived together from the same records in the same order. */
interface State {
  attribution: Attribution;
  experiments: ExperimentBook;
}

export class Outcomes {
  private state: State;
  private readonly recordListeners = new Set<(r: AppliedExperimentRecord) => void>();

  constructor(
    private readonly options: AttributionOptions,
    private readonly deps: OutcomesDeps,
  ) {
    this.state = this.fresh();
  }

  /** The experiment registry and per-user results (read it here each time: erasure may rebuild it). */
  get experiments(): ExperimentBook {
    return this.state.experiments;
  }

  /** Called with every experiment record as it is applied (or skipped): mutations wait for their own. */
  onExperimentRecord(listener: (r: AppliedExperimentRecord) => void): () => void {
    this.recordListeners.add(listener);
    return () => void this.recordListeners.delete(listener);
  }

  /** The pipeline stage's entry: a batch in log order. */
  observe(events: readonly FlywheelEvent[]): void {
    this.observeInto(this.state, events);
    this.checkSampleRatios(events);
    this.checkGuardrails(events);
  }

  /**
   * Appends an experiment record (an analyst's mutation) and waits until this gateway has read it back from
   * the log (its ingestion or fan-out consumer), so the answer shows the registry as every gateway will.
   * `applied: false` when the lifecycle refused it on the way (another gateway's record came first).
   */
  async recordExperiment(fields: Omit<ExperimentEvent, 'kind' | 'v' | 'id' | 'timestamp'>, timeoutMs = 10_000): Promise<AppliedExperimentRecord> {
    const record: ExperimentEvent = { kind: 'experiment', v: schemaVersionOf(fields), id: randomUUID(), ...fields, timestamp: Date.now() };
    const valid = validateEvent(record);
    if (!valid.ok) return { record, applied: false, reason: valid.reason };
    let stop: () => void = () => undefined;
    const seen = new Promise<AppliedExperimentRecord>((resolve) => {
      stop = this.onExperimentRecord((r) => {
        if (r.record.id === record.id) resolve(r);
      });
    });
    try {
      await this.deps.log.append([valid.event]);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the experiment record was stored but not read back within ${timeoutMs} ms (ingestion behind?)`)), timeoutMs);
      });
      try {
        return await Promise.race([seen, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      stop();
    }
  }

  private checkSampleRatios(events: readonly FlywheelEvent[]): void {
    if (!this.deps.onSampleRatioMismatch || !events.some((e) => e.kind === 'impression' && e.experimentId !== undefined)) return;
    const book = this.state.experiments;
    for (const { experimentId, users, srm } of book.sampleRatios()) {
      if (!srm.mismatch) continue;
      book.markSrmAlerted(experimentId);
      const at = events.reduce((t, e) => Math.max(t, e.timestamp), 0);
      this.deps.onSampleRatioMismatch(book.get(experimentId)!, users, srm, at);
    }
  }

  private checkGuardrails(events: readonly FlywheelEvent[]): void {
    if (!this.deps.onGuardrailFailure || events.length === 0) return;
    const book = this.state.experiments;
    const failures = book.takeGuardrailFailures();
    if (failures.length === 0) return;
    const at = events.reduce((t, e) => Math.max(t, e.timestamp), 0);
    for (const f of failures) this.deps.onGuardrailFailure(book.get(f.experimentId)!, f, at);
  }

  private fresh(): State {
    const experiments = new ExperimentBook({
      onShipped: (strategy, id, blend) => this.deps.onShipped?.(strategy, id, blend),
      onVariantBlends: (blends) => this.deps.onVariantBlends?.(blends),
      onRecord: (r) => this.recordListeners.forEach((l) => l(r)),
      rewardHorizonMs: Math.max(this.options.clickWindowMs, this.options.conversionWindowMs),
    });
    const attribution = new Attribution({
      ...this.options,
      listener: {
        impression: (e, actor) => experiments.onImpression(e, actor),
        outcome: (actor, type, revenue, attributed) => experiments.onOutcome(actor, type, revenue, attributed),
      },
    });
    return { attribution, experiments };
  }

  /** In log order: an experiment record applies between the records around it (an impression right after a start is an exposure). */
  private observeInto(state: State, batch: readonly FlywheelEvent[]): void {
    const events = this.deps.filter(batch);
    let from = 0;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.kind !== 'experiment') continue;
      if (i > from) state.attribution.observe(events.slice(from, i));
      state.experiments.apply(e);
      from = i + 1;
    }
    if (from === 0) state.attribution.observe(events);
    else if (from < events.length) state.attribution.observe(events.slice(from));
  }

  /** Rebuilds the state from what the log held before this gateway's consumers start (see the class comment). */
  async bootstrap(from: { through: number } | { broadcastEnd: PartitionOffsets; group: string } | null): Promise<number> {
    if (from === null) return 0;
    const started = Date.now();
    let records = 0;
    if ('through' in from) {
      if (!this.deps.log.rewritable || from.through < 0) return 0;
      records = this.replayStored(this.state, from.through);
    } else {
      const broadcast = this.deps.log.broadcast;
      if (!broadcast) return 0;
      await broadcast.readUntil(from.broadcastEnd, from.group, async (batch: readonly LogRecord[]) => {
        records += batch.length;
        // Ingestion dead-letters what is invalid; the rebuild steps over it, as the fan-out does.
        this.observe(validEventsOf(batch));
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
      // Rebuilding re-applies a shipped record: the same default again, harmless.
      const next = this.fresh();
      this.replayStored(next, undefined);
      this.state = next;
      return;
    }
    this.state.attribution.forgetActors(actors);
    this.state.experiments.forgetActors(actors);
  }

  totals(): OutcomeTotals[] {
    return this.state.attribution.totals();
  }

  buckets(group: OutcomeGroup, from?: number, to?: number): OutcomeBucket[] {
    return this.state.attribution.buckets(group, from, to);
  }

  attributionOf(e: Parameters<Attribution['attributionOf']>[0]): AttributionRecord | null | undefined {
    return this.state.attribution.attributionOf(e);
  }

  unattributedCounts() {
    return this.state.attribution.unattributedCounts();
  }

  evictedLists(): number {
    return this.state.attribution.evictedLists;
  }

  private replayStored(into: State, through: number | undefined): number {
    let count = 0;
    let chunk: FlywheelEvent[] = [];
    for (const e of this.deps.log.rewritable!.scanEvents(through)) {
      chunk.push(e);
      if (chunk.length === 5000) {
        this.observeInto(into, chunk);
        count += chunk.length;
        chunk = [];
      }
    }
    this.observeInto(into, chunk);
    return count + chunk.length;
  }
}
