/**
 * Public types of the streaming anomaly detectors (see ./detector.ts).
 */
import type { InteractionEvent } from '../events/event.js';

export const ANOMALY_KINDS = [
  'BOT_ACTIVITY',
  'TRAFFIC_SPIKE',
  'TRAFFIC_DROP',
  'QUANTITY_OUTLIER',
  'ORDER_VALUE_OUTLIER',
  'PRICE_ANOMALY',
  'SAMPLE_RATIO_MISMATCH',
  'GUARDRAIL_FAILURE',
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export const SEVERITIES = ['INFO', 'WARNING', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type AnomalyEntityType = 'user' | 'item' | 'session' | 'global' | 'experiment';

export interface AnomalyFinding {
  /** Deterministic: `${kind}:${entityType}:${entityId}:${event id | bucket start | order id}`. */
  id: string;
  kind: AnomalyKind;
  severity: Severity;
  entityType: AnomalyEntityType;
  entityId: string;
  /**
   * Strength of the finding, comparable within one kind: modified z-score (outliers, prices),
   * z-score against the EW baseline (traffic), events per window / allowed events per window (bots).
   */
  score: number;
  /** Milliseconds since the epoch, in event time (never wall-clock time). */
  detectedAt: number;
  /** Human readable, with the figures that triggered it. */
  message: string;
  /** Event ids, baseline values, thresholds. */
  evidence: Record<string, unknown>;
}

/**
 * What the detector consumes: an interaction event, optionally tagged with the order it belongs to.
 * When `orderId` is present on PURCHASE lines the order value is the sum of its lines; otherwise each
 * PURCHASE line is its own order.
 *
 * Cancellations / returns are accepted in either shape: `REMOVE_FROM_CART` with a positive quantity
 * (recommended mapping), or `PURCHASE` with a negative quantity. They are checked against the purchase
 * baselines by magnitude but never update them.
 */
export type AnomalyInput = InteractionEvent & { orderId?: string };
