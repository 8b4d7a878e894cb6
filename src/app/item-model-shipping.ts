import type { Logger } from 'pino';
import type { ItemModelFeed, LogConsumer } from '../event-log/event-log';
import type { Metrics } from '../observability/metrics';
import type { ItemModelRow } from '../recommend/item-model-rows';
import type { Recommender } from '../recommend/recommender';

/**
 * The item model shipped from the gateway that solves it to the gateways that only serve it
 * (FLYWHEEL_ITEM_MODEL publish / replica; ARCHITECTURE.md, "Past one machine").
 *
 * Publisher: every `everyMs`, the rows of the items whose lists the background re-solve changed go to the
 * feed (an item changed several times in between goes once, as it is now). Rows that could not be stored
 * stay pending and go with the next round, unless a newer row of the same item replaced them. The recommender
 * is read each round: one rebuilt by erasure ships its whole model at its first round. Several gateways may
 * run as publishers: the one that leads the election ships (`leads`), the others stand by, and one that starts
 * leading ships the whole model first.
 */
export interface ItemModelPublisher {
  /** Rows shipped since start (tests, metrics). */
  readonly published: number;
  /** Ships what is pending now, then stops. */
  stop(): Promise<void>;
}

export function startItemModelPublisher(
  recommender: () => Recommender,
  feed: ItemModelFeed,
  logger: Logger,
  everyMs: number,
  metrics?: Pick<Metrics, 'itemModelRowsShipped' | 'itemModelShipFailures' | 'itemModelRowsPending'>,
  /** Whether this gateway leads the publisher election (ItemModelFeed.elect); always when omitted. */
  leads: () => boolean = () => true,
): ItemModelPublisher {
  const pending = new Map<string, ItemModelRow>();
  /** Whether the last round led: one that starts leading ships the whole model (it may take over from another). */
  let led = false;
  let published = 0;
  let timer: NodeJS.Timeout | null = null;
  let round: Promise<void> = Promise.resolve();
  let stopped = false;
  let failing = false;
  const ship = async () => {
    const changed = recommender().takeChangedModelRows();
    if (!leads()) {
      // A standby solves as the leader does and ships nothing; what changed meanwhile goes whole if it leads.
      if (led) logger.info('item model publisher: another gateway leads now; this one stands by');
      led = false;
      pending.clear();
      metrics?.itemModelRowsPending.set(0);
      return;
    }
    if (!led) logger.info('item model publisher: this gateway leads; shipping the whole model');
    for (const row of led ? changed : recommender().allModelRows()) pending.set(row.item, row);
    led = true;
    if (pending.size === 0) return;
    const rows = [...pending.values()];
    try {
      await feed.publish(rows.map((r) => ({ key: r.item, value: r })));
      // a row taken while this one was in flight is newer: keep it
      for (const r of rows) if (pending.get(r.item) === r) pending.delete(r.item);
      published += rows.length;
      metrics?.itemModelRowsShipped.inc(rows.length);
      if (failing) logger.info({ rows: rows.length }, 'item model rows shipped again');
      failing = false;
    } catch (err) {
      metrics?.itemModelShipFailures.inc();
      if (!failing) logger.warn({ err, rows: rows.length }, 'could not ship item model rows; they go with the next round');
      failing = true;
    }
    metrics?.itemModelRowsPending.set(pending.size);
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      round = ship().finally(schedule);
    }, everyMs);
    timer.unref();
  };
  schedule();
  return {
    get published() {
      return published;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await round;
      await ship();
    },
  };
}

/**
 * Replica: reads the whole feed, then follows it, installing every row in the recommender read at that
 * moment. A record that is not a row of this version is skipped and logged (the first reason, and how
 * many), never installed and never fatal. `caughtUp` resolves once the model the feed held at start is in.
 */
export async function followItemModel(
  recommender: () => Recommender,
  feed: ItemModelFeed,
  group: string,
  logger: Logger,
  metrics?: Pick<Metrics, 'itemModelRowsRead'>,
): Promise<{ consumer: LogConsumer; caughtUp: Promise<void>; installed: () => number }> {
  let installed = 0;
  const { consumer, caughtUp } = await feed.follow(group, (values) => {
    const r = recommender().installModelRows(values);
    installed += r.installed;
    metrics?.itemModelRowsRead.inc({ result: 'installed' }, r.installed);
    if (r.rejected.length > 0) {
      metrics?.itemModelRowsRead.inc({ result: 'rejected' }, r.rejected.length);
      logger.warn({ rejected: r.rejected.length, first: r.rejected[0] }, 'item model rows skipped: not rows this gateway reads');
    }
  });
  return { consumer, caughtUp, installed: () => installed };
}
