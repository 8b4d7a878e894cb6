/** PRICE_ANOMALY, judged with the robust statistics of robust-judgement.ts. */
import type { AnomalyConfig } from './config.js';
import { LruMap, RobustWindow } from './structures.js';
import type { AnomalyFinding, AnomalyInput } from './types.js';
import { describe, fmt, isCancellation, judge, severityFor } from './robust-judgement.js';

interface PriceState {
  win: RobustWindow;
  /** Consecutive flagged prices at about the same level (one finding per episode). */
  flaggedRun: number;
  /** Log price that opened the current episode. */
  episodeLevel: number;
  /** Recently flagged log prices (ring of QUARANTINE), to recognise recurring price tiers. */
  quarantine: number[];
  qNext: number;
}

const QUARANTINE = 8;
/** Flagged prices within this log distance of the episode's first flagged price continue its episode. */
const EPISODE_TOLERANCE = 0.1;

/** PRICE_ANOMALY: an event's unit price vs the item's recent prices (two-sided, MAD on log price). */
export class PriceDetector {
  private readonly cfg;
  private readonly items: LruMap<PriceState>;
  private readonly global: RobustWindow;

  constructor(private readonly config: AnomalyConfig) {
    this.cfg = config.price;
    this.items = new LruMap(config.maxTrackedKeys);
    this.global = new RobustWindow(this.cfg.globalWindow, this.cfg.globalRefreshEvery);
  }

  get trackedItems(): number {
    return this.items.size;
  }

  observe(e: AnomalyInput, out: AnomalyFinding[]): void {
    const p = e.price;
    if (p === undefined || !Number.isFinite(p)) return;
    const cancellation = isCancellation(e, this.config.quantity.checkRemovals);
    let st = this.items.get(e.itemId);
    if (p <= 0) {
      if (!this.cfg.flagNonPositive || !st || st.win.count < this.cfg.minHistory) return;
      const stats = st.win.stats()!;
      if (st.flaggedRun > 0 && st.episodeLevel !== -Infinity) st.flaggedRun = 0;
      st.flaggedRun++;
      st.episodeLevel = -Infinity;
      if (st.flaggedRun > 1) return;
      out.push({
        id: `PRICE_ANOMALY:item:${e.itemId}:${e.id}`,
        kind: 'PRICE_ANOMALY',
        severity: 'WARNING',
        entityType: 'item',
        entityId: e.itemId,
        score: this.cfg.z,
        detectedAt: e.timestamp,
        message: `item ${e.itemId}: ${cancellation ? 'cancellation' : e.type} at price ${fmt(p)}, usual price ${fmt(Math.exp(stats.median))} (n ${stats.n})`,
        evidence: { eventId: e.id, price: p, reason: 'non-positive price', cancellation, baselineMedian: Math.exp(stats.median), n: stats.n },
      });
      return;
    }
    const x = Math.log(p);
    const j = judge(x, [{ scope: 'item', key: e.itemId, win: st?.win }], this.global, this.cfg, true);
    if (!st) {
      st = { win: new RobustWindow(this.cfg.window), flaggedRun: 0, episodeLevel: 0, quarantine: [], qNext: 0 };
      this.items.set(e.itemId, st);
    }
    let flagged = j.flagged && j.decisive !== undefined;
    let recurring = false;
    if (flagged && j.decisive!.scope !== 'global') {
      // A price level that keeps coming back is a tier, not an error (unless grossly off).
      let seen = 0;
      for (const q of st.quarantine) if (Math.abs(q - x) <= this.cfg.recurringTolerance) seen++;
      const r = j.decisive!.ratio;
      if (seen + 1 >= this.cfg.recurringAccept && Math.max(r, 1 / r) <= this.cfg.maxRecurringRatio) {
        flagged = false;
        recurring = true;
      }
      if (st.quarantine.length < QUARANTINE) st.quarantine.push(x);
      else {
        st.quarantine[st.qNext] = x;
        st.qNext = (st.qNext + 1) % QUARANTINE;
      }
    }
    if (flagged) {
      const d = j.decisive!;
      // A different wrong price opens a new episode.
      if (st.flaggedRun > 0 && Math.abs(x - st.episodeLevel) > EPISODE_TOLERANCE) st.flaggedRun = 0;
      st.flaggedRun++;
      if (st.flaggedRun === 1) {
        st.episodeLevel = x;
        out.push({
          id: `PRICE_ANOMALY:item:${e.itemId}:${e.id}`,
          kind: 'PRICE_ANOMALY',
          severity: severityFor(d.ratio, this.config.criticalRatio),
          entityType: 'item',
          entityId: e.itemId,
          score: Math.abs(d.modifiedZ),
          detectedAt: e.timestamp,
          message:
            `item ${e.itemId}: ${cancellation ? 'cancellation' : e.type} at price ${fmt(p)}, ` +
            `${d.ratio >= 1 ? describe(d) : `1/${fmt(1 / d.ratio)} of the median ${fmt(d.median)} of ${d.scope === 'global' ? 'all history (no item baseline yet)' : `item ${e.itemId}`} (n ${d.n}, modified z ${d.modifiedZ.toFixed(1)})`}`,
          evidence: { eventId: e.id, price: p, cancellation, baselines: j.verdicts },
        });
      }
      return; // a flagged price never enters the baseline
    }
    st.flaggedRun = 0;
    if (cancellation) return;
    st.win.push(x);
    if (!recurring) this.global.push(x);
  }
}
