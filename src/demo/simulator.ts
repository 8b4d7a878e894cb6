import type { Logger } from 'pino';
import type { InteractionType } from '../events/event';
import { EVENT_SCHEMA_VERSION } from '../events/event';
import type { EventTracker } from '../ingest/tracker';
import { prng } from './demo-data';

/**
 * Live traffic for the demo: a few events per second from demo shoppers through the same tracking path
 * as GraphQL, so subscriptions and recommendations visibly move. Off by default for `serve`.
 */
export function startSimulator(tracker: EventTracker, userIds: readonly string[], itemIds: readonly string[], ratePerSecond: number, logger: Logger): () => void {
  const rand = prng(Date.now() & 0xffffffff);
  const types: InteractionType[] = ['VIEW', 'VIEW', 'VIEW', 'CLICK', 'CLICK', 'ADD_TO_CART', 'PURCHASE'];
  let seq = 0;
  const timer = setInterval(() => {
    const type = types[Math.floor(rand() * types.length)]!;
    const event = {
      kind: 'interaction', v: EVENT_SCHEMA_VERSION, id: `sim:${process.pid}:${Date.now()}:${++seq}`, type,
      userId: userIds[Math.floor(rand() * userIds.length)]!, itemId: itemIds[Math.floor(rand() * itemIds.length)]!, timestamp: Date.now(),
      ...(type === 'PURCHASE' || type === 'ADD_TO_CART' ? { quantity: 1 } : {}),
    };
    tracker.track([event], 'simulator').catch((err: unknown) => logger.warn({ err }, 'simulator event failed'));
  }, Math.max(1, Math.round(1000 / ratePerSecond)));
  timer.unref();
  logger.info({ ratePerSecond }, 'demo event simulator on');
  return () => clearInterval(timer);
}
