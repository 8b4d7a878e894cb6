import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gql, startTestGateway, type TestGateway } from '../helpers/gateway';
import { syntheticPurchaseBatches } from '../../src/segments/synthetic-graph';

/** GraphQL end to end: segments, segment(id).users paging, User.segment, refreshSegments, input errors. */
describe('segments over GraphQL', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ env: { FLYWHEEL_SEGMENTS_K: '4', FLYWHEEL_SEGMENTS_REFIT_MINUTES: '0' } });
    for (const batch of syntheticPurchaseBatches(1200, { seed: 3, batchSize: 1000 })) {
      const r = await gw.app.tracker.track(batch, 'test');
      assert.equal(r.rejected.length, 0);
    }
  });
  after(async () => {
    await gw?.close();
  });

  it('refreshSegments fits now and reports k, silhouette and duration', async () => {
    const r = await gql<{
      refreshSegments: { k: number; silhouette: number; durationMs: number; customers: number; segments: { id: string; name: string; size: number }[] };
    }>(gw.graphqlUrl, 'mutation { refreshSegments { k silhouette durationMs customers segments { id name size } } }');
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const out = r.data!.refreshSegments;
    assert.equal(out.k, 4);
    assert.equal(out.customers, 1200);
    assert.ok(out.silhouette > 0 && out.silhouette <= 1);
    assert.ok(out.durationMs > 0);
    assert.equal(
      out.segments.reduce((s, x) => s + x.size, 0),
      1200,
    );
  });

  it('segments lists id, name, size, RFM centroid, AOV, top categories and top items (via the item loader)', async () => {
    const r = await gql<{
      segments: {
        id: string;
        name: string;
        size: number;
        share: number;
        centroid: { recency: number; frequency: number; monetary: number };
        averageOrderValue: number;
        nextPeriod: { periodDays: number; since: string; until: string; customers: number; buyers: number; rate: number; baseRate: number } | null;
        topCategories: unknown[];
        topItems: { id: string; title: string }[];
      }[];
    }>(
      gw.graphqlUrl,
      '{ segments { id name size share centroid { recency frequency monetary } averageOrderValue nextPeriod { periodDays since until customers buyers rate baseRate } topCategories { category customers revenue } topItems(first: 3) { id title } } }',
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const segs = r.data!.segments;
    assert.equal(segs.length, 4);
    assert.deepEqual(segs.map((s) => s.id).sort(), ['seg-1', 'seg-2', 'seg-3', 'seg-4']);
    assert.equal(new Set(segs.map((s) => s.name)).size, 4);
    for (const s of segs) {
      assert.ok(s.size > 0 && s.centroid.frequency >= 1 && s.centroid.monetary > 0 && s.averageOrderValue > 0);
      assert.ok(s.topItems.length > 0 && s.topItems.length <= 3);
      assert.match(s.topItems[0]!.id, /^sku-/);
    }
    const champions = segs.find((s) => s.name === 'Champions');
    assert.ok(champions, segs.map((s) => s.name).join());
    // The backtest: every segment someone was placed in has a rate, one base rate over all, a 30-day period.
    const rated = segs.flatMap((s) => (s.nextPeriod ? [s.nextPeriod] : []));
    assert.ok(rated.length >= 2, JSON.stringify(segs.map((s) => s.nextPeriod)));
    for (const b of rated) {
      assert.equal(b.periodDays, 30);
      assert.equal(Date.parse(b.until) - Date.parse(b.since), 30 * 86_400_000);
      assert.ok(b.customers > 0 && b.buyers <= b.customers);
      assert.equal(b.rate, b.buyers / b.customers);
      assert.equal(b.baseRate, rated[0]!.baseRate);
    }
    const all = rated.reduce((a, b) => ({ customers: a.customers + b.customers, buyers: a.buyers + b.buyers }), { customers: 0, buyers: 0 });
    assert.equal(rated[0]!.baseRate, all.buyers / all.customers, 'the base rate is over every segment');
    assert.ok(champions.centroid.recency < Math.max(...segs.map((s) => s.centroid.recency)));
  });

  it('segment(id).users pages through every member exactly once; User.segment agrees', async () => {
    const list = await gql<{ segments: { id: string; size: number }[] }>(gw.graphqlUrl, '{ segments { id size } }');
    const seg = list.data!.segments[0]!;
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const r: Awaited<
        ReturnType<
          typeof gql<{
            segment: {
              users: {
                totalCount: number;
                edges: { cursor: string; node: { id: string; segment: { id: string } } }[];
                pageInfo: { hasNextPage: boolean; endCursor: string | null };
              };
            };
          }>
        >
      > = await gql(
        gw.graphqlUrl,
        'query($id: ID!, $after: String) { segment(id: $id) { users(first: 50, after: $after) { totalCount edges { cursor node { id segment { id } } } pageInfo { hasNextPage endCursor } } } }',
        { id: seg.id, after },
      );
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      const users = r.data!.segment.users;
      assert.equal(users.totalCount, seg.size);
      for (const e of users.edges) {
        assert.equal(e.node.segment.id, seg.id);
        seen.push(e.node.id);
      }
      if (!users.pageInfo.hasNextPage) break;
      after = users.pageInfo.endCursor;
    }
    assert.equal(seen.length, seg.size);
    assert.equal(new Set(seen).size, seg.size);

    const none = await gql<{ segment: unknown }>(gw.graphqlUrl, '{ segment(id: "seg-99") { id } }');
    assert.equal(none.data!.segment, null);
  });

  it('a new customer gets a segment between refits (incremental assignment on ingestion)', async () => {
    const ts = new Date(Date.UTC(2023, 11, 30)).toISOString();
    const events = Array.from({ length: 8 }, (_, o) => ({
      id: `new-buyer-${o}`,
      type: 'PURCHASE',
      userId: 'brand-new-buyer',
      itemId: 'sku-1',
      quantity: 2,
      price: 45,
      timestamp: new Date(Date.parse(ts) - o * 6 * 86_400_000).toISOString(),
    }));
    const tracked = await gql<{ trackEvents: { accepted: number } }>(gw.graphqlUrl, 'mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted } }', {
      e: events,
    });
    assert.equal(tracked.errors, undefined, JSON.stringify(tracked.errors));
    await gw.app.segments.whenIdle();
    const r = await gql<{ user: { segment: { id: string; name: string } | null } }>(gw.graphqlUrl, '{ user(id: "brand-new-buyer") { segment { id name } } }');
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.ok(r.data!.user.segment, 'segment assigned');
    assert.match(r.data!.user.segment.name, /Champions|Loyal/);
  });

  it('recommendations(strategy: "segment-popular") serves what the user\'s segment buys most, with a segment reason', async () => {
    const q =
      '{ user(id: "su7") { segment { id name topItems(first: 50) { id } } } recommendations(userId: "su7", first: 5, strategy: "segment-popular") { item { id } score reason } }';
    const r = await gql<{
      user: { segment: { id: string; name: string; topItems: { id: string }[] } };
      recommendations: { item: { id: string }; score: number; reason: string }[];
    }>(gw.graphqlUrl, q);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const seg = r.data!.user.segment;
    const recs = r.data!.recommendations;
    assert.equal(recs.length, 5);
    const top = seg.topItems.map((i) => i.id);
    for (const x of recs) {
      assert.ok(top.includes(x.item.id), `${x.item.id} is one of ${seg.name}'s top items`);
      assert.match(x.reason, new RegExp(`^popular with "${seg.name}" customers \\(your segment\\): bought by \\d+ of its \\d+ customers$`));
    }
    // best first, by the share of the segment's customers who bought the item
    for (let i = 1; i < recs.length; i++) assert.ok(recs[i - 1]!.score >= recs[i]!.score);
  });

  it('rejects out-of-range paging with BAD_USER_INPUT', async () => {
    for (const q of [
      '{ segment(id: "seg-1") { users(first: 0) { totalCount } } }',
      '{ segment(id: "seg-1") { users(first: 501) { totalCount } } }',
      '{ segments { topItems(first: 51) { id } } }',
      '{ segment(id: "seg-1") { users(first: 5, after: "not a cursor!") { totalCount } } }',
    ]) {
      const r = await gql(gw.graphqlUrl, q);
      assert.equal(r.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `${q}: ${JSON.stringify(r.errors)}`);
    }
    const r = await gql(gw.graphqlUrl, '{ segment(id: "seg-1") { users(first: 0) { totalCount } } }');
    assert.match(r.errors![0]!.message, /first must be an integer from 1 to 500, got 0/);
  });
});
