/**
 * Traffic spikes and drops: event counts per time bucket (overall, and per item) against an exponentially
 * weighted mean / variance of past buckets.
 *
 * - Spike: judged while the bucket is open, as soon as its count crosses the threshold (one finding per
 *   episode of consecutive spiking buckets).
 * - Drop: judged when a bucket closes, i.e. when event time reaches a later bucket; the empty buckets of a
 *   gap are closed one by one (at most `maxCatchUpBuckets`, bounding the work per event).
 * - Flagged buckets do not update the baseline, unless `adaptAfterBuckets` consecutive buckets were flagged
 *   (a level shift: the baseline then follows the new level).
 * - Variance is floored at the mean (Poisson) so quiet series do not alert on noise; entities need
 *   `warmupBuckets` closed buckets, and drops need a baseline mean of at least `dropMinMean`.
 */
import { actorId, type InteractionEvent } from '../events/event.js';
import type { AnomalyConfig, TrafficConfig } from './config.js';
import { ewUpdate, LruMap, type EwStats } from './structures.js';
import type { AnomalyEntityType, AnomalyFinding, Severity } from './types.js';

interface Series extends EwStats {
  bucket: number;
  count: number;
  /** The open bucket crossed the spike threshold. */
  spiking: boolean;
  spikeEpisode: boolean;
  dropEpisode: boolean;
  flaggedRun: number;
  firstEventId: string;
  lastEventId: string;
}

export class TrafficDetector {
  private readonly cfg: TrafficConfig;
  private readonly global: Series;
  private readonly items: LruMap<Series>;
  /** Last event time per actor (only with countSameInstantOnce). */
  private readonly lastInstant: LruMap<number> | undefined;

  constructor(private readonly config: AnomalyConfig) {
    this.cfg = config.traffic;
    this.global = newSeries(Number.NaN, '');
    this.items = new LruMap(config.maxTrackedKeys);
    if (this.cfg.countSameInstantOnce) this.lastInstant = new LruMap(config.maxTrackedKeys);
  }

  get trackedItems(): number {
    return this.items.size;
  }

  observe(e: InteractionEvent, out: AnomalyFinding[]): void {
    if (this.lastInstant) {
      const actor = actorId(e);
      if (this.lastInstant.get(actor) === e.timestamp) return;
      this.lastInstant.set(actor, e.timestamp);
    }
    this.step(this.global, 'global', 'all', this.cfg.globalBucketMs, this.cfg.spikeMinCount, e, out);
    if (this.cfg.perItem) {
      let s = this.items.get(e.itemId);
      if (!s) {
        s = newSeries(Math.floor(e.timestamp / this.cfg.itemBucketMs), e.id);
        this.items.set(e.itemId, s);
      }
      this.step(s, 'item', e.itemId, this.cfg.itemBucketMs, this.cfg.itemSpikeMinCount, e, out);
    }
  }

  /** Close global buckets up to event time `t` without an event (e.g. from a clock tick). */
  advanceTo(t: number, out: AnomalyFinding[]): void {
    const idx = Math.floor(t / this.cfg.globalBucketMs);
    if (Number.isNaN(this.global.bucket) || idx <= this.global.bucket) return;
    this.roll(this.global, idx, 'global', 'all', this.cfg.globalBucketMs, out);
  }

  private step(
    s: Series,
    entityType: AnomalyEntityType,
    entityId: string,
    bucketMs: number,
    minCount: number,
    e: InteractionEvent,
    out: AnomalyFinding[],
  ): void {
    const idx = Math.floor(e.timestamp / bucketMs);
    if (Number.isNaN(s.bucket)) s.bucket = idx;
    if (idx > s.bucket) this.roll(s, idx, entityType, entityId, bucketMs, out);
    // Late events (older than the open bucket) are counted in the open bucket.
    s.count++;
    if (s.count === 1) s.firstEventId = e.id;
    s.lastEventId = e.id;
    if (s.spiking || s.n < this.cfg.warmupBuckets) return;
    const sd = Math.sqrt(Math.max(s.variance, s.mean, 1));
    const z = (s.count - s.mean) / sd;
    if (z >= this.cfg.spikeZ && s.count >= minCount && s.count >= this.cfg.spikeMinRatio * s.mean) {
      s.spiking = true;
      if (s.spikeEpisode) return; // continuing episode: already reported
      const start = s.bucket * bucketMs;
      out.push({
        id: `TRAFFIC_SPIKE:${entityType}:${entityId}:${start}`,
        kind: 'TRAFFIC_SPIKE',
        severity: severity(z, this.cfg.spikeZ),
        entityType,
        entityId,
        score: z,
        detectedAt: e.timestamp,
        message:
          `${entityType === 'global' ? 'overall traffic' : `item ${entityId}`}: ${s.count} events so far in the ` +
          `${fmtDuration(bucketMs)} bucket from ${new Date(start).toISOString()}, baseline ${s.mean.toFixed(1)} ± ` +
          `${sd.toFixed(1)} (z ${z.toFixed(1)}, x${(s.count / Math.max(s.mean, 1e-9)).toFixed(1)})`,
        evidence: {
          bucketStart: start,
          bucketMs,
          count: s.count,
          baselineMean: s.mean,
          baselineSd: sd,
          bucketsInBaseline: s.n,
          firstEventId: s.firstEventId,
          eventId: e.id,
        },
      });
    }
  }

