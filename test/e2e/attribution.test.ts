import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { gql, startTestGateway, type TestGateway } from '../helpers/gateway';

/**
 * Issue 13, step 2: outcomes are attributed to served lists, through the `attribute-outcomes` stage, on the
 * embedded default. A click carrying the servedId is credited to that list; a purchase without one to the
 * user's latest list showing the item; invalid servedId use is refused with the rule. The state is derived
 * from the log: a restart (snapshot + tail, and a full replay) rebuilds the same totals, and an erased
 * user's records leave them.
 */
const TRACK = 'mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted duplicates rejected { index reason } } }';
const RECS = 'query($u: ID!, $s: String) { recommendations(userId: $u, first: 4, strategy: $s) { servedId position item { id } } }';
type Served = { servedId: string; position: number; item: { id: string } };

async function q<T>(gw: TestGateway, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await gql<T>(gw.graphqlUrl, query, variables);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!;
}

async function track(gw: TestGateway, events: Record<string, unknown>[]) {
  return (await q<{ trackEvents: { accepted: number; duplicates: number; rejected: { index: number; reason: string }[] } }>(gw, TRACK, { events })).trackEvents;
}

/** A restarted gateway replays the log tail in the background: wait until ingestion has caught up. */
async function caughtUp(gw: TestGateway): Promise<void> {
  for (const end = Date.now() + 20_000; gw.app.ingestor.lag() > 0;) {
    assert.ok(Date.now() < end, 'ingestion caught up within 20 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function totalsOf(gw: TestGateway) {
  return gw.app.outcomes
    .totals()
    .map((t) => ({ ...t }))
    .sort((a, b) => a.strategy.localeCompare(b.strategy));
}

describe('attribution of outcomes to served lists (embedded)', () => {
  let gw: TestGateway | undefined;
  let dataDir = '';
  after(async () => {
    await gw?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('credited by servedId or by the latest list, idempotent, rebuilt identically after restarts, erased with the user', async () => {
    // A snapshot every 50 events: the restart below restores one and replays the log tail after it.
    const env = { FLYWHEEL_SNAPSHOT_EVERY: '50', FLYWHEEL_SEGMENTS_REFIT_MINUTES: '0' };
    gw = await startTestGateway({ demo: true, env, keepDataDir: true });
    dataDir = gw.dataDir;

    const blend = (await q<{ recommendations: Served[] }>(gw, RECS, { u: 'demo-user-1' })).recommendations;
    const popular = (await q<{ recommendations: Served[] }>(gw, RECS, { u: 'demo-user-2', s: 'popular' })).recommendations;
    const clicked = blend[2]!;
    const bought = popular[0]!;
    const outcomes = [
      { id: 'o-click', type: 'CLICK', userId: 'demo-user-1', itemId: clicked.item.id, servedId: clicked.servedId },
      { id: 'o-cart', type: 'ADD_TO_CART', userId: 'demo-user-2', itemId: bought.item.id, quantity: 2 },
      { id: 'o-buy', type: 'PURCHASE', userId: 'demo-user-2', itemId: bought.item.id, quantity: 2, price: 7.5 },
      // Not shown to this user: unattributed.
      { id: 'o-stray', type: 'CLICK', userId: 'demo-user-3', itemId: clicked.item.id },
    ];
    assert.deepEqual((await track(gw, outcomes)).rejected, []);
    const click = gw.app.outcomes.attributionOf({ kind: 'interaction', id: 'o-click', userId: 'demo-user-1' });
    assert.ok(click, 'the click was looked at and credited');
    assert.equal(click.servedId, clicked.servedId);
    assert.equal(click.position, 3);
    const purchase = gw.app.outcomes.attributionOf({ kind: 'interaction', id: 'o-buy', userId: 'demo-user-2' });
    assert.equal(purchase?.servedId, bought.servedId, 'no servedId: the latest list that showed the item');
    assert.equal(purchase?.strategy, 'popular');
    assert.equal(purchase?.revenue, 15);
    assert.equal(gw.app.outcomes.attributionOf({ kind: 'interaction', id: 'o-stray', userId: 'demo-user-3' }), null);

    // Resending is safe (the log dedupes; so would attribution, by the same key).
    assert.equal((await track(gw, outcomes)).duplicates, outcomes.length);
    const totals = totalsOf(gw);
    const pop = totals.find((t) => t.strategy === 'popular')!;
    assert.deepEqual([pop.impressions, pop.itemsShown, pop.clicks, pop.addToCarts, pop.purchases, pop.revenue, pop.users], [1, 4, 0, 1, 1, 15, 1]);
    const def = totals.find((t) => t.strategy === gw!.app.recommender.defaultStrategy)!;
    assert.deepEqual([def.impressions, def.clicks, def.users], [1, 1, 1]);

    // A servedId on a VIEW is refused with the rule, and nothing is lost (it is in `rejected`, dead-lettered).
    const refused = await track(gw, [{ id: 'o-view', type: 'VIEW', userId: 'demo-user-1', itemId: clicked.item.id, servedId: clicked.servedId }]);
    assert.equal(refused.rejected.length, 1);
    assert.match(refused.rejected[0]!.reason, /servedId: is only for CLICK, ADD_TO_CART and PURCHASE/);

    // Restart: snapshot + log tail.
    await gw.close();
    assert.ok(existsSync(`${dataDir}/graph.snapshot`), 'a snapshot was written');
    gw = await startTestGateway({ dataDir, env });
    await caughtUp(gw);
    assert.deepEqual(totalsOf(gw), totals, 'the same totals after a restart from the snapshot and the tail');
    assert.equal(gw.app.outcomes.attributionOf({ kind: 'interaction', id: 'o-click', userId: 'demo-user-1' })?.servedId, clicked.servedId);

    // Restart without a snapshot: a full replay of the log through ingestion.
    await gw.close();
    rmSync(`${dataDir}/graph.snapshot`, { force: true });
    gw = await startTestGateway({ dataDir, env });
    await caughtUp(gw);
    assert.deepEqual(totalsOf(gw), totals, 'the same totals after a full replay');

    // Erasure: the user's lists and outcomes leave the totals.
    await q(gw, 'mutation { eraseUser(id: "demo-user-2") { eventsRemoved } }');
    const erased = totalsOf(gw).find((t) => t.strategy === 'popular');
    assert.ok(!erased || (erased.impressions === 0 && erased.purchases === 0 && erased.users === 0), JSON.stringify(erased));
    assert.equal(gw.app.outcomes.attributionOf({ kind: 'interaction', id: 'o-click', userId: 'demo-user-1' })?.servedId, clicked.servedId, 'others stay');
  });

  test('outcomeMetrics (GraphQL) and /metrics report the live totals, rates and hourly buckets per strategy', async () => {
    const g = await startTestGateway({ demo: true });
    try {
      const shown = (await q<{ recommendations: Served[] }>(g, RECS, { u: 'demo-user-7', s: 'popular' })).recommendations;
      await q<{ recommendations: Served[] }>(g, RECS, { u: 'demo-user-8', s: 'popular' });
      const at = new Date();
      await track(g, [
        { id: 'm-click', type: 'CLICK', userId: 'demo-user-7', itemId: shown[1]!.item.id, servedId: shown[1]!.servedId, timestamp: at.toISOString() },
        { id: 'm-buy', type: 'PURCHASE', userId: 'demo-user-7', itemId: shown[1]!.item.id, quantity: 1, price: 20, timestamp: at.toISOString() },
      ]);
      const query =
        'query($s: String, $since: DateTime, $until: DateTime) { outcomeMetrics(strategy: $s, since: $since, until: $until) { strategy variant impressions itemsShown users clicks purchases revenue clickThroughRate itemClickThroughRate addToCartRate purchaseRate revenuePerList revenuePerUser buckets { start impressions clicks purchases revenue } } }';
      const since = new Date(Date.now() - 2 * 3_600_000).toISOString();
      const [m] = (await q<{ outcomeMetrics: Record<string, unknown>[] }>(g, query, { s: 'popular', since })).outcomeMetrics;
      assert.ok(m);
      const { buckets, ...totals } = m as { buckets: { start: string; impressions: number; clicks: number; purchases: number; revenue: number }[] };
      assert.deepEqual(totals, {
        strategy: 'popular',
        variant: null,
        impressions: 2,
        itemsShown: 8,
        users: 2,
        clicks: 1,
        purchases: 1,
        revenue: 20,
        clickThroughRate: 0.5,
        itemClickThroughRate: 1 / 8,
        addToCartRate: 0,
        purchaseRate: 0.5,
        revenuePerList: 10,
        revenuePerUser: 10,
      });
      const hour = Math.floor(at.getTime() / 3_600_000) * 3_600_000;
      const ofHour = buckets.find((b) => Date.parse(b.start) === hour);
      assert.deepEqual([ofHour?.clicks, ofHour?.purchases, ofHour?.revenue], [1, 1, 20], JSON.stringify(buckets));
      assert.equal(
        buckets.reduce((n, b) => n + b.impressions, 0),
        2,
        'both lists in the buckets (one hour, or two at an hour boundary)',
      );
      // Totals stay, buckets are only those within since..until; a range the wrong way round is a typed input error.
      const later = (
        await q<{ outcomeMetrics: { buckets: unknown[] }[] }>(g, query, {
          s: 'popular',
          since: new Date(Date.now() + 3_600_000).toISOString(),
          until: new Date(Date.now() + 7_200_000).toISOString(),
        })
      ).outcomeMetrics;
      assert.equal(later.length, 1);
      assert.deepEqual(later[0]!.buckets, []);
      const bad = await gql(g.graphqlUrl, '{ outcomeMetrics(since: "2026-01-02T00:00:00Z", until: "2026-01-01T00:00:00Z") { strategy } }');
      assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(bad.errors?.[0]?.extensions?.argument, 'since');

      const metrics = await (await fetch(`${g.url}/metrics`)).text();
      assert.match(metrics, /flywheel_outcome_lists_total\{strategy="popular",experiment="",variant=""\} 2\n/);
      assert.match(metrics, /flywheel_outcomes_total\{strategy="popular",experiment="",variant="",outcome="click"\} 1\n/);
      assert.match(metrics, /flywheel_outcomes_total\{strategy="popular",experiment="",variant="",outcome="purchase"\} 1\n/);
      assert.match(metrics, /flywheel_outcome_revenue_total\{strategy="popular",experiment="",variant=""\} 20\n/);
      assert.match(metrics, /flywheel_outcome_users\{strategy="popular",experiment="",variant=""\} 2\n/);
    } finally {
      await g.close();
    }
  });
  test('FLYWHEEL_ATTRIBUTION_MAX_LISTS: past the cap the oldest list goes, its outcomes stay unattributed, /metrics counts it', async () => {
    const g = await startTestGateway({ demo: true, env: { FLYWHEEL_ATTRIBUTION_MAX_LISTS: '2' } });
    try {
      const lists: Served[][] = [];
      for (const u of ['demo-user-4', 'demo-user-5', 'demo-user-6'])
        lists.push((await q<{ recommendations: Served[] }>(g, RECS, { u, s: 'popular' })).recommendations);
      const clickOn = (k: number, id: string) => ({
        id,
        type: 'CLICK',
        userId: `demo-user-${4 + k}`,
        itemId: lists[k]![0]!.item.id,
        servedId: lists[k]![0]!.servedId,
      });
      const unattributed = g.app.outcomes.unattributedCounts().CLICK; // the demo shop's own clicks
      assert.deepEqual((await track(g, [clickOn(0, 'cap-first'), clickOn(2, 'cap-third')])).rejected, []);
      assert.equal(g.app.outcomes.unattributedCounts().CLICK, unattributed + 1);
      assert.equal(g.app.outcomes.attributionOf({ kind: 'interaction', id: 'cap-first', userId: 'demo-user-4' }), null, 'the first list was evicted');
      assert.equal(g.app.outcomes.attributionOf({ kind: 'interaction', id: 'cap-third', userId: 'demo-user-6' })?.servedId, lists[2]![0]!.servedId);
      const pop = g.app.outcomes.totals().find((t) => t.strategy === 'popular')!;
      assert.deepEqual([pop.impressions, pop.clicks], [3, 1], 'an evicted list still counts as shown');
      const metrics = await (await fetch(`${g.url}/metrics`)).text();
      assert.match(metrics, /flywheel_attribution_lists_evicted_total 1\n/);
    } finally {
      await g.close();
    }
  });
});
