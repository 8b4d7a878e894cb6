import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ImpressionEvent } from '../../src/events/event';
import { gql, startTestGateway, type TestGateway } from '../helpers/gateway';

/**
 * Issue 13, step 1: every served list is an impression. The answer carries a servedId and positions (new
 * fields; today's selections still work), the gateway appends the list to the event log before answering (committed just after),
 * /metrics counts it, the graph and the recommender do not take it as behaviour, and erasure removes it.
 */
type Entry = { servedId: string; position: number; strategy: string; variant: string | null; propensity: number; item: { id: string } };

/** The impressions in the log, once the appends issued so far have settled (serving does not wait for them). */
async function impressions(gw: TestGateway): Promise<ImpressionEvent[]> {
  for (let t = 0; t < 200 && gw.app.impressions.pending > 0; t++) await new Promise((r) => setTimeout(r, 10));
  const out: ImpressionEvent[] = [];
  for (const e of gw.app.log.rewritable!.scanEvents()) if (e.kind === 'impression') out.push(e);
  return out;
}

async function q<T>(gw: TestGateway, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await gql<T>(gw.graphqlUrl, query, variables);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!;
}

const RECS = 'query($u: ID!, $s: String) { recommendations(userId: $u, first: 5, strategy: $s) { servedId position strategy variant propensity item { id } } }';

describe('served lists are impressions (embedded default, demo shop)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ demo: true });
  });
  after(async () => {
    await gw.close();
  });

  test('each answer has one fresh servedId, positions from 1, the strategy, and is in the log before it is answered', async () => {
    const a = (await q<{ recommendations: Entry[] }>(gw, RECS, { u: 'demo-user-1' })).recommendations;
    const b = (await q<{ recommendations: Entry[] }>(gw, RECS, { u: 'demo-user-1', s: 'popular' })).recommendations;
    assert.equal(a.length, 5);
    assert.equal(new Set(a.map((e) => e.servedId)).size, 1, 'one servedId per answer');
    assert.notEqual(a[0]!.servedId, b[0]!.servedId, 'a new one per answer');
    assert.deepEqual(
      a.map((e) => e.position),
      [1, 2, 3, 4, 5],
    );
    assert.equal(a[0]!.strategy, gw.app.recommender.defaultStrategy, 'the default strategy is named');
    assert.equal(b[0]!.strategy, 'popular');
    assert.equal(a[0]!.variant, null, 'no experiment running');
    assert.ok(
      a.every((e) => e.propensity === 1),
      'a deterministic ranking shows each entry with probability 1',
    );
    // Appended (in call order) before the answer left; committed just after.
    const logged = (await impressions(gw)).find((i) => i.id === a[0]!.servedId);
    assert.ok(logged, 'the list is in the log');
    assert.equal(logged.userId, 'demo-user-1');
    assert.equal(logged.surface, 'recommendations');
    assert.deepEqual(
      logged.items.map((i) => [i.itemId, i.position, i.propensity]),
      a.map((e) => [e.item.id, e.position, 1]),
    );
  });

  test('a selection of the old fields alone still works (additive schema) and is recorded too', async () => {
    const before = (await impressions(gw)).length;
    const d = await q<{ recommendations: { score: number; reason: string }[] }>(gw, '{ recommendations(userId: "demo-user-2", first: 3) { score reason } }');
    assert.equal(d.recommendations.length, 3);
    assert.equal((await impressions(gw)).length, before + 1);
  });

  test('similarItems and Item.similar are impressions; an anonymous list names its anchor, a given user owns it', async () => {
    const anon = await q<{ similarItems: Entry[] }>(gw, '{ similarItems(itemId: "item-001", first: 3) { servedId position strategy item { id } } }');
    const mine = await q<{ similarItems: Entry[] }>(gw, '{ similarItems(itemId: "item-001", first: 3, userId: "demo-user-3") { servedId } }');
    const nested = await q<{ item: { similar: Entry[] } }>(gw, '{ item(id: "item-002") { similar(first: 2) { servedId position } } }');
    const byId = new Map((await impressions(gw)).map((i) => [i.id, i]));
    const a = byId.get(anon.similarItems[0]!.servedId)!;
    assert.equal(a.surface, 'similarItems');
    assert.equal(a.anchorItemId, 'item-001');
    assert.equal(a.userId, undefined);
    assert.equal(a.strategy, 'similar-items');
    assert.equal(byId.get(mine.similarItems[0]!.servedId)!.userId, 'demo-user-3');
    assert.equal(byId.get(nested.item.similar[0]!.servedId)!.anchorItemId, 'item-002');
  });

  test('impressions are counted in /metrics and leave the graph and the recommender as they were', async () => {
    const stats = await gw.app.store.stats();
    const [history] = await gw.app.store.getInteractions(['demo-user-1'], 10_000);
    for (let i = 0; i < 3; i++) await q(gw, RECS, { u: 'demo-user-1' });
    // A view tracked after them returns once ingestion applied it (read-your-writes): the impressions,
    // earlier in the log, have been read by then.
    await q(gw, 'mutation { trackEvents(events: [{ id: "after-impressions", type: VIEW, userId: "demo-user-9", itemId: "item-003" }]) { accepted } }');
    const after = await gw.app.store.stats();
    assert.equal(after.eventsApplied, stats.eventsApplied + 1, 'the view only: no impression is applied as an event');
    const [viewer] = await gw.app.store.getInteractions(['demo-user-9'], 10_000);
    const newEdge = viewer!.filter((e) => e.itemId === 'item-003' && e.counts.VIEW === 1 && e.counts.CLICK + e.counts.PURCHASE === 0).length;
    assert.equal(after.edges, stats.edges + newEdge, "at most the view's own edge is new");
    const [again] = await gw.app.store.getInteractions(['demo-user-1'], 10_000);
    assert.deepEqual(again, history, "the user's edges did not move");
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    const served = metrics.match(/flywheel_impressions_recorded_total\{surface="recommendations",strategy="blend"\} (\d+)/);
    assert.ok(
      served && Number(served[1]) >= 4,
      metrics
        .split('\n')
        .filter((l) => l.includes('impressions'))
        .join('\n'),
    );
    assert.match(metrics, /flywheel_impressions_recorded_total\{surface="similarItems",strategy="similar-items"\} \d+/);
  });

  test('erasing a user removes the lists shown to them from the log, and keeps others', async () => {
    await q(gw, RECS, { u: 'demo-user-4' });
    await q(gw, RECS, { u: 'demo-user-5' });
    assert.ok((await impressions(gw)).some((i) => i.userId === 'demo-user-4'));
    const erased = await q<{ eraseUser: { eventsRemoved: number } }>(gw, 'mutation { eraseUser(id: "demo-user-4") { eventsRemoved } }');
    assert.ok(erased.eraseUser.eventsRemoved > 0);
    assert.equal((await impressions(gw)).filter((i) => i.userId === 'demo-user-4').length, 0);
    assert.ok((await impressions(gw)).some((i) => i.userId === 'demo-user-5'));
  });
});
