import type { Logger } from 'pino';
import type { InteractionType } from '../events/event';
import { EVENT_SCHEMA_VERSION } from '../events/event';
import type { EventTracker } from '../ingest/tracker';
import { prng } from './demo-data';

/** How the simulator is shown recommendations: the gateway's own serving path, so each list is an impression. */
export type DemoRecommend = (userId: string) => Promise<{ servedId: string; itemIds: readonly string[] }>;

/** Share of the simulator's visits that open a recommendations list (the rest are browsing events). */
const LIST_VISITS = 0.25;
/** Click model on a served list: CLICK at rank k (1-based) with 0.1 / (1 + 0.5 (k - 1)); cart and buy after it. */
const clickChance = (rank: number) => 0.1 / (1 + 0.5 * (rank - 1));
const CART_AFTER_CLICK = 0.3;
const BUY_AFTER_CART = 0.5;

/**
 * Live traffic for the demo: a few events per second from demo shoppers through the same tracking path
 * as GraphQL, so subscriptions and recommendations visibly move. Off by default for `serve`.
 *
 * With `recommend`, a quarter of the visits close the loop the way a storefront does: the shopper is served
 * a list (an impression in the log), clicks entries with a position-biased chance and sometimes buys, each
 * outcome carrying the list's `servedId`, so the console's outcome metrics and any running experiment move too.
 */
export function startSimulator(
  tracker: EventTracker,
  userIds: readonly string[],
  itemIds: readonly string[],
  ratePerSecond: number,
  logger: Logger,
  recommend?: DemoRecommend,
): () => void {
  const rand = prng(Date.now() & 0xffffffff);
  const types: InteractionType[] = ['VIEW', 'VIEW', 'VIEW', 'CLICK', 'CLICK', 'ADD_TO_CART', 'PURCHASE'];
  let seq = 0;
  let sent = 0;
  let stopped = false;
  const startedAt = Date.now();
  const event = (type: InteractionType, userId: string, itemId: string, servedId?: string) => ({
    kind: 'interaction' as const,
    v: EVENT_SCHEMA_VERSION,
    id: `sim:${process.pid}:${startedAt}:${++seq}`,
    type,
    userId,
    itemId,
    timestamp: Date.now(),
    ...(type === 'PURCHASE' || type === 'ADD_TO_CART' ? { quantity: 1 } : {}),
    ...(servedId ? { servedId } : {}),
  });
  const randomUser = () => userIds[Math.floor(rand() * userIds.length)]!;
  const nextEvent = () => event(types[Math.floor(rand() * types.length)]!, randomUser(), itemIds[Math.floor(rand() * itemIds.length)]!);
  const track = (events: ReturnType<typeof event>[]) => {
    if (events.length === 0 || stopped) return;
    tracker.track(events, 'simulator').catch((err: unknown) => {
      if (!stopped) logger.warn({ err }, 'simulator events failed');
    });
  };
  const visitList = (userId: string) => {
    recommend!(userId).then(
      (list) => {
        const outcomes: ReturnType<typeof event>[] = [];
        list.itemIds.forEach((itemId, i) => {
          if (rand() >= clickChance(i + 1)) return;
          outcomes.push(event('CLICK', userId, itemId, list.servedId));
          if (rand() >= CART_AFTER_CLICK) return;
          outcomes.push(event('ADD_TO_CART', userId, itemId, list.servedId));
          if (rand() < BUY_AFTER_CART) outcomes.push(event('PURCHASE', userId, itemId, list.servedId));
        });
        track(outcomes);
      },
      (err: unknown) => {
        if (!stopped) logger.warn({ err }, 'simulator recommendations failed');
      },
    );
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
      const events: ReturnType<typeof event>[] = [];
      for (let i = 0; i < count; i++) {
        if (recommend && rand() < LIST_VISITS) visitList(randomUser());
        else events.push(nextEvent());
      }
      track(events);
    },
    Math.max(5, Math.min(100, Math.round(1000 / ratePerSecond))),
  );
  timer.unref();
  logger.info({ ratePerSecond, closesTheLoop: Boolean(recommend) }, 'demo event simulator on');
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
