import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { RecommendationsDocument, TrackEventsDocument } from '../../src/generated/graphql/graphql';
import { gql, startTestGateway, type TestGateway } from '../helpers/gateway';
import { run } from '../helpers/typed-client';
import { brokers, cleanNeo4j, KAFKA_SKIP, NEO4J_SKIP, productionEnv } from './servers';

/**
 * Scale-out: two gateway instances on one Kafka topic and one Neo4j share a consumer group. The group
 * splits the partitions between them (each event is written to the graph by exactly one instance),
 * while each instance's recommender still sees every event through its own fan-out group, so a
 * recommendation asked of either instance reflects an event tracked on the other. Subscriptions too: a
 * graphql-ws client of one instance is pushed `recommendationsChanged` and `anomalyDetected` for events
 * tracked through the other, and an alert is stored once in Neo4j whichever instances detected it.
 */
const skip = NEO4J_SKIP ?? KAFKA_SKIP;

describe('two gateways share one consumer group', { skip }, () => {
  const env = productionEnv('scale', { KAFKA_PARTITIONS: '4' });
  let gw1: TestGateway;
  let gw2: TestGateway;
  before(async () => {
    await cleanNeo4j();
    gw1 = await startTestGateway({ env });
    gw2 = await startTestGateway({ env });
  });
  const clients: Client[] = [];
  after(async () => {
    for (const c of clients) await c.dispose();
    await gw2?.close();
    await gw1?.close();
  });

  /** A graphql-ws client on `gw`, resolved once the connection is acknowledged. */
  async function wsClient(gw: TestGateway): Promise<Client> {
    let connected!: () => void;
    const isConnected = new Promise<void>((r) => (connected = r));
    const client = createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, on: { connected: () => connected() } });
    clients.push(client);
    await withTimeout(isConnected, 5000, 'graphql-ws connection');
    return client;
  }

  test('the partitions are split between the instances, and the graph gets every event once', async () => {
    const admin = new Kafka({ clientId: 'flywheel-test-groups', brokers: brokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    let assignments: number[][] = [];
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { groups } = await admin.describeGroups([env.KAFKA_GROUP!]);
        const g = groups[0]!;
        assignments = g.members.map((m) => {
          const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
          return [...(a?.assignment[env.KAFKA_TOPIC_EVENTS!] ?? [])].sort((x, y) => x - y);
        });
        if (g.state === 'Stable' && assignments.length === 2 && assignments.every((p) => p.length > 0)) break;
        assert.ok(Date.now() < deadline, `group did not stabilise with 2 members: ${g.state} ${JSON.stringify(assignments)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await admin.disconnect();
    }
    console.log(`::: consumer group ${env.KAFKA_GROUP}: instance partitions ${JSON.stringify(assignments)}`);
    assert.deepEqual(
      assignments.flat().sort((x, y) => x - y),
      [0, 1, 2, 3],
      'disjoint and complete',
    );

    const seed = [];
    for (let u = 0; u < 40; u++) {
      seed.push({ id: `scale-${u}-a`, type: 'PURCHASE' as const, userId: `m${u}`, itemId: 'A', quantity: 1 });
      seed.push({ id: `scale-${u}-b`, type: 'PURCHASE' as const, userId: `m${u}`, itemId: 'B', quantity: 1 });
    }
    const res = await run(gw1.graphqlUrl, TrackEventsDocument, { events: seed });
    assert.equal(res.data!.trackEvents.accepted, seed.length);
    let stats = await gw1.app.store.stats();
    const deadline = Date.now() + 20_000;
    while (stats.eventsApplied < seed.length) {
      assert.ok(Date.now() < deadline, `only ${stats.eventsApplied} of ${seed.length} events reached Neo4j`);
      await new Promise((r) => setTimeout(r, 100));
      stats = await gw1.app.store.stats();
    }
    const applied1 = (await gw1.app.metrics.eventsApplied.get()).values[0]?.value ?? 0;
    const applied2 = (await gw2.app.metrics.eventsApplied.get()).values[0]?.value ?? 0;
    console.log(`::: graph writes per instance: ${applied1} + ${applied2} = ${applied1 + applied2} (events ${seed.length})`);
    assert.equal(applied1 + applied2, seed.length, 'each event written once in total');
    assert.ok(applied1 > 0 && applied2 > 0, 'both instances ingest');
    assert.equal(stats.eventsApplied, seed.length);
  });

  test('an event tracked on one instance shows in recommendations on the other', async () => {
    await run(gw1.graphqlUrl, TrackEventsDocument, { events: [{ id: 'scale-x', type: 'PURCHASE', userId: 'cross-1', itemId: 'A', quantity: 1 }] });
    let last: unknown = null;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const recs = (await run(gw2.graphqlUrl, RecommendationsDocument, { userId: 'cross-1', first: 3 })).data!.recommendations;
      last = recs;
      if (recs[0]?.item.id === 'B' && /because you bought/.test(recs[0].reason)) break;
      assert.ok(Date.now() < deadline, `instance 2 did not reflect the event: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  /** Every user's list on `gw`, ids and scores (what "the same answers" means between instances). */
  async function listsOf(gw: TestGateway, users: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const u of users) {
      const recs = (await run(gw.graphqlUrl, RecommendationsDocument, { userId: u, first: 5 })).data!.recommendations;
      out.push(`${u}: ${recs.map((r) => `${r.item.id}@${r.score.toFixed(9)}`).join(' ')}`);
    }
    return out;
  }

  test('a third instance that joins starts with every user; stopped instances leave no fan-out group behind', async () => {
    // A shop with overlapping tastes: 30 users over 12 items, tracked half through each instance.
    const events = [];
    for (let u = 0; u < 30; u++) {
      for (let k = 0; k < 4; k++) {
        const item = `same-${(u * 7 + k * 5) % 12}`;
        events.push(
          k === 3
            ? { id: `same-${u}-${k}`, type: 'PURCHASE' as const, userId: `same-u${u}`, itemId: item, quantity: 1 }
            : { id: `same-${u}-${k}`, type: 'CLICK' as const, userId: `same-u${u}`, itemId: item },
        );
      }
    }
    const half = events.length / 2;
    for (const [gw, part] of [
      [gw1, events.slice(0, half)],
      [gw2, events.slice(half)],
    ] as const) {
      const res = await run(gw.graphqlUrl, TrackEventsDocument, { events: [...part] });
      assert.equal(res.data!.trackEvents.accepted, part.length, JSON.stringify(res.data ?? res.errors));
    }
    const users = Array.from({ length: 30 }, (_, u) => `same-u${u}`);
    // Wait until every event is in Neo4j (what a joining instance starts from) and in both instances'
    // recommenders (their fan-outs); only then is "the same list" about the same data.
    const deadline = Date.now() + 20_000;
    const applied = async () => (await gw1.app.store.stats()).eventsApplied;
    for (;;) {
      const known = [gw1, gw2].every((gw) => users.every((u) => gw.app.recommender.index.userIndex.has(u)));
      const inGraph = (await gw1.app.store.getUsers(users)).every((u) => u !== null && u.eventCount >= 4);
      if (known && inGraph) break;
      assert.ok(Date.now() < deadline, `events not everywhere yet: recommenders ${known}, Neo4j ${inGraph} (${await applied()} applied)`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Each instance's recommender is fed by its own fan-out, which interleaves the 4 partitions in its own
    // order, and the index is order-sensitive (ties, float sums, an item's most recent users): two live
    // instances can rank some lists differently. Not asserted equal; printed, for the record (issue 16).
    await Promise.all([gw1, gw2].map((gw) => gw.app.recommender.whenFresh())); // both item models re-solved
    const [a, b] = [await listsOf(gw1, users), await listsOf(gw2, users)];
    console.log(`::: lists identical on the two running instances: ${a.filter((l, k) => l === b[k]).length} of ${users.length} users`);
    for (const k of [...users.keys()].filter((k) => a[k] !== b[k]).slice(0, 3)) console.log(`:::   instance 1 ${a[k]}\n:::   instance 2 ${b[k]}`);

    const admin = new Kafka({ clientId: 'flywheel-test-groups', brokers: brokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const fanOutGroups = async () => (await admin.listGroups()).groups.map((g) => g.groupId).filter((id) => id.startsWith(`${env.KAFKA_GROUP}.fanout.`));
      const before = await fanOutGroups();
      assert.equal(before.length, 2, `one fan-out group per running instance: ${JSON.stringify(before)}`);
      const joinedAt = performance.now();
      const gw3 = await startTestGateway({ env });
      try {
        assert.ok(
          users.every((u) => gw3.app.recommender.index.userIndex.has(u)),
          'a joining instance starts with every user',
        );
        const c = await listsOf(gw3, users);
        console.log(
          `::: a third instance joined and answered 30 users in ${(performance.now() - joinedAt).toFixed(0)} ms; lists identical to instance 1's: ${c.filter((l, k) => l === a[k]).length} of ${users.length}`,
        );
        assert.ok(
          c.every((l) => l.includes('same-')),
          'and answers every user from the shop',
        );
        assert.equal((await fanOutGroups()).length, 3);
      } finally {
        await gw3.close();
      }
      assert.deepEqual((await fanOutGroups()).sort(), before.sort(), 'the stopped instance deleted its fan-out group');
    } finally {
      await admin.disconnect();
    }
  });

  test('a subscriber on instance 2 gets recommendationsChanged for an event tracked on instance 1', async () => {
    const client = await wsClient(gw2);
    const pushed = firstPush<{ recommendationsChanged: { item: { id: string } }[] }>(
      client,
      'subscription($u: ID!) { recommendationsChanged(userId: $u, first: 3) { item { id } } }',
      { u: 'cross-ws' },
    );
    await new Promise((r) => setTimeout(r, 200)); // the server subscribes right after the subscribe message
    const sent = performance.now();
    await run(gw1.graphqlUrl, TrackEventsDocument, { events: [{ id: 'scale-ws', type: 'PURCHASE', userId: 'cross-ws', itemId: 'A', quantity: 1 }] });
    const msg = await withTimeout(pushed, 10_000, 'recommendationsChanged on instance 2');
    const ms = performance.now() - sent;
    console.log(`::: recommendationsChanged on instance 2 for an event tracked on instance 1: ${ms.toFixed(0)} ms`);
    assert.equal(msg.recommendationsChanged[0]?.item.id, 'B', JSON.stringify(msg));
  });

  test('a click burst tracked on instance 1 raises one BOT_ACTIVITY alert: pushed on both instances within 1 s, stored once', async () => {
    const bot = 'scale-bot';
    const sub = 'subscription($f: AnomalyFilter) { anomalyDetected(filter: $f) { id kind entityId } }';
    const vars = { f: { kinds: ['BOT_ACTIVITY'], entityIds: [bot] } };
    const [c1, c2] = [await wsClient(gw1), await wsClient(gw2)];
    const got = [c1, c2].map((c) =>
      firstPush<{ anomalyDetected: { id: string; kind: string; entityId: string } }>(c, sub, vars).then((m) => ({ m, at: performance.now() })),
    );
    await new Promise((r) => setTimeout(r, 200));
    const base = Date.now() - 5_000;
    const burst = Array.from({ length: 60 }, (_, i) => ({
      id: `${bot}-click-${i}`,
      type: 'CLICK' as const,
      userId: bot,
      itemId: i === 0 ? 'A' : `bot-item-${i}`,
      timestamp: new Date(base + i * 50).toISOString(),
    }));
    const sent = performance.now();
    const res = await run(gw1.graphqlUrl, TrackEventsDocument, { events: burst });
    const ackMs = performance.now() - sent;
    assert.equal(res.data!.trackEvents.accepted, burst.length);
    const [a1, a2] = await withTimeout(Promise.all(got), 5000, 'BOT_ACTIVITY alert on both instances');
    const ms = [a1.at - sent, a2.at - sent];
    console.log(
      `::: BOT_ACTIVITY alert after the burst was sent to instance 1: instance 1 ${ms[0]!.toFixed(0)} ms, instance 2 ${ms[1]!.toFixed(0)} ms (trackEvents acknowledged after ${ackMs.toFixed(0)} ms)`,
    );
    for (const a of [a1, a2]) {
      assert.equal(a.m.anomalyDetected.kind, 'BOT_ACTIVITY');
      assert.equal(a.m.anomalyDetected.entityId, bot);
    }
    assert.equal(a1.m.anomalyDetected.id, a2.m.anomalyDetected.id, 'the same finding (deterministic id) on both instances');
    assert.ok(ms[0]! < 1000 && ms[1]! < 1000, `alert latency ${ms.map((x) => x.toFixed(0)).join(' / ')} ms`);
    // Both instances detected it and both stored it (MERGE on the unique id): one node in Neo4j.
    await Promise.all([gw1.app.anomalies.idle(), gw2.app.anomalies.idle()]);
    for (const gw of [gw1, gw2]) {
      const q = await gql<{ anomalies: { totalCount: number; edges: { node: { id: string } }[] } }>(
        gw.graphqlUrl,
        `{ anomalies(filter: { kinds: [BOT_ACTIVITY], entityIds: ["${bot}"] }) { totalCount edges { node { id } } } }`,
      );
      assert.equal(q.errors, undefined, JSON.stringify(q.errors));
      assert.equal(q.data!.anomalies.totalCount, 1, 'stored once in Neo4j');
      assert.deepEqual(
        q.data!.anomalies.edges.map((e) => e.node.id),
        [a1.m.anomalyDetected.id],
      );
    }
    assert.ok(gw1.app.anomalies.stats().published >= 1 && gw2.app.anomalies.stats().published >= 1, 'each instance published it');
  });
});

/** Resolves with the data of the first message of a subscription (errors reject). */
function firstPush<T>(client: Client, query: string, variables: Record<string, unknown>): Promise<T> {
  const p = new Promise<T>((resolve, reject) => {
    client.subscribe<T>(
      { query, variables },
      {
        next: (v) => (v.errors ? reject(new Error(JSON.stringify(v.errors))) : resolve(v.data as T)),
        error: reject,
        complete: () => reject(new Error('subscription completed without a message')),
      },
    );
  });
  p.catch(() => undefined);
  return p;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)))]).finally(() =>
    clearTimeout(t),
  );
}

