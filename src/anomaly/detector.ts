/**
 * AnomalyDetector: pure, streaming anomaly detection on the ingestion path.
 *
 * Feed it InteractionEvents in (roughly) event-time order; each `observe` returns the findings that event
 * produced. Bounded memory (every per-key table is an LRU capped at `maxTrackedKeys`, every per-key history a
 * fixed ring buffer) and bounded work per event (at most one sort of a small window per scope; empty traffic
 * buckets replayed at most `maxCatchUpBuckets` at a time). No clocks, no I/O: time is event time.
 *
 * Detectors: BOT_ACTIVITY (./bot.ts), TRAFFIC_SPIKE / TRAFFIC_DROP (./traffic.ts), QUANTITY_OUTLIER,
 * ORDER_VALUE_OUTLIER and PRICE_ANOMALY (./values.ts).
 */
import { BotDetector } from './bot.js';
import { resolveAnomalyConfig, type AnomalyConfig, type AnomalyConfigInput } from './config.js';
import { RecentSet } from './structures.js';
import { TrafficDetector } from './traffic.js';
import type { AnomalyFinding, AnomalyInput } from './types.js';
import { OrderValueDetector } from './order-value-detector.js';
import { PriceDetector } from './price-detector.js';
import { QuantityDetector } from './quantity-detector.js';

export interface AnomalyDetectorStats {
  events: number;
  duplicates: number;
  findings: number;
  trackedActors: number;
  trackedItemSeries: number;
  trackedQuantityKeys: number;
  trackedOrderKeys: number;
  trackedPriceItems: number;
}

export class AnomalyDetector {
  readonly config: AnomalyConfig;
  private readonly bot: BotDetector;
  private readonly traffic: TrafficDetector;
  private readonly quantity: QuantityDetector;
  private readonly orderValue: OrderValueDetector;
  private readonly price: PriceDetector;
  private readonly recentIds: RecentSet;
  private events = 0;
  private duplicates = 0;
  private findings = 0;

  constructor(config?: AnomalyConfigInput) {
    this.config = resolveAnomalyConfig(config);
    this.bot = new BotDetector(this.config);
    this.traffic = new TrafficDetector(this.config);
    this.quantity = new QuantityDetector(this.config);
    this.orderValue = new OrderValueDetector(this.config);
    this.price = new PriceDetector(this.config);
    this.recentIds = new RecentSet(this.config.dedupeWindow);
  }

  /** Findings produced by one event (usually none). Re-deliveries of a recently seen id are ignored. */
  observe(e: AnomalyInput): AnomalyFinding[] {
    const out: AnomalyFinding[] = [];
    if (e.kind !== 'interaction' || !Number.isFinite(e.timestamp)) return out;
    if (this.recentIds.seen(e.id)) {
      this.duplicates++;
      return out;
    }
    this.events++;
    this.bot.observe(e, out);
    this.traffic.observe(e, out);
    this.quantity.observe(e, out);
    this.orderValue.observe(e, out);
    this.price.observe(e, out);
    this.findings += out.length;
    return out;
  }

  observeBatch(es: Iterable<AnomalyInput>): AnomalyFinding[] {
    const out: AnomalyFinding[] = [];
    for (const e of es) {
      const f = this.observe(e);
      for (const x of f) out.push(x);
    }
    return out;
  }

  /**
   * Close what only time can close: open orders (judged now) and, if `at` is given, overall traffic buckets
   * up to event time `at` (so a drop can be reported when no events arrive at all).
   */
  flush(at?: number): AnomalyFinding[] {
    const out: AnomalyFinding[] = [];
    if (at !== undefined) this.traffic.advanceTo(at, out);
    this.orderValue.flush(out);
    this.findings += out.length;
    return out;
  }

  /**
   * True while the actor (spelled as `actorId()` from events/event.ts: the userId, or `session:<id>`) is
   * within `bot.flagTtlMs` of a detected burst, at event time `at` (default: the latest event time seen).
   * The recommender should ignore such actors' interactions.
   */
  isFlaggedBot(actorId: string, at?: number): boolean {
    return this.bot.isFlagged(actorId, at);
  }

  /**
   * Erasure: forget everything kept about these actors (bot activity, purchase-size and
   * order-value histories, open orders). Per-item baselines (traffic, prices) hold no personal data and stay.
   */
  forgetActors(actors: Iterable<string>): void {
    for (const a of actors) {
      this.bot.forgetActor(a);
      this.quantity.forgetActor(a);
      this.orderValue.forgetActor(a);
    }
  }

  flaggedBots(at?: number): string[] {
    return this.bot.flaggedActors(at);
  }

  stats(): AnomalyDetectorStats {
    return {
      events: this.events,
      duplicates: this.duplicates,
      findings: this.findings,
      trackedActors: this.bot.trackedActors,
      trackedItemSeries: this.traffic.trackedItems,
      trackedQuantityKeys: this.quantity.trackedKeys,
      trackedOrderKeys: this.orderValue.trackedKeys,
      trackedPriceItems: this.price.trackedItems,
    };
  }
}
