import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { LmdbEventLog } from '../../src/event-log/lmdb-event-log';
import { gql, startTestGateway, type TestGateway } from '../helpers/gateway';

/**
 * Issue 7, right to erasure, end to end on the embedded backend: after `eraseUser("victim")` nothing of the
 * victim is reachable through the API (user, linked anonymous session, interactions, segment membership,
 * anomaly findings and evidence, dead letters), the log holds none of their events, another shopper's
 * recommendations and the similar-item lists no longer count them, and neither a restart (snapshot + log
 * tail), a full replay (no snapshot) nor a replayed old event (what a Kafka topic would redeliver) brings
 * them back.
 */
const TRACK = `mutation Track($events: [EventInput!]!) { trackEvents(events: $events) { accepted rejected { reason } } }`;
const ERASE = `mutation Erase($id: ID!) { eraseUser(id: $id) { userId found actors interactionsRemoved itemsAffected segmentMemberships anomaliesRemoved anomaliesRedacted eventsRemoved deadLettersRemoved logStrategy erasedAt } }`;
const ENV = { FLYWHEEL_IGNORE_BOTS: 'off', FLYWHEEL_SEGMENTS_K: '2', FLYWHEEL_SEGMENTS_REFIT_MINUTES: '0' };

type Recs = { recommendations: { item: { id: string }; reason: string }[] };

async function q<T>(gw: TestGateway, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await gql<T>(gw.graphqlUrl, query, variables);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!;
}

async function track(gw: TestGateway, events: Record<string, unknown>[]): Promise<void> {
  const d = await q<{ trackEvents: { accepted: number; rejected: { reason: string }[] } }>(gw, TRACK, { events });
  assert.deepEqual(d.trackEvents.rejected, []);
}

async function recs(gw: TestGateway, userId: string): Promise<string[]> {
  await gw.app.recommender.whenFresh();
  const d = await q<Recs>(gw, 'query($u: ID!) { recommendations(userId: $u, first: 100) { item { id } reason } }', { u: userId });
  return d.recommendations.map((r) => r.item.id);
}

async function similar(gw: TestGateway, itemId: string): Promise<string[]> {
  await gw.app.recommender.whenFresh();
  const d = await q<{ similarItems: { item: { id: string } }[] }>(gw, 'query($i: ID!) { similarItems(itemId: $i, first: 100) { item { id } } }', { i: itemId });
  return d.similarItems.map((r) => r.item.id);
}

/** Everything the API shows about the victim (and their linked session), plus traces in shared views. */
async function traces(gw: TestGateway): Promise<{
  user: unknown;
  session: unknown;
  anomaliesNaming: number;
  anomaliesOfVictim: number;
  segmentMember: boolean;
  deadLetters: number;
  itemS: number;
}> {
  const u = await q<{ user: unknown; session: unknown }>(
    gw,
    '{ user: user(id: "victim") { id recentInteractions(first: 50) { item { id } } segment { id } } session: user(id: "session:sess-v") { id recentInteractions { item { id } } } }',
  );
  await gw.app.anomalies.idle();
  const all = await q<{ anomalies: { edges: { node: { entityId: string; message: string; evidence: string | null } }[] } }>(
    gw,
    '{ anomalies(first: 500) { edges { node { entityId message evidence } } } }',
  );
  const mine = await q<{ anomalies: { totalCount: number } }>(
    gw,
    '{ anomalies(first: 5, filter: { entityIds: ["victim", "session:sess-v"] }) { totalCount } }',
  );
  const segs = await q<{ segments: { id: string; users: { edges: { node: { id: string } }[] } }[] }>(
    gw,
    '{ segments { id users(first: 500) { edges { node { id } } } } }',
  );
  const dead = await q<{ deadLetters: { raw: string }[] }>(gw, '{ deadLetters(first: 500) { raw } }');
  const s = await q<{ item: { userCount: number } | null }>(gw, '{ item(id: "S") { userCount } }');
  return {
    user: u.user,
    session: u.session,
    anomaliesNaming: all.anomalies.edges.filter((e) => /victim|sess-v/.test(`${e.node.entityId} ${e.node.message} ${e.node.evidence ?? ''}`)).length,
    anomaliesOfVictim: mine.anomalies.totalCount,
    segmentMember: segs.segments.some((sg) => sg.users.edges.some((e) => e.node.id === 'victim')),
    deadLetters: dead.deadLetters.filter((d) => d.raw.includes('victim')).length,
    itemS: s.item?.userCount ?? 0,
  };
}