describe('a gateway that starts while events wait in the topic', { skip }, () => {
  test('its recommender gets the events its bootstrap from Neo4j could not hold yet (no event falls between the two)', async () => {
    await cleanNeo4j();
    const env = productionEnv('backlog', { KAFKA_PARTITIONS: '2' });
    await (await startTestGateway({ env })).close(); // creates the topics
    // Appended while no gateway runs: not in Neo4j when the next gateway bootstraps from it, since its own
    // ingestion starts after that. Its fan-out must start early enough to carry them.
    const kafka = new Kafka({ clientId: 'flywheel-test-backlog', brokers: brokers(), logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const users = ['backlog-u1', 'backlog-u2', 'backlog-u3'];
    try {
      await producer.send({
        topic: env.KAFKA_TOPIC_EVENTS!,
        acks: -1,
        messages: users.flatMap((userId, u) =>
          ['A', 'B'].map((itemId, k) => ({
            key: userId,
            value: JSON.stringify({
              kind: 'interaction',
              v: 1,
              id: `backlog-${u}-${k}`,
              type: 'PURCHASE',
              userId,
              itemId,
              quantity: 1,
              timestamp: Date.now() - 1000,
            }),
          })),
        ),
      });
    } finally {
      await producer.disconnect();
    }
    const gw = await startTestGateway({ env });
    try {
      const deadline = Date.now() + 20_000;
      while (!users.every((u) => gw.app.recommender.index.userIndex.has(u))) {
        const inGraph = (await gw.app.store.getUsers(users)).filter((u) => u !== null).length;
        assert.ok(
          Date.now() < deadline,
          `the recommender knows ${users.filter((u) => gw.app.recommender.index.userIndex.has(u)).length} of 3 users; Neo4j ${inGraph}`,
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await gw.close();
    }
  });
});
