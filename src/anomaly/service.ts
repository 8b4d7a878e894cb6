/**
 * AnomalyService: the streaming detectors on the ingestion path of a running gateway.
 *
 * The pipeline stage `detect-anomalies` (src/app/stages.ts): every applied batch is observed by the AnomalyDetector
 * (which keeps flagged points out of its own baselines); findings are stored on the graph, linked to their
 * user and item (`AnomalyStore.putAnomalies`), and the new ones are published to subscribers. Actors flagged
 * for BOT_ACTIVITY are excluded at the graph level (`AnomalyStore.setActorExcluded`) for the flag's lifetime,
 * so their interactions stop counting in items' userCount (and, on the embedded graph, in the edges a
 * restarted recommender rebuilds from); the recommender's live feed leaves them out through
 * `forRecommender` (FLYWHEEL_IGNORE_BOTS, on by default).
 *
 * Store writes are issued synchronously inside the ingestion hook (the embedded store applies them before
 * the hook returns), so a client that gets its `trackEvents` answer already sees the flag and the exclusion.
 * Detector state is memory only: after a restart, baselines warm up again (stored findings and exclusions
 * survive in the graph snapshot, and re-detected findings keep their id, so they are neither duplicated nor
 * re-published).
 */
import type { Logger } from 'pino';
import { actorId, type FlywheelEvent, type InteractionEvent } from '../events/event';
import type { AnomalyRecord, AnomalyStore } from '../graph/stores/anomalies';
import type { AnomalyConfigInput } from './config';
import { AnomalyDetector } from './detector';
import { RecentSet } from './structures';
import type { AnomalyFinding, AnomalyInput } from './types';

export interface AnomalyServiceOptions {
  /** Run the detectors at all (FLYWHEEL_ANOMALIES). */
  enabled?: boolean;
  /** Exclude bot-flagged actors from other users' recommendations (FLYWHEEL_IGNORE_BOTS). */
  ignoreBots?: boolean;
  config?: AnomalyConfigInput;
  /** Called once per new finding, after it is stored. */
  publish?: (record: AnomalyRecord) => void;
  /**
   * Which findings `publish` gets. 'stored' (default): those this call stored first (a re-detected finding,
   * e.g. on a log replay after a restart, keeps its id and is not published again). 'detected': every
   * finding this instance's detectors produced, once per id, also when another instance stored it first:
   * with several gateways each running the detectors on the whole stream (Kafka fan-out), every instance's
   * subscribers must get each alert while the shared store keeps it once.
   */
  publishScope?: 'stored' | 'detected';
  /** Called when an actor is flagged as a bot (and bots are ignored): forget what it already did. */
  onBotFlagged?: (actorId: string) => void;
  logger?: Logger;
  /**
   * Every this many ms of wall time, close traffic buckets up to now (so a traffic drop to zero is noticed
   * without new events), but only while the stream is live (latest event within 10 minutes). 0 disables.
   */
  tickMs?: number;
  /** Evidence JSON longer than this is cut (keeps stored records small). */
  maxEvidenceChars?: number;
  /**
   * New findings are logged as one info line per this many ms with counts by kind and severity (the
   * findings themselves at debug level), so a busy stream does not flood the log. Default 60 s.
   */
  logSummaryEveryMs?: number;
  /**
   * True while ingestion replays history after a start (the log tail after the snapshot, after a crash):
   * findings re-detected then are stored (their ids are deterministic) but neither published nor logged
   * as new, so a restart does not re-announce what was announced before it.
   */
  replaying?: () => boolean;
}

export interface AnomalyServiceStats {
  enabled: boolean;
  ignoreBots: boolean;
  observed: number;
  findings: number;
  published: number;
  flaggedBots: number;
  /** New findings (stored first here, or published) since start, by "KIND SEVERITY". */
  newByKind: Record<string, number>;
}

const LIVE_WINDOW_MS = 10 * 60_000;

