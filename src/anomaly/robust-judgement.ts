/**
 * Value outliers: quantities, order values and prices, judged with robust statistics (median / MAD
 * modified z-score on log values) over bounded per-key ring buffers.
 *
 * Hierarchical baselines: every per-key scope with enough history (item, customer) must agree that the
 * point is an outlier ("unusual for this item AND for this customer"); when no per-key scope is ready yet,
 * the shared global history is used with a much larger ratio gate (that is what catches a first-ever order
 * of 74,215 units from a new customer on a new item). Flagged points never enter any baseline.
 *
 * Cancellations (REMOVE_FROM_CART with quantity, or PURCHASE with negative quantity) are judged by
 * magnitude against the purchase baselines and never update them; a cancellation that reverses a flagged
 * purchase (same actor and item / order, similar size) is reported as INFO, linked to the original.
 *
 * This file holds the judgement the three value detectors share: quantity-detector.ts, order-value-detector.ts
 * and price-detector.ts.
 */
import type { InteractionEvent } from '../events/event.js';
import type { RobustScopeConfig } from './config.js';
import { type LruMap, modifiedZ, type RobustWindow } from './structures.js';
import type { AnomalyEntityType, Severity } from './types.js';

export type ScopeName = 'item' | 'user' | 'session' | 'global';

export interface ScopeVerdict {
  scope: ScopeName;
  key: string;
  n: number;
  /** Baseline median, in original units. */
  median: number;
  /** MAD in log units. */
  madLog: number;
  modifiedZ: number;
  /** value / median. */
  ratio: number;
  outlier: boolean;
}

export interface Judgement {
  flagged: boolean;
  verdicts: ScopeVerdict[];
  /** The verdict that decided (weakest agreeing scope, or the global fallback). */
  decisive?: ScopeVerdict;
}

export interface Scope {
  scope: ScopeName;
  key: string;
  win: RobustWindow | undefined;
}

/** Judge log value `x` against the ready per-key scopes, or against the global window. */
export function judge(x: number, scopes: Scope[], global: RobustWindow, cfg: RobustScopeConfig, twoSided: boolean): Judgement {
  const verdicts: ScopeVerdict[] = [];
  for (const s of scopes) {
    if (s.win && s.win.count >= cfg.minHistory) verdicts.push(assess(x, s, s.win, cfg, cfg.minRatio, twoSided));
  }
  if (verdicts.length === 0) {
    if (global.count < cfg.globalMinHistory) return { flagged: false, verdicts };
    const v = assess(x, { scope: 'global', key: 'all', win: global }, global, cfg, cfg.globalMinRatio, twoSided);
    return { flagged: v.outlier, verdicts: [v], decisive: v };
  }
  const flagged = verdicts.every((v) => v.outlier);
  let decisive = verdicts[0]!;
  for (const v of verdicts) if (Math.abs(v.modifiedZ) < Math.abs(decisive.modifiedZ)) decisive = v;
  return { flagged, verdicts, decisive };
}

export function assess(x: number, s: Scope, win: RobustWindow, cfg: RobustScopeConfig, minRatio: number, twoSided: boolean): ScopeVerdict {
  const st = win.stats()!;
  const mz = modifiedZ(x, st, cfg.madFloor);
  const logRatio = x - st.median;
  const gate = Math.log(minRatio);
  const outlier = twoSided ? Math.abs(mz) >= cfg.z && Math.abs(logRatio) >= gate : mz >= cfg.z && logRatio >= gate;
  return {
    scope: s.scope,
    key: s.key,
    n: st.n,
    median: Math.exp(st.median),
    madLog: st.mad,
    modifiedZ: mz,
    ratio: Math.exp(logRatio),
    outlier,
  };
}

export function severityFor(ratio: number, critical: number): Severity {
  const r = ratio >= 1 ? ratio : 1 / ratio;
  return r >= critical ? 'CRITICAL' : 'WARNING';
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 1) return n.toFixed(2).replace(/\.?0+$/, '');
  return n.toPrecision(2);
}

export function describe(v: ScopeVerdict): string {
  const who = v.scope === 'global' ? 'all history (no item/customer baseline yet)' : `${v.scope} ${v.key}`;
  return `x${fmt(v.ratio)} the median ${fmt(v.median)} of ${who} (n ${v.n}, modified z ${v.modifiedZ.toFixed(1)})`;
}

export function scopeEntity(e: InteractionEvent): { scope: ScopeName; key: string } {
  return e.userId !== undefined ? { scope: 'user', key: e.userId } : { scope: 'session', key: e.sessionId ?? '' };
}

export function entityOf(v: ScopeVerdict | undefined, e: InteractionEvent): { entityType: AnomalyEntityType; entityId: string } {
  if (v && (v.scope === 'user' || v.scope === 'session')) return { entityType: v.scope, entityId: v.key };
  return { entityType: 'item', entityId: e.itemId };
}

export function isCancellation(e: InteractionEvent, checkRemovals: boolean): boolean {
  const q = e.quantity;
  if (q === undefined || q === 0 || !Number.isFinite(q)) return false;
  if (e.type === 'PURCHASE') return q < 0;
  return e.type === 'REMOVE_FROM_CART' && checkRemovals && q > 0;
}

export function deleteWithPrefix<V>(map: LruMap<V>, prefix: string): void {
  for (const [key] of [...map.entries()]) if (key.startsWith(prefix)) map.delete(key);
}