  /** Close the open bucket and the empty buckets before `idx`; leave bucket `idx` open and empty. */
  private roll(s: Series, idx: number, entityType: AnomalyEntityType, entityId: string, bucketMs: number, out: AnomalyFinding[]): void {
    this.close(s, s.count, s.bucket, entityType, entityId, bucketMs, out);
    s.spiking = false;
    const gap = idx - s.bucket - 1;
    if (gap > this.cfg.maxCatchUpBuckets) {
      // A long silence: report it (first empty bucket), then start the baseline afresh (new warm-up)
      // instead of judging the next burst of activity against a baseline decayed to nothing.
      this.close(s, 0, s.bucket + 1, entityType, entityId, bucketMs, out);
      s.mean = 0;
      s.variance = 0;
      s.n = 0;
      s.spikeEpisode = false;
      s.dropEpisode = false;
      s.flaggedRun = 0;
    } else {
      for (let i = 1; i <= gap; i++) this.close(s, 0, s.bucket + i, entityType, entityId, bucketMs, out);
    }
    s.bucket = idx;
    s.count = 0;
  }

  private close(s: Series, count: number, bucket: number, entityType: AnomalyEntityType, entityId: string, bucketMs: number, out: AnomalyFinding[]): void {
    let flagged = false;
    if (count > 0 && s.spiking) {
      flagged = true;
      s.spikeEpisode = true;
    } else {
      s.spikeEpisode = false;
    }
    if (!flagged && s.n >= this.cfg.warmupBuckets && s.mean >= this.cfg.dropMinMean) {
      const sd = Math.sqrt(Math.max(s.variance, s.mean, 1));
      const z = (count - s.mean) / sd;
      if (z <= -this.cfg.dropZ && count <= this.cfg.dropMaxRatio * s.mean) {
        flagged = true;
        if (!s.dropEpisode) {
          const start = bucket * bucketMs;
          out.push({
            id: `TRAFFIC_DROP:${entityType}:${entityId}:${start}`,
            kind: 'TRAFFIC_DROP',
            severity: severity(-z, this.cfg.dropZ),
            entityType,
            entityId,
            score: -z,
            detectedAt: start + bucketMs,
            message:
              `${entityType === 'global' ? 'overall traffic' : `item ${entityId}`}: ${count} events in the ` +
              `${fmtDuration(bucketMs)} bucket from ${new Date(start).toISOString()}, baseline ` +
              `${s.mean.toFixed(1)} ± ${sd.toFixed(1)} (z ${z.toFixed(1)}, ${((100 * count) / s.mean).toFixed(0)}% of normal)`,
            evidence: {
              bucketStart: start,
              bucketMs,
              count,
              baselineMean: s.mean,
              baselineSd: sd,
              bucketsInBaseline: s.n,
              lastEventIdBefore: s.lastEventId,
            },
          });
        }
        s.dropEpisode = true;
      } else {
        s.dropEpisode = false;
      }
    } else if (!flagged) {
      s.dropEpisode = false;
    }
    if (flagged) {
      s.flaggedRun++;
      if (s.flaggedRun < this.cfg.adaptAfterBuckets) return; // a flagged point does not move its baseline
    } else {
      s.flaggedRun = 0;
    }
    ewUpdate(s, count, this.cfg.alpha);
  }
}

function newSeries(bucket: number, eventId: string): Series {
  return {
    bucket,
    count: 0,
    mean: 0,
    variance: 0,
    n: 0,
    spiking: false,
    spikeEpisode: false,
    dropEpisode: false,
    flaggedRun: 0,
    firstEventId: eventId,
    lastEventId: eventId,
  };
}

function severity(z: number, threshold: number): Severity {
  return z >= 2 * threshold ? 'CRITICAL' : 'WARNING';
}

function fmtDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