export class AnomalyService {
  readonly detector: AnomalyDetector;
  readonly enabled: boolean;
  readonly ignoreBots: boolean;
  /** Bot-flagged actor -> end of its flag (event time). */
  private readonly botUntil = new Map<string, number>();
  private latest = -Infinity;
  private observed = 0;
  private findings = 0;
  private published = 0;
  private timer: NodeJS.Timeout | null = null;
  private pending: Promise<void> = Promise.resolve();
  private readonly newByKind = new Map<string, number>();
  /** New findings not logged yet (the next summary line), and when the last summary was written. */
  private unlogged = new Map<string, number>();
  private lastSummaryAt = -Infinity;
  private summaryTimer: NodeJS.Timeout | null = null;
  /** Ids published by this instance (publishScope 'detected'), bounded, oldest forgotten first. */
  private readonly publishedIds = new RecentSet(10_000);

  constructor(
    private readonly store: AnomalyStore,
    private readonly options: AnomalyServiceOptions = {},
  ) {
    this.detector = new AnomalyDetector(options.config);
    this.enabled = options.enabled ?? true;
    this.ignoreBots = options.ignoreBots ?? true;
  }

  /** Restores bot flags from stored findings and starts the traffic ticker. */
  async start(): Promise<void> {
    const now = Date.now();
    let after: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await this.store.listAnomalies({ first: 500, after, kinds: ['BOT_ACTIVITY'] });
      for (const r of page.anomalies) {
        const until = flaggedUntil(r);
        if (r.userId && until !== null && until >= now && until > (this.botUntil.get(r.userId) ?? -Infinity)) this.botUntil.set(r.userId, until);
      }
      if (!page.hasNextPage || !page.endCursor) break;
      after = page.endCursor;
    }
    // Exclusions whose flag has expired (or that were made with FLYWHEEL_IGNORE_BOTS since turned off) are lifted.
    for (const actor of await this.store.excludedActors()) {
      if (!this.ignoreBots || !this.botUntil.has(actor)) await this.store.setActorExcluded(actor, false);
    }
    const tickMs = this.options.tickMs ?? 0;
    if (this.enabled && tickMs > 0) {
      this.timer = setInterval(() => this.tick(Date.now()), tickMs);
      this.timer.unref();
    }
  }

  /** The ingestion hook: observe an applied batch. Never throws (errors are logged). */
  onApplied(events: readonly FlywheelEvent[]): void {
    if (!this.enabled) return;
    try {
      const batch: { finding: AnomalyFinding; event: InteractionEvent | null }[] = [];
      for (const e of events) {
        if (e.kind !== 'interaction') continue;
        this.observed++;
        if (e.timestamp > this.latest) this.latest = e.timestamp;
        for (const f of this.detector.observe(e as AnomalyInput)) batch.push({ finding: f, event: e });
      }
      this.expireBots();
      if (batch.length > 0) this.record(batch);
    } catch (err) {
      this.options.logger?.error({ err }, 'anomaly detection failed on a batch');
    }
  }

  /** Closes what only time closes (traffic buckets up to `now`, open orders) while the stream is live. */
  tick(now: number): void {
    if (!this.enabled || !(now > this.latest) || now - this.latest > LIVE_WINDOW_MS) return;
    try {
      const fs = this.detector.flush(now);
      if (fs.length > 0) this.record(fs.map((finding) => ({ finding, event: null })));
    } catch (err) {
      this.options.logger?.error({ err }, 'anomaly tick failed');
    }
  }

  /**
   * Judges what only the end of a stream closes (open orders): at the end of a bulk import, whose detector
   * state is gone by the next start. A live gateway does this on its ticks.
   */
  flushOpen(): void {
    if (!this.enabled) return;
    try {
      const fs = this.detector.flush();
      if (fs.length > 0) this.record(fs.map((finding) => ({ finding, event: null })));
    } catch (err) {
      this.options.logger?.error({ err }, 'anomaly flush failed');
    }
  }

  /**
   * The batch without the interactions of bot-flagged actors (when ignoreBots): what a recommender that keeps
   * its own index should be fed. Call after `onApplied(events)`, so a burst flagged inside this very batch is
   * dropped whole. Returns the same array when nothing is dropped.
   */
  forRecommender(events: readonly FlywheelEvent[]): readonly FlywheelEvent[] {
    if (!this.ignoreBots || this.botUntil.size === 0) return events;
    let keep: FlywheelEvent[] | null = null;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const drop = e.kind === 'interaction' && this.botUntil.has(actorId(e));
      if (drop && keep === null) keep = events.slice(0, i);
      else if (!drop && keep !== null) keep.push(e);
    }
    return keep ?? events;
  }

  /**
   * A finding from outside the detectors (an experiment's sample-ratio mismatch): stored and published like
   * theirs, through the same path (its id makes it once per subject).
   */
  report(finding: AnomalyFinding): void {
    if (!this.enabled) return;
    try {
      this.record([{ finding, event: null }]);
    } catch (err) {
      this.options.logger?.error({ err }, 'could not record a reported anomaly');
    }
  }

  /** Erasure: the detectors forget these actors' histories, and their bot flags are dropped. */
  forgetActors(actors: readonly string[]): void {
    this.detector.forgetActors(actors);
    for (const a of actors) this.botUntil.delete(a);
  }

  /** True while the actor (userId, or "session:<id>") is within its bot flag. */
  isFlaggedBot(actor: string): boolean {
    const until = this.botUntil.get(actor);
    return until !== undefined && until >= Math.min(this.latest === -Infinity ? Date.now() : this.latest, Date.now());
  }

  /** Resolves when the stores and publications of everything observed so far are done. */
  idle(): Promise<void> {
    return this.pending;
  }

  stats(): AnomalyServiceStats {
    return {
      enabled: this.enabled,
      ignoreBots: this.ignoreBots,
      observed: this.observed,
      findings: this.findings,
      published: this.published,
      flaggedBots: this.botUntil.size,
      newByKind: Object.fromEntries(this.newByKind),
    };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.summaryTimer) clearTimeout(this.summaryTimer);
    this.summaryTimer = null;
    this.logSummary();
  }

  /** Counts new findings and logs them: details at debug, a summary line at most once per period at info. */
  private noteNew(records: readonly AnomalyRecord[], storedHere: number): void {
    if (records.length === 0) return;
    for (const r of records) {
      const key = `${r.kind} ${r.severity}`;
      this.newByKind.set(key, (this.newByKind.get(key) ?? 0) + 1);
      this.unlogged.set(key, (this.unlogged.get(key) ?? 0) + 1);
    }
    this.options.logger?.debug({ anomalies: records.map((r) => `${r.severity} ${r.id}`), storedHere }, 'anomalies detected');
    const every = this.options.logSummaryEveryMs ?? 60_000;
    const wait = this.lastSummaryAt + every - Date.now();
    if (wait <= 0) this.logSummary();
    else if (!this.summaryTimer) {
      this.summaryTimer = setTimeout(() => {
        this.summaryTimer = null;
        this.logSummary();
      }, wait);
      this.summaryTimer.unref();
    }
  }

  private logSummary(): void {
    if (this.unlogged.size === 0) return;
    const counts = [...this.unlogged].sort((a, b) => b[1] - a[1]);
    const total = counts.reduce((s, [, n]) => s + n, 0);
    this.unlogged = new Map();
    const since = this.lastSummaryAt;
    this.lastSummaryAt = Date.now();
    this.options.logger?.info(
      { new: Object.fromEntries(counts) },
      `${total} new anomal${total === 1 ? 'y' : 'ies'}${Number.isFinite(since) ? ` in the last ${Math.round((this.lastSummaryAt - since) / 1000)} s` : ''}: ${counts.map(([k, n]) => `${n} ${k}`).join(', ')} (query \`anomalies\`, or LOG_LEVEL=debug for each)`,
    );
  }

  private record(batch: { finding: AnomalyFinding; event: InteractionEvent | null }[]): void {
    const records = batch.map(({ finding, event }) => toRecord(finding, event, this.options.maxEvidenceChars ?? 8000));
    this.findings += records.length;
    const replaying = this.options.replaying?.() ?? false;
    // Issued synchronously: the embedded store has applied both before this returns.
    const stored = this.store.putAnomalies(records);
    // Its failure is logged by the chain below, which may reach it only after earlier stores finish:
    // mark it handled now, or a store that is down (Neo4j outage) raises an unhandled rejection meanwhile.
    stored.catch(() => undefined);
    for (const r of records) {
      if (r.kind !== 'BOT_ACTIVITY' || !r.userId) continue;
      const until = flaggedUntil(r) ?? this.latest;
      if (until > (this.botUntil.get(r.userId) ?? -Infinity)) this.botUntil.set(r.userId, until);
      if (this.ignoreBots) {
        void this.store.setActorExcluded(r.userId, true).catch((err: unknown) => this.options.logger?.error({ err }, 'bot exclusion failed'));
        this.options.onBotFlagged?.(r.userId);
      }
    }
    this.pending = this.pending
      .then(() => stored)
      .then((added) => {
        if (replaying) {
          for (const r of records) this.publishedIds.seen(r.id);
          return;
        }
        const out = this.options.publishScope === 'detected' ? records.filter((r) => !this.publishedIds.seen(r.id)) : added;
        for (const r of out) {
          this.published++;
          this.options.publish?.(r);
        }
        this.noteNew(out, added.length);
      })
      .catch((err: unknown) => this.options.logger?.error({ err }, 'storing anomalies failed'));
  }

  private expireBots(): void {
    if (this.botUntil.size === 0) return;
    for (const [actor, until] of this.botUntil) {
      if (until >= this.latest || this.detector.isFlaggedBot(actor)) continue;
      this.botUntil.delete(actor);
      if (this.ignoreBots)
        void this.store.setActorExcluded(actor, false).catch((err: unknown) => this.options.logger?.error({ err }, 'lifting bot exclusion failed'));
    }
  }
}