function assertGone(t: Awaited<ReturnType<typeof traces>>, when: string): void {
  assert.equal(t.user, null, `${when}: user(victim) is null`);
  assert.equal(t.session, null, `${when}: the linked anonymous session is gone`);
  assert.equal(t.anomaliesOfVictim, 0, `${when}: no anomaly is linked to the victim`);
  assert.equal(t.anomaliesNaming, 0, `${when}: no anomaly message or evidence names the victim`);
  assert.equal(t.segmentMember, false, `${when}: not in any segment's users`);
  assert.equal(t.deadLetters, 0, `${when}: no dead letter holds their input`);
  assert.equal(t.itemS, 0, `${when}: item S counts no shopper`);
}

describe('eraseUser (embedded)', () => {
  let gw: TestGateway | undefined;
  after(async () => {
    await gw?.close();
    if (gw) rmSync(gw.dataDir, { recursive: true, force: true });
  });

  it("removes every trace of the user, changes other users' recommendations, and survives restarts", async () => {
    gw = await startTestGateway({ env: ENV, keepDataDir: true });
    const dataDir = gw.dataDir;
    const t0 = Date.now() - 3_600_000;
    const at = (min: number) => new Date(t0 + min * 60_000).toISOString();
    // 30 customers buy A+B or C+D (segments need customers); bob bought A only.
    const seed: Record<string, unknown>[] = [];
    for (let u = 0; u < 30; u++) {
      const [x, y] = u % 2 === 0 ? ['A', 'B'] : ['C', 'D'];
      for (let k = 0; k <= u % 3; k++) {
        seed.push({ id: `seed-${u}-${k}-x`, type: 'PURCHASE', userId: `c${u}`, itemId: x, quantity: 1, price: 10, timestamp: at(k) });
        seed.push({ id: `seed-${u}-${k}-y`, type: 'PURCHASE', userId: `c${u}`, itemId: y, quantity: 1, price: 12, timestamp: at(k) });
      }
    }
    seed.push({ id: 'bob-a', type: 'PURCHASE', userId: 'bob', itemId: 'A', quantity: 1, price: 10, timestamp: at(5) });
    await track(gw, seed);
    // The victim: anonymous browsing, then logged in (both ids), then bought A and S (S: bought by no one else).
    await track(gw, [
      { id: 'v-anon-1', type: 'VIEW', sessionId: 'sess-v', itemId: 'S', timestamp: at(6) },
      { id: 'v-login', type: 'VIEW', userId: 'victim', sessionId: 'sess-v', itemId: 'A', timestamp: at(7) },
      { id: 'v-buy-a', type: 'PURCHASE', userId: 'victim', itemId: 'A', quantity: 1, price: 10, timestamp: at(8) },
      { id: 'v-buy-s', type: 'PURCHASE', userId: 'victim', itemId: 'S', quantity: 2, price: 99, timestamp: at(8) },
    ]);
    // A burst of clicks: a BOT_ACTIVITY finding about the victim (bots still count here: FLYWHEEL_IGNORE_BOTS=off).
    const base = Date.now() - 5_000;
    await track(
      gw,
      Array.from({ length: 60 }, (_, i) => ({
        id: `v-click-${i}`,
        type: 'CLICK',
        userId: 'victim',
        itemId: i === 0 ? 'A' : `Z${i % 4}`,
        timestamp: new Date(base + i * 50).toISOString(),
      })),
    );
    // Rejected input naming the victim lands in the dead letters.
    const bad = await gql<{ trackEvents: { rejected: unknown[] } }>(gw.graphqlUrl, TRACK, {
      events: [{ id: 'v-bad', type: 'PURCHASE', userId: 'victim', itemId: 'A', quantity: -1 }],
    });
    assert.ok((bad.data?.trackEvents.rejected.length ?? 0) > 0 || bad.errors, 'the bad event was refused');
    // A large one is stored truncated (a prefix of its JSON text): erasure must find the victim in it too.
    const big = await gql<{ trackEvents: { rejected: unknown[] } }>(gw.graphqlUrl, TRACK, {
      events: [{ id: 'v-big', type: 'VIEW', userId: 'victim', itemId: 'y'.repeat(6000) }],
    });
    assert.equal(big.data?.trackEvents.rejected.length, 1);
    assert.ok(
      (await gw.app.log.listDeadLetters(5)).some((d) => d.truncated),
      'stored truncated',
    );
    const fit = await q<{ refreshSegments: { customers: number } }>(gw, 'mutation { refreshSegments { customers } }');
    assert.ok(fit.refreshSegments.customers >= 31);

    // Before: every trace is there, and bob's recommendations / A's neighbours count the victim.
    const before = await traces(gw);
    assert.notEqual(before.user, null);
    assert.notEqual(before.session, null);
    assert.ok(before.anomaliesOfVictim > 0, 'a finding about the victim exists');
    assert.ok(before.segmentMember, 'the victim is in a segment');
    assert.equal(before.itemS, 2, 'the victim and their anonymous session');
    assert.ok((await recs(gw, 'bob')).includes('S'), 'bob is recommended S because the victim co-bought it with A');
    assert.ok((await similar(gw, 'A')).includes('S'), 'S is similar to A through the victim');

    const res = await q<{ eraseUser: Record<string, unknown> }>(gw, ERASE, { id: 'victim' });
    const r = res.eraseUser;
    console.log(`::: eraseUser(victim): ${JSON.stringify(r)}`);
    assert.equal(r.found, true);
    assert.deepEqual(r.actors, ['victim', 'session:sess-v']);
    assert.equal(r.logStrategy, 'log-rewritten');
    assert.equal(r.eventsRemoved, 1 + 1 + 2 + 60);
    assert.equal(r.interactionsRemoved, 7, 'victim: A, S, Z0..Z3; session: S');
    assert.ok((r.anomaliesRemoved as number) >= 1);
    assert.equal(r.segmentMemberships, 1);
    assert.ok((r.deadLettersRemoved as number) >= 1);

    const check = async (when: string) => {
      assertGone(await traces(gw!), when);
      assert.ok(!(await recs(gw!, 'bob')).includes('S'), `${when}: bob is no longer recommended S`);
      assert.ok(!(await similar(gw!, 'A')).includes('S'), `${when}: S is no longer similar to A`);
      const zs = await gw!.app.store.getItems(['Z0', 'Z1', 'Z2', 'Z3']);
      assert.ok(
        zs.every((z) => (z?.userCount ?? 0) === 0),
        `${when}: item counts do not count them`,
      );
      assert.equal((await recs(gw!, 'victim')).length > 0, true, `${when}: the victim id is a cold user`);
    };
    await check('after erasure');
    // The log: none of their events remain.
    const log = gw.app.log as LmdbEventLog;
    const left = [...log.scanEvents()].filter((e) => e.kind === 'interaction' && (e.userId === 'victim' || e.sessionId === 'sess-v'));
    assert.equal(left.length, 0, 'no event of the victim is left in the log');

    // Restart: snapshot + log tail.
    await gw.close();
    gw = await startTestGateway({ env: ENV, dataDir });
    await check('after a restart');
    // Restart without the snapshot: a full replay of the log.
    await gw.close();
    rmSync(path.join(dataDir, 'graph.snapshot'), { force: true });
    gw = await startTestGateway({ env: ENV, dataDir });
    await check('after a full replay');
    assert.equal(
      (await gw.app.store.erasedActors()).size,
      0,
      'a full replay without a snapshot starts with an empty erasure list (the log no longer holds the events)',
    );

    // A replayed old event of the victim (what a Kafka topic would still deliver) is skipped: restore the list first.
    await q(gw, ERASE, { id: 'victim' });
    await track(gw, [{ id: 'v-old-replayed', type: 'PURCHASE', userId: 'victim', itemId: 'S', quantity: 1, price: 99, timestamp: at(9) }]);
    await check('after an old event was delivered again');
  });
});
