import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { gql, startTestGateway, type TestGateway } from '../helpers/gateway';
import { cleanNeo4j, KAFKA_SKIP, NEO4J_SKIP, productionEnv } from './servers';

/**
 * eraseUser on the production backends (Neo4j + Kafka): the user leaves Neo4j with their edges, item
 * counts are recomputed, `(:Erased)` keeps the id, and an old event of theirs that the
 * topic delivers again (a replay, a late producer retry) is skipped.
 */
const skip = NEO4J_SKIP ?? KAFKA_SKIP;
const TRACK = 'mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted } }';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < end, `${what} within ${ms} ms`);
    await sleep(100);
  }
}

describe('eraseUser on Neo4j + Kafka', { skip }, () => {
  let gw: TestGateway | undefined;
  after(async () => {
    await gw?.close();
  });

  test('erases the user and their derived counts; the erasure list skips a replayed old event', async () => {
    await cleanNeo4j();
    gw = await startTestGateway({ env: productionEnv('erasure') });
    const old = new Date(Date.now() - 3_600_000).toISOString();
    const events = [
      { id: 'ne-bob-a', type: 'PURCHASE', userId: 'ne-bob', itemId: 'NA', quantity: 1, timestamp: old },
      { id: 'ne-v-a', type: 'PURCHASE', userId: 'ne-victim', itemId: 'NA', quantity: 1, timestamp: old },
      { id: 'ne-v-s', type: 'PURCHASE', userId: 'ne-victim', itemId: 'NS', quantity: 1, timestamp: old },
    ];
    assert.equal((await gql<{ trackEvents: { accepted: number } }>(gw.graphqlUrl, TRACK, { e: events })).data?.trackEvents.accepted, 3);
    const store = gw.app.store;
    await until('the events reached Neo4j', async () => (await store.stats()).eventsApplied >= 3);
    assert.equal((await store.getItems(['NS']))[0]?.userCount, 1);

    const res = await gql<{ eraseUser: { found: boolean; interactionsRemoved: number; itemsAffected: number; logStrategy: string } }>(
      gw.graphqlUrl,
      'mutation { eraseUser(id: "ne-victim") { found interactionsRemoved itemsAffected logStrategy } }',
    );
    console.log(`::: eraseUser on neo4j: ${JSON.stringify(res.data ?? res.errors)}`);
    assert.deepEqual(res.data?.eraseUser, { found: true, interactionsRemoved: 2, itemsAffected: 2, logStrategy: 'erasure-list' });
    const check = async () => {
      assert.equal((await store.getUsers(['ne-victim']))[0], null);
      assert.equal((await store.getItems(['NS']))[0]?.userCount, 0);
      assert.equal((await store.getItems(['NA']))[0]?.userCount, 1);
      const u = await gql<{ user: unknown }>(gw!.graphqlUrl, '{ user(id: "ne-victim") { id } }');
      assert.equal(u.data?.user, null);
    };
    await check();
    assert.ok((await store.erasedActors()).has('ne-victim'));

    // The topic still holds the old events; one delivered again (new id: not caught by idempotency) is skipped.
    await gql(gw.graphqlUrl, TRACK, {
      e: [
        { id: 'ne-v-s-again', type: 'PURCHASE', userId: 'ne-victim', itemId: 'NS', quantity: 1, timestamp: old },
        { id: 'ne-bob-b', type: 'VIEW', userId: 'ne-bob', itemId: 'NB' },
      ],
    });
    await until('the marker event reached Neo4j', async () => ((await store.getInteractions(['ne-bob'], 10))[0] ?? []).length === 2);
    await sleep(2000); // other partitions
    await check();
  });
});
