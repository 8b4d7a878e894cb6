import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { gql, startTestGateway, type TestGateway } from '../helpers/gateway';

/**
 * Issue 6 end to end, over the real transports: a graphql-ws client subscribes to `anomalyDetected`, a burst
 * of clicks from one user arrives through the `trackEvents` mutation over HTTP, a BOT_ACTIVITY alert must
 * reach the subscriber within one second, and the bot's clicks must not change another user's
 * recommendations. The same scenario with FLYWHEEL_IGNORE_BOTS=off is the control: there the bot's clicks
 * do change them (so the assertion above is not vacuous).
 */
const RECS = `query Recs($userId: ID!) { recommendations(userId: $userId, first: 10) { score item { id } } }`;
const TRACK = `mutation Track($events: [EventInput!]!) { trackEvents(events: $events) { accepted rejected { reason } } }`;
const SUB = `subscription Alerts($filter: AnomalyFilter) {
  anomalyDetected(filter: $filter) { id kind severity entityType entityId score detectedAt message acknowledged evidence }
}`;

type Rec = { score: number; item: { id: string } };

async function track(gw: TestGateway, events: Record<string, unknown>[]): Promise<void> {
  const res = await gql<{ trackEvents: { accepted: number; rejected: { reason: string }[] } }>(gw.graphqlUrl, TRACK, { events });
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  assert.deepEqual(res.data!.trackEvents.rejected, []);
}

async function recs(gw: TestGateway, userId: string): Promise<Rec[]> {
  // The recommender may re-solve its model in the background; read a settled state so before/after compare.
  await (gw.app.recommender as { whenFresh?: () => Promise<void> }).whenFresh?.();
  const res = await gql<{ recommendations: Rec[] }>(gw.graphqlUrl, RECS, { userId });
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!.recommendations;
}

/** Shoppers u1..u5 engage with X and Y; "alice" viewed X. Her recommendations come from X's neighbours. */
async function seed(gw: TestGateway): Promise<void> {
  const events: Record<string, unknown>[] = [];
  for (let u = 1; u <= 5; u++) {
    events.push({ id: `s-${u}-x`, type: 'CLICK', userId: `u${u}`, itemId: 'X' });
    events.push({ id: `s-${u}-y`, type: 'PURCHASE', userId: `u${u}`, itemId: 'Y', quantity: 1, price: 10 });
  }
  events.push({ id: 'alice-x', type: 'VIEW', userId: 'alice', itemId: 'X' });
  await track(gw, events);
}

/** 60 clicks in well under a minute (the default limit is 40 per 60 s): on X and on 59 items of its own. */
function burst(userId: string, prefix = 'Z', n = 60): Record<string, unknown>[] {
  const base = Date.now() - 5_000;
  return Array.from({ length: n }, (_, i) => ({
    id: `${userId}-${prefix}-click-${i}`,
    type: 'CLICK',
    userId,
    itemId: i === 0 ? 'X' : `${prefix}${i}`,
    timestamp: new Date(base + i * 50).toISOString(),
  }));
}

function subscribe(client: Client, variables: Record<string, unknown>): Promise<{ data: { anomalyDetected: Record<string, unknown> }; at: number }> {
  return new Promise((resolve, reject) => {
    client.subscribe(
      { query: SUB, variables },
      {
        next: (v) => resolve({ data: v.data as { anomalyDetected: Record<string, unknown> }, at: performance.now() }),
        error: reject,
        complete: () => reject(new Error('subscription completed without an alert')),
      },
    );
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)))]).finally(() =>
    clearTimeout(t),
  );
}

