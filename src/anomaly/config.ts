/**
 * Thresholds of the streaming anomaly detectors. Every number is configurable; the defaults were chosen so
 * that a clean synthetic stream (Poisson sessions, Zipf item popularity, stable prices, lognormal quantities)
 * produces fewer than 1 finding per 10,000 events while the gross oddities of the Online Retail data set
 * (the 74,215-unit order, its cancellation, prices thousands of times an item's usual price) are flagged.
 * See /work/scratch/anomaly/RESULTS.md for the measurements behind them.
 */
import { z } from 'zod';
import { INTERACTION_TYPES, type InteractionType } from '../events/event.js';

export interface BotConfig {
  /** Sliding window length (event time). */
  windowMs: number;
  /** More than this many counted events from one actor inside `windowMs` is a burst. */
  maxEvents: number;
  /** Event types that count towards a burst. */
  types: InteractionType[];
  /** How long (event time) after its last burst event an actor stays flagged (`isFlaggedBot`). */
  flagTtlMs: number;
}

export interface TrafficConfig {
  /** Bucket length for the overall (global) event count. */
  globalBucketMs: number;
  /** Bucket length for per-item event counts. */
  itemBucketMs: number;
  /** Track per-item series at all (costs one LRU entry per item). */
  perItem: boolean;
  /**
   * Count events from one actor that share the exact same timestamp once (a client flushing a batch, or
   * all lines of one invoice in order data: one checkout, not a traffic spike). On by default, for the
   * gateway and `flywheel anomalies` alike, so both judge the same file the same way; click streams rarely
   * share a timestamp, so it costs them nothing.
   */
  countSameInstantOnce: boolean;
  /** Weight of the newest bucket in the exponentially weighted mean/variance (memory ~ 1/alpha buckets). */
  alpha: number;
  /** Closed buckets needed before an entity is judged (warm-up). */
  warmupBuckets: number;
  /** Spike: z-score of the open bucket's count against the baseline must reach this... */
  spikeZ: number;
  /** ...and the count must be at least this multiple of the baseline mean... */
  spikeMinRatio: number;
  /** ...and at least this many events (global series). */
  spikeMinCount: number;
  /** Same as spikeMinCount for per-item series. */
  itemSpikeMinCount: number;
  /** Drop: z-score of the closed bucket must be at most -dropZ... */
  dropZ: number;
  /** ...and the count at most this fraction of the baseline mean... */
  dropMaxRatio: number;
  /** ...and the baseline mean at least this many events per bucket (enough history to notice a drop). */
  dropMinMean: number;
  /**
   * Empty buckets replayed into the baseline when time jumps (bounds the work per event); a longer silence
   * is reported (drop check on its first bucket) and the baseline then restarts its warm-up.
   */
  maxCatchUpBuckets: number;
  /** After this many consecutive flagged buckets the baseline accepts the new level (level shift). */
  adaptAfterBuckets: number;
}

export interface RobustScopeConfig {
  /** Ring buffer length per key (recent history used for median / MAD). */
  window: number;
  /** Points in the key's history before it is used as a baseline. */
  minHistory: number;
  /** Modified z-score threshold, 0.6745 (x - median) / MAD on log values (Iglewicz & Hoaglin: 3.5). */
  z: number;
  /** Floor on the MAD (log units) so that constant histories do not flag tiny deviations. */
  madFloor: number;
  /** The value must also be at least this multiple of the key's median (practical significance gate). */
  minRatio: number;
  /** Gate used when no per-key baseline is ready and the value is compared with the global history. */
  globalMinRatio: number;
  /** Global ring buffer length (shared by all keys; refreshed every `globalRefreshEvery` points). */
  globalWindow: number;
  globalRefreshEvery: number;
  /** Global points needed before the global fallback is used. */
  globalMinHistory: number;
}

export interface OrderValueConfig extends RobustScopeConfig {
  /** An order (orderId) with no new line for this long (event time) is closed and judged. */
  orderIdleMs: number;
  /** Cap on concurrently open orders (oldest is closed first). */
  maxOpenOrders: number;
}

