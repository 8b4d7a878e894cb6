import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { gql, startTestGateway } from '../helpers/gateway';

const SECRET = 'test-secret-that-is-long-enough-for-hs256!';
const token = (sub: string) =>
  new SignJWT({ role: 'shopper' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET));

const TRACK = 'mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted duplicates rejected { reason } } }';

test("event ids are scoped by actor: u16 sending an event with u15's id does not drop u15's event, nor learn that the id is used", async () => {
  const gw = await startTestGateway({ env: { FLYWHEEL_AUTH: 'on', FLYWHEEL_JWT_SECRET: SECRET } });
  try {
    const u15 = { authorization: `Bearer ${await token('u15')}` };
    const u16 = { authorization: `Bearer ${await token('u16')}` };
    const buy = (userId: string, itemId: string) => ({ e: [{ id: 'order-7', type: 'PURCHASE', userId, itemId, quantity: 1 }] });
    // u16 pre-empts the id u15 is about to use.
    const first = await gql<{ trackEvents: { accepted: number; duplicates: number } }>(gw.graphqlUrl, TRACK, buy('u16', 'cheap'), u16);
    assert.deepEqual(first.data!.trackEvents, { accepted: 1, duplicates: 0, rejected: [] });
    const mine = await gql<{ trackEvents: { accepted: number; duplicates: number } }>(gw.graphqlUrl, TRACK, buy('u15', 'laptop'), u15);
    assert.deepEqual(mine.data!.trackEvents, { accepted: 1, duplicates: 0, rejected: [] }, "u15's purchase is accepted, and nothing says the id was used");
    const user = await gql<{ user: { recentInteractions: { item: { id: string }; counts: { purchases: number } }[] } }>(
      gw.graphqlUrl,
      '{ user(id: "u15") { recentInteractions(first: 10) { item { id } counts { purchases } } } }',
      undefined,
      u15,
    );
    assert.deepEqual(
      user.data!.user.recentInteractions.map((r) => [r.item.id, r.counts.purchases]),
      [['laptop', 1]],
    );
    // A retry by the same actor is still a no-op.
    const retry = await gql<{ trackEvents: { accepted: number; duplicates: number } }>(gw.graphqlUrl, TRACK, buy('u15', 'laptop'), u15);
    assert.equal(retry.data!.trackEvents.duplicates, 1);
  } finally {
    await gw.close();
  }
});