describe('anomalies over graphql-ws (issue 6)', () => {
  const open: { gw: TestGateway; client: Client }[] = [];
  after(async () => {
    for (const { gw, client } of open) {
      await client.dispose();
      await gw.close();
    }
  });

  async function scenario(env: Record<string, string>) {
    const gw = await startTestGateway({ env });
    let connected!: () => void;
    const isConnected = new Promise<void>((r) => (connected = r));
    const client = createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, on: { connected: () => connected() } });
    open.push({ gw, client });
    await seed(gw);
    const before = await recs(gw, 'alice');
    const next = subscribe(client, { filter: { kinds: ['BOT_ACTIVITY'], entityIds: ['bot-1'] } });
    next.catch(() => undefined); // awaited below; keeps an early failure from being unhandled
    await withTimeout(isConnected, 5000, 'graphql-ws connection');
    await new Promise((r) => setTimeout(r, 150)); // the server subscribes right after the subscribe message
    const sent = performance.now();
    await track(gw, burst('bot-1'));
    const alert = await withTimeout(next, 5000, 'BOT_ACTIVITY alert');
    const after = await recs(gw, 'alice');
    // The bot keeps clicking after the flag, in separate requests.
    await track(gw, burst('bot-1', 'W', 20));
    await track(gw, [{ id: 'bot-1-buy', type: 'PURCHASE', userId: 'bot-1', itemId: 'W1', quantity: 1, price: 5 }]);
    const later = await recs(gw, 'alice');
    return { gw, before, after, later, alert, latencyMs: alert.at - sent };
  }

  it('a click burst raises BOT_ACTIVITY within 1 s and the bot stops shaping recommendations', async () => {
    const { gw, before, after, later, alert, latencyMs } = await scenario({});
    const a = alert.data.anomalyDetected;
    assert.equal(a.kind, 'BOT_ACTIVITY');
    assert.equal(a.entityType, 'user');
    assert.equal(a.entityId, 'bot-1');
    assert.ok(['WARNING', 'CRITICAL'].includes(a.severity as string));
    assert.equal(a.acknowledged, false);
    assert.ok((a.score as number) > 1);
    assert.match(a.message as string, /bot-1/);
    assert.ok(latencyMs < 1000, `alert took ${latencyMs.toFixed(0)} ms`);

    // Before the burst alice's list is Y (X's neighbour) plus popular fill; the bot's items must not appear.
    assert.ok(before.length > 0 && before[0]!.item.id === 'Y', JSON.stringify(before));
    assert.deepEqual(after, before);
    assert.ok(!after.some((r) => r.item.id.startsWith('Z')));
    assert.deepEqual(later, before, 'clicks after the flag do not shape them either');

    // The flag and the stored finding are readable on the graph.
    const q = await gql<{
      user: { flaggedAsBot: boolean; anomalies: { id: string; kind: string }[] };
      item: { userCount: number };
      anomalies: { totalCount: number; edges: { node: { id: string } }[] };
    }>(
      gw.graphqlUrl,
      `{ user(id: "bot-1") { flaggedAsBot anomalies(first: 5) { id kind } }
         item(id: "X") { userCount }
         anomalies(filter: { kinds: [BOT_ACTIVITY], minSeverity: WARNING }) { totalCount edges { node { id } } } }`,
    );
    assert.equal(q.errors, undefined, JSON.stringify(q.errors));
    assert.equal(q.data!.user.flaggedAsBot, true);
    assert.deepEqual(
      q.data!.user.anomalies.map((x) => x.id),
      [a.id],
    );
    assert.equal(q.data!.item.userCount, 6, 'the bot does not count as a shopper of X');
    assert.equal(q.data!.anomalies.totalCount, 1);

    const alice = await gql<{ user: { flaggedAsBot: boolean } }>(gw.graphqlUrl, `{ user(id: "alice") { flaggedAsBot } }`);
    assert.equal(alice.data!.user.flaggedAsBot, false);

    const ack = await gql<{ acknowledgeAnomaly: { id: string; acknowledged: boolean } }>(
      gw.graphqlUrl,
      `mutation($id: ID!) { acknowledgeAnomaly(id: $id) { id acknowledged } }`,
      { id: a.id },
    );
    assert.deepEqual(ack.data!.acknowledgeAnomaly, { id: a.id, acknowledged: true });
    const unacked = await gql<{ anomalies: { totalCount: number } }>(gw.graphqlUrl, `{ anomalies(filter: { acknowledged: false }) { totalCount } }`);
    assert.equal(unacked.data!.anomalies.totalCount, 0);
    const missing = await gql(gw.graphqlUrl, `mutation { acknowledgeAnomaly(id: "nope") { id } }`);
    assert.equal(missing.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  });

  it('control: with FLYWHEEL_IGNORE_BOTS=off the same burst is still flagged but does change the recommendations', async () => {
    const { gw, before, after, later, alert } = await scenario({ FLYWHEEL_IGNORE_BOTS: 'off' });
    assert.equal(alert.data.anomalyDetected.kind, 'BOT_ACTIVITY');
    assert.notDeepEqual(after, before);
    assert.notDeepEqual(later, before);
    assert.ok(
      after.some((r) => r.item.id.startsWith('Z')),
      JSON.stringify(after),
    );
    const q = await gql<{ item: { userCount: number } }>(gw.graphqlUrl, `{ item(id: "X") { userCount } }`);
    assert.equal(q.data!.item.userCount, 7);
  });
});