export interface PriceConfig extends RobustScopeConfig {
  /** Prices <= 0 on an item whose history has positive prices are flagged. */
  flagNonPositive: boolean;
  /**
   * Recurring price levels: a flagged price seen this many times (within +-recurringTolerance in log
   * units, among the item's last 8 flagged prices) is a real price tier (pack size, trade price) and joins
   * the baseline, unless it is more than maxRecurringRatio from the median (a persisting gross error keeps
   * being reported, once per episode).
   */
  recurringAccept: number;
  recurringTolerance: number;
  maxRecurringRatio: number;
}

export interface QuantityConfig extends RobustScopeConfig {
  /** Judge REMOVE_FROM_CART quantities (cancellations / returns) against purchase history. */
  checkRemovals: boolean;
}

export interface AnomalyConfig {
  /** Cap on tracked keys per state table (actors, items, customers, ...); least recently used is evicted. */
  maxTrackedKeys: number;
  /** Recently seen event ids remembered to ignore re-deliveries (0 disables). */
  dedupeWindow: number;
  /** Ratio to the baseline median (or |z| multiple of the threshold for traffic) that makes a finding CRITICAL. */
  criticalRatio: number;
  bot: BotConfig;
  traffic: TrafficConfig;
  quantity: QuantityConfig;
  orderValue: OrderValueConfig;
  price: PriceConfig;
}

export const defaultAnomalyConfig: AnomalyConfig = {
  maxTrackedKeys: 50_000,
  dedupeWindow: 20_000,
  criticalRatio: 100,
  bot: {
    // > 40 views/clicks in one minute: a human reading product pages rarely sustains one every 1.5 s.
    windowMs: 60_000,
    maxEvents: 40,
    types: ['VIEW', 'CLICK'],
    flagTtlMs: 24 * 3_600_000,
  },
  traffic: {
    globalBucketMs: 60_000,
    itemBucketMs: 3_600_000,
    perItem: true,
    countSameInstantOnce: true,
    alpha: 0.05,
    warmupBuckets: 30,
    // Poisson counts give |z| > 6 about once in 10^9 buckets; the ratio gates stop slow drifts
    // and heavy-tailed but ordinary traffic from alerting.
    spikeZ: 6,
    spikeMinRatio: 3,
    spikeMinCount: 30,
    itemSpikeMinCount: 30,
    dropZ: 5,
    dropMaxRatio: 0.2,
    dropMinMean: 30,
    maxCatchUpBuckets: 120,
    adaptAfterBuckets: 10,
  },
  quantity: {
    window: 48,
    minHistory: 8,
    z: 3.5,
    madFloor: 0.25,
    minRatio: 25,
    globalMinRatio: 200,
    globalWindow: 2048,
    globalRefreshEvery: 256,
    globalMinHistory: 200,
    checkRemovals: true,
  },
  orderValue: {
    window: 32,
    minHistory: 5,
    z: 3.5,
    madFloor: 0.25,
    minRatio: 20,
    globalMinRatio: 100,
    globalWindow: 2048,
    globalRefreshEvery: 256,
    globalMinHistory: 200,
    orderIdleMs: 30 * 60_000,
    maxOpenOrders: 10_000,
  },
  price: {
    window: 32,
    minHistory: 5,
    z: 3.5,
    madFloor: 0.1,
    minRatio: 5,
    globalMinRatio: 500,
    globalWindow: 2048,
    globalRefreshEvery: 256,
    globalMinHistory: 200,
    flagNonPositive: true,
    recurringAccept: 3,
    recurringTolerance: 0.05,
    maxRecurringRatio: 20,
  },
};

/** A partial configuration: every section may itself be partial. */
export type AnomalyConfigInput = {
  [K in keyof AnomalyConfig]?: AnomalyConfig[K] extends unknown[]
    ? AnomalyConfig[K]
    : AnomalyConfig[K] extends object
      ? Partial<AnomalyConfig[K]>
      : AnomalyConfig[K];
};

