import { parseAnomalyConfigJson, resolveAnomalyConfig, type AnomalyConfigInput } from '../anomaly/config';
import { ConfigError } from './config';

/** Detector configuration from the FLYWHEEL_ANOMALY_* settings (src/config/config.ts). */
export function anomalyConfigFromEnv(c: {
  FLYWHEEL_ANOMALY_CONFIG?: string;
  FLYWHEEL_ANOMALY_BOT_MAX_EVENTS?: number;
  FLYWHEEL_ANOMALY_BOT_WINDOW_MS?: number;
  FLYWHEEL_ANOMALY_BOT_TTL_MS?: number;
  FLYWHEEL_ANOMALY_QUANTITY_RATIO?: number;
  FLYWHEEL_ANOMALY_ORDER_VALUE_RATIO?: number;
  FLYWHEEL_ANOMALY_PRICE_RATIO?: number;
  FLYWHEEL_ANOMALY_TRAFFIC_Z?: number;
}): AnomalyConfigInput {
  let base: AnomalyConfigInput = {};
  if (c.FLYWHEEL_ANOMALY_CONFIG) {
    // Already checked by loadConfig (strict: unknown keys refused) before anything was opened.
    try {
      base = parseAnomalyConfigJson(c.FLYWHEEL_ANOMALY_CONFIG);
    } catch (err) {
      throw new ConfigError(`invalid configuration: FLYWHEEL_ANOMALY_CONFIG: ${(err as Error).message}`);
    }
  }
  const def = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  const out: AnomalyConfigInput = {
    ...base,
    bot: {
      ...base.bot,
      ...def({ maxEvents: c.FLYWHEEL_ANOMALY_BOT_MAX_EVENTS, windowMs: c.FLYWHEEL_ANOMALY_BOT_WINDOW_MS, flagTtlMs: c.FLYWHEEL_ANOMALY_BOT_TTL_MS }),
    },
    quantity: { ...base.quantity, ...def({ minRatio: c.FLYWHEEL_ANOMALY_QUANTITY_RATIO }) },
    orderValue: { ...base.orderValue, ...def({ minRatio: c.FLYWHEEL_ANOMALY_ORDER_VALUE_RATIO }) },
    price: { ...base.price, ...def({ minRatio: c.FLYWHEEL_ANOMALY_PRICE_RATIO }) },
    traffic: { ...base.traffic, ...def({ spikeZ: c.FLYWHEEL_ANOMALY_TRAFFIC_Z }) },
  };
  try {
    resolveAnomalyConfig(out);
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${(err as Error).message}`);
  }
  return out;
}
