/** QUANTITY_OUTLIER, judged with the robust statistics of robust-judgement.ts. */
import { actorId } from '../events/event.js';
import type { AnomalyConfig } from './config.js';
import { LruMap, RobustWindow } from './structures.js';
import type { AnomalyFinding, AnomalyInput } from './types.js';
import { deleteWithPrefix, describe, entityOf, fmt, isCancellation, judge, scopeEntity, severityFor } from './robust-judgement.js';

interface FlaggedLine {
  eventId: string;
  quantity: number;
  findingId: string;
}

/** QUANTITY_OUTLIER: a PURCHASE line's units vs the item's and the customer's recent purchase lines. */
export class QuantityDetector {
  private readonly cfg;
  private readonly items: LruMap<RobustWindow>;
  private readonly actors: LruMap<RobustWindow>;
  private readonly global: RobustWindow;
  private readonly flaggedLines: LruMap<FlaggedLine>;

  constructor(private readonly config: AnomalyConfig) {
    this.cfg = config.quantity;
    this.items = new LruMap(config.maxTrackedKeys);
    this.actors = new LruMap(config.maxTrackedKeys);
    this.global = new RobustWindow(this.cfg.globalWindow, this.cfg.globalRefreshEvery);
    this.flaggedLines = new LruMap(Math.max(1, Math.min(config.maxTrackedKeys, 10_000)));
  }

  get trackedKeys(): number {
    return this.items.size + this.actors.size;
  }

  /** Erasure: drop the actor's purchase-size history and the lines flagged for it. */
  forgetActor(actor: string): void {
    this.actors.delete(actor);
    deleteWithPrefix(this.flaggedLines, `${actor}|`);
  }

  observe(e: AnomalyInput, out: AnomalyFinding[]): void {
    const q = e.quantity;
    if (q === undefined || !Number.isFinite(q) || q === 0) return;
    const cancellation = isCancellation(e, this.cfg.checkRemovals);
    if (!cancellation && !(e.type === 'PURCHASE' && q > 0)) return;
    const units = Math.abs(q);
    const x = Math.log(units);
    const actor = actorId(e);
    const who = scopeEntity(e);
    const itemWin = this.items.get(e.itemId);
    const actorWin = this.actors.get(actor);

    if (cancellation) {
      const prior = this.flaggedLines.peek(`${actor}|${e.itemId}`);
      if (prior && units >= 0.5 * prior.quantity) {
        this.flaggedLines.delete(`${actor}|${e.itemId}`);
        out.push({
          id: `QUANTITY_OUTLIER:item:${e.itemId}:${e.id}`,
          kind: 'QUANTITY_OUTLIER',
          severity: 'INFO',
          entityType: 'item',
          entityId: e.itemId,
          score: 0,
          detectedAt: e.timestamp,
          message:
            `item ${e.itemId}: cancellation of ${fmt(units)} units by ${who.scope} ${who.key}` +
            `${e.orderId ? ` (order ${e.orderId})` : ''} reverses flagged purchase ${prior.eventId} of ${fmt(prior.quantity)} units`,
          evidence: {
            eventId: e.id,
            orderId: e.orderId,
            quantity: units,
            cancellation: true,
            cancels: prior.eventId,
            cancelsFinding: prior.findingId,
          },
        });
        return;
      }
    }

    const j = judge(
      x,
      [
        { scope: 'item', key: e.itemId, win: itemWin },
        { scope: who.scope, key: who.key, win: actorWin },
      ],
      this.global,
      this.cfg,
      false,
    );
    if (j.flagged && j.decisive) {
      const d = j.decisive;
      const { entityType, entityId } = entityOf(d, e);
      const id = `QUANTITY_OUTLIER:${entityType}:${entityId}:${e.id}`;
      out.push({
        id,
        kind: 'QUANTITY_OUTLIER',
        severity: severityFor(d.ratio, this.config.criticalRatio),
        entityType,
        entityId,
        score: d.modifiedZ,
        detectedAt: e.timestamp,
        message:
          `item ${e.itemId}: ${cancellation ? 'cancellation of ' : ''}${fmt(units)} units by ${who.scope} ${who.key}` +
          `${e.orderId ? ` (order ${e.orderId})` : ''}, ${j.verdicts.map(describe).join('; ')}`,
        evidence: {
          eventId: e.id,
          orderId: e.orderId,
          itemId: e.itemId,
          actorId: actor,
          quantity: units,
          cancellation,
          baselines: j.verdicts,
        },
      });
      if (!cancellation) this.flaggedLines.set(`${actor}|${e.itemId}`, { eventId: e.id, quantity: units, findingId: id });
      return; // a flagged point never enters its baselines
    }
    if (cancellation) return; // cancellations never enter the purchase baselines
    this.push(this.items, e.itemId, itemWin, x);
    this.push(this.actors, actor, actorWin, x);
    this.global.push(x);
  }

  private push(map: LruMap<RobustWindow>, key: string, win: RobustWindow | undefined, x: number): void {
    if (!win) {
      win = new RobustWindow(this.cfg.window);
      map.set(key, win);
    }
    win.push(x);
  }
}
