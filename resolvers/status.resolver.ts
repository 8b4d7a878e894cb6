import { Arg, Authorized, Ctx, Int, Query, Resolver, Root, Subscription } from 'type-graphql';
import { ANALYSTS } from '../src/auth/policy';
import type { Flywheel } from '../src/app/flywheel';
import { GatewayStatusType, ViewerType } from '../graph-models/status.model';
import type { GatewayContext } from './context';
import { requireRange } from './errors';

/** Sums a prom-client counter over its labels. */
async function total(counter: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await counter.get()).values.reduce((sum, v) => sum + v.value, 0);
}

const started = Date.now();

export async function readGatewayStatus(app: Flywheel): Promise<GatewayStatusType> {
  const [lag, stats, accepted, ingested, rejected, ws] = await Promise.all([
    app.ingestor.refreshLag(),
    app.store.stats(),
    total(app.metrics.eventsAccepted),
    total(app.metrics.eventsApplied),
    total(app.metrics.eventsRejected),
    total(app.metrics.wsConnections),
  ]);
  const stalled = app.ingestor.stalled();
  const ready = app.ingestor.hasCaughtUp() && !stalled;
  return Object.assign(new GatewayStatusType(), {
    at: new Date(),
    status: ready ? 'ready' : stalled ? 'ingestion stalled' : 'catching up',
    ready,
    ingestLag: lag,
    eventsAccepted: accepted,
    eventsIngested: ingested,
    eventsRejected: rejected,
    users: stats.users,
    items: stats.items,
    categories: stats.categories,
    edges: stats.edges,
    flaggedBots: app.anomalies.stats().flaggedBots,
    webSocketConnections: ws,
    eventLoopDelayMs: app.watchdog.delay().p99Ms,
    uptimeSeconds: (Date.now() - started) / 1000,
  });
}

/**
 * An async iterator that yields the gateway's status every `intervalMs` (the first at once) until the
 * subscriber goes away: `return()` clears the pending timer, so nothing is left running.
 */
function statusTicks(app: Flywheel, intervalMs: number): AsyncIterableIterator<GatewayStatusType> {
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let done = false;
  let first = true;
  const iterator: AsyncIterableIterator<GatewayStatusType> = {
    async next() {
      if (!first) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, intervalMs);
        });
      }
      first = false;
      if (done) return { done: true, value: undefined };
      return { done: false, value: await readGatewayStatus(app) };
    },
    async return() {
      done = true;
      clearTimeout(timer);
      wake?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

@Resolver()
export class StatusResolver {
  @Query(() => ViewerType, { description: 'The caller as the gateway sees it (role, subject): a client shows what the role may use.' })
  viewer(@Ctx() ctx: GatewayContext): ViewerType {
    const { identity } = ctx;
    return Object.assign(new ViewerType(), { role: identity.role, subject: identity.subject, authenticated: identity.via !== 'auth-off' });
  }

  @Authorized(ANALYSTS)
  @Query(() => GatewayStatusType, { description: 'Health and counters of this gateway instance now (what /readyz and /metrics tell, over GraphQL).' })
  gatewayStatus(@Ctx() ctx: GatewayContext): Promise<GatewayStatusType> {
    return readGatewayStatus(ctx.app);
  }

  @Authorized(ANALYSTS)
  @Subscription(() => GatewayStatusType, {
    subscribe: ({ args, context }) => {
      const intervalMs = (args as { intervalMs: number }).intervalMs;
      requireRange('intervalMs', intervalMs, 250, 60_000);
      return statusTicks((context as GatewayContext).app, intervalMs);
    },
    description: "Pushes this gateway's status now and then every intervalMs (250 to 60000): live dashboards without polling.",
  })
  gatewayStatusUpdates(@Root() status: GatewayStatusType, @Arg('intervalMs', () => Int, { defaultValue: 1000 }) _intervalMs: number): GatewayStatusType {
    return status;
  }
}
