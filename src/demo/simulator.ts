import type { Logger } from 'pino';
import type { InteractionType } from '../events/event';
import { EVENT_SCHEMA_VERSION } from '../events/event';
import type { EventTracker } from '../ingest/tracker';
import { prng } from './demo-data';

/**
 * Live traffic for the demo: a few events per second from demo shoppers through the same tracking path
 * as GraphQL, so subscriptions and recommendations visibly move. Off by default for `serve`.
 */
export function startSimulator(
  tracker: EventTracker,
  userIds: readonly string[],
  itemIds: readonly string[],
  ratePerSecond: number,
  logger: Logger,
): () => void {
  const rand = prng(Date.now() & 0xffffffff);
  const types: InteractionType[] = ['VIEW', 'VIEW', 'VIEW', 'CLICK', 'CLICK', 'ADD_TO_CART', 'PURCHASE'];
  let seq = 0;
  let sent = 0;
  let stopped = false;
  const startedAt = Date.now();
  const nextEvent = () => {
    const type = types[Math.floor(rand() * types.length)]!;
    return {
      kind: 'interaction',
      v: EVENT_SCHEMA_VERSION,
      id: `sim:${process.pid}:${startedAt}:${++seq}`,
      type,
      userId: userIds[Math.floor(rand() * userIds.length)]!,
      itemId: itemIds[Math.floor(rand() * itemIds.length)]!,
      timestamp: Date.now(),
      ...(type === 'PURCHASE' || type === 'ADD_TO_CART' ? { quantity: 1 } : {}),
    };
  };
  // Timers slip on a busy process (a 5 ms interval fired about 60 times a second under load), so each tick
  // sends what the clock says is due rather than one event: the configured rate holds under load. After a
  // long pause at most one second's worth goes out at once.
  const timer = setInterval(
    () => {
      const due = Math.floor(((Date.now() - startedAt) * ratePerSecond) / 1000) - sent;
      const count = Math.min(due, Math.max(1, ratePerSecond));
      sent += due;
      if (count <= 0 || stopped) return;
      const events = Array.from({ length: count }, nextEvent);
      tracker.track(events, 'simulator').catch((err: unknown) => {
        if (!stopped) logger.warn({ err }, 'simulator events failed');
      });
    },
    Math.max(5, Math.min(100, Math.round(1000 / ratePerSecond))),
  );
  timer.unref();
  logger.info({ ratePerSecond }, 'demo event simulator on');
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