export function resolveAnomalyConfig(input: AnomalyConfigInput = {}): AnomalyConfig {
  const d = defaultAnomalyConfig;
  const cfg: AnomalyConfig = {
    maxTrackedKeys: input.maxTrackedKeys ?? d.maxTrackedKeys,
    dedupeWindow: input.dedupeWindow ?? d.dedupeWindow,
    criticalRatio: input.criticalRatio ?? d.criticalRatio,
    bot: { ...d.bot, ...input.bot, types: [...(input.bot?.types ?? d.bot.types)] },
    traffic: { ...d.traffic, ...input.traffic },
    quantity: { ...d.quantity, ...input.quantity },
    orderValue: { ...d.orderValue, ...input.orderValue },
    price: { ...d.price, ...input.price },
  };
  const positive: Array<[string, number]> = [
    ['maxTrackedKeys', cfg.maxTrackedKeys],
    ['bot.windowMs', cfg.bot.windowMs],
    ['bot.maxEvents', cfg.bot.maxEvents],
    ['traffic.globalBucketMs', cfg.traffic.globalBucketMs],
    ['traffic.itemBucketMs', cfg.traffic.itemBucketMs],
    ['quantity.window', cfg.quantity.window],
    ['orderValue.window', cfg.orderValue.window],
    ['price.window', cfg.price.window],
  ];
  for (const [name, v] of positive) {
    if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`anomaly config: ${name} must be > 0 (got ${v})`);
  }
  if (!(cfg.traffic.alpha > 0 && cfg.traffic.alpha <= 1)) {
    throw new RangeError(`anomaly config: traffic.alpha must be in (0, 1] (got ${cfg.traffic.alpha})`);
  }
  return cfg;
}

/**
 * The JSON form of AnomalyConfigInput (FLYWHEEL_ANOMALY_CONFIG, `flywheel anomalies --config`), checked
 * strictly: an unknown key is a typo that would otherwise be ignored silently, so it is refused by name.
 */
const num = z.number({ error: 'must be a number' });
const int = num.int('must be an integer');
const robust = {
  window: int.positive(),
  minHistory: int.nonnegative(),
  z: num.positive(),
  madFloor: num.nonnegative(),
  minRatio: num.min(1),
  globalMinRatio: num.min(1),
  globalWindow: int.positive(),
  globalRefreshEvery: int.positive(),
  globalMinHistory: int.nonnegative(),
};
const anomalyConfigInputSchema = z
  .object({
    maxTrackedKeys: int.positive(),
    dedupeWindow: int.nonnegative(),
    criticalRatio: num.positive(),
    bot: z
      .object({ windowMs: int.positive(), maxEvents: int.positive(), types: z.array(z.enum(INTERACTION_TYPES)), flagTtlMs: int.nonnegative() })
      .partial()
      .strict(),
    traffic: z
      .object({
        globalBucketMs: int.positive(),
        itemBucketMs: int.positive(),
        perItem: z.boolean(),
        countSameInstantOnce: z.boolean(),
        alpha: num.positive().max(1),
        warmupBuckets: int.nonnegative(),
        spikeZ: num.positive(),
        spikeMinRatio: num.positive(),
        spikeMinCount: int.nonnegative(),
        itemSpikeMinCount: int.nonnegative(),
        dropZ: num.positive(),
        dropMaxRatio: num.nonnegative(),
        dropMinMean: num.nonnegative(),
        maxCatchUpBuckets: int.nonnegative(),
        adaptAfterBuckets: int.positive(),
      })
      .partial()
      .strict(),
    quantity: z
      .object({ ...robust, checkRemovals: z.boolean() })
      .partial()
      .strict(),
    orderValue: z
      .object({ ...robust, orderIdleMs: int.positive(), maxOpenOrders: int.positive() })
      .partial()
      .strict(),
    price: z
      .object({
        ...robust,
        flagNonPositive: z.boolean(),
        recurringAccept: int.positive(),
        recurringTolerance: num.nonnegative(),
        maxRecurringRatio: num.min(1),
      })
      .partial()
      .strict(),
  })
  .partial()
  .strict();

/** Parses and checks detector settings given as JSON; throws an Error whose message names the key and the rule. */
export function parseAnomalyConfigJson(text: string): AnomalyConfigInput {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
  const parsed = anomalyConfigInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      parsed.error.issues
        .slice(0, 3)
        .map((i) => {
          const where = i.path.length ? `${i.path.join('.')}: ` : '';
          if (i.code === 'unrecognized_keys') return `${where}unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`;
          return `${where}${i.message}`;
        })
        .join('; '),
    );
  }
  const input = parsed.data as AnomalyConfigInput;
  resolveAnomalyConfig(input);
  return input;
}
