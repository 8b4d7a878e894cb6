import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { RecommendationsDocument, TrackEventsDocument } from '../../src/generated/graphql/graphql';
import { startTestGateway, type TestGateway } from '../helpers/gateway';
import { run } from '../helpers/typed-client';
import { brokers, cleanNeo4j, KAFKA_SKIP, NEO4J_SKIP, productionEnv } from './servers';

/**
 * Scale-out: two gateway instances on one Kafka topic and one Neo4j share a consumer group. The group
 * splits the partitions between them (each event is written to the graph by exactly one instance),
 * while each instance's recommender still sees every event through its own fan-out group, so a
 * recommendation asked of either instance reflects an event tracked on the other.
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
  after(async () => {
    await gw2?.close();
    await gw1?.close();
  });

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
    assert.deepEqual(assignments.flat().sort((x, y) => x - y), [0, 1, 2, 3], 'disjoint and complete');

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
});
