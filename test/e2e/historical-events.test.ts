import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gql, startTestGateway } from '../helpers/gateway';

/** The event time rule is one rule (src/events/validate.ts): GraphQL takes 1997 as the importer does. */
test('trackEvents accepts historical times (1997) and refuses times before 1970 with the rule', async () => {
  const gw = await startTestGateway();
  try {
    const res = await gql<{ trackEvents: { accepted: number; rejected: { index: number; reason: string }[] } }>(
      gw.graphqlUrl,
      `mutation { trackEvents(events: [
        { id: "ml-1", type: PURCHASE, userId: "u1", itemId: "toy-story", quantity: 1, timestamp: "1997-12-04T15:55:49Z" },
        { id: "old-1", type: VIEW, userId: "u1", itemId: "toy-story", timestamp: "1969-07-20T20:17:00Z" }
      ]) { accepted rejected { index reason } } }`,
    );
    assert.deepEqual(res.errors, undefined);
    assert.equal(res.data!.trackEvents.accepted, 1);
    assert.equal(res.data!.trackEvents.rejected.length, 1);
    assert.equal(res.data!.trackEvents.rejected[0]!.index, 1);
    assert.match(res.data!.trackEvents.rejected[0]!.reason, /timestamp: must be after 1970-01-01/);
    const user = await gql<{ user: { recentInteractions: { lastSeenAt: string }[] } }>(
      gw.graphqlUrl,
      '{ user(id: "u1") { recentInteractions { lastSeenAt } } }',
    );
    assert.match(user.data!.user.recentInteractions[0]!.lastSeenAt, /^1997-12-04/);
  } finally {
    await gw.close();
  }
});