function flaggedUntil(r: AnomalyRecord): number | null {
  if (!r.evidence) return null;
  try {
    const v = (JSON.parse(r.evidence) as { flaggedUntil?: unknown }).flaggedUntil;
    return typeof v === 'number' ? v : null;
  } catch {
    return null;
  }
}

/**
 * Finding -> stored record, with its links: the actor (graph user id) and item it concerns. Bursts link
 * the bot; quantity and price findings link the buyer and the item of the triggering event; order values
 * link the customer; item traffic links the item.
 */
export function toRecord(f: AnomalyFinding, e: InteractionEvent | null, maxEvidenceChars = 8000): AnomalyRecord {
  let userId: string | null = null;
  let itemId: string | null = null;
  const ev = f.evidence as { actorId?: unknown; itemId?: unknown };
  switch (f.kind) {
    case 'BOT_ACTIVITY':
      userId = typeof ev.actorId === 'string' ? ev.actorId : f.entityType === 'session' ? `session:${f.entityId}` : f.entityId;
      break;
    case 'QUANTITY_OUTLIER':
    case 'PRICE_ANOMALY':
      userId = e ? actorId(e) : typeof ev.actorId === 'string' ? ev.actorId : null;
      itemId = e ? e.itemId : typeof ev.itemId === 'string' ? ev.itemId : f.entityType === 'item' ? f.entityId : null;
      break;
    case 'ORDER_VALUE_OUTLIER':
      userId = f.entityType === 'session' ? `session:${f.entityId}` : f.entityId;
      break;
    default:
      if (f.entityType === 'item') itemId = f.entityId;
  }
  let evidence: string | null = JSON.stringify(f.evidence) ?? null;
  if (evidence !== null && evidence.length > maxEvidenceChars) evidence = JSON.stringify({ truncated: true, text: evidence.slice(0, maxEvidenceChars) });
  return {
    id: f.id,
    kind: f.kind,
    severity: f.severity,
    entityType: f.entityType,
    entityId: f.entityId,
    score: Number.isFinite(f.score) ? f.score : 0,
    detectedAt: f.detectedAt,
    message: f.message,
    evidence,
    acknowledged: false,
    userId,
    itemId,
  };
}
