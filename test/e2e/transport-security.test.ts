import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { gql, startTestGateway, type TestGateway } from '../helpers/gateway';
import { wsOnce } from '../helpers/ws';
import { metricsAccess } from '../../src/api/metrics-access';

const SECRET = 'transport-security-secret-long-enough-hs256';
const key = new TextEncoder().encode(SECRET);
const PRODUCTION = { NODE_ENV: 'production', FLYWHEEL_AUTH: 'on', FLYWHEEL_JWT_SECRET: SECRET };

function jwt(claims: Record<string, unknown>, sub: string | undefined, exp: number | string): Promise<string> {
  const t = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(exp);
  if (sub) t.setSubject(sub);
  return t.sign(key);
}

describe('graphql-ws: a connection ends when its token expires', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ demo: true, env: PRODUCTION });
  });
  after(() => gw.close());

  test('the socket is closed with 4403 at exp, and the token is refused on HTTP from then on', { timeout: 15_000 }, async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = await jwt({ role: 'shopper' }, 'demo-user-1', exp);
    const closed = new Promise<{ code: number; at: number }>((resolve) => {
      const client = createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
      client.on('closed', (e) => resolve({ code: (e as { code: number }).code, at: Date.now() }));
      client.subscribe(
        { query: 'subscription { recommendationsChanged(userId: "demo-user-1", first: 1) { score } }' },
        { next: () => {}, error: () => {}, complete: () => {} },
      );
    });
    const before = await gql(gw.graphqlUrl, '{ recommendations(userId: "demo-user-1", first: 1) { score } }', undefined, { authorization: `Bearer ${token}` });
    assert.equal(before.status, 200);
    const { code, at } = await closed;
    assert.equal(code, 4403);
    assert.ok(at >= exp * 1000, `closed ${exp * 1000 - at} ms before exp`);
    assert.ok(at < exp * 1000 + 1000, `closed ${at - exp * 1000} ms after exp`);
    const afterExp = await gql(gw.graphqlUrl, '{ __typename }', undefined, { authorization: `Bearer ${token}` });
    assert.equal(afterExp.status, 401);
    assert.match(afterExp.errors![0]!.message, /exp/);
    const reconnect = await wsOnce(gw.wsUrl, '{ __typename }', { authorization: `Bearer ${token}` });
    assert.deepEqual(reconnect.kind === 'closed' && reconnect.code, 4403);
  });
});

describe('rate limits: per identity, per address for unauthenticated requests, with Retry-After', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ env: { ...PRODUCTION, FLYWHEEL_RATE_LIMIT_PER_MINUTE: '5', FLYWHEEL_RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3' } });
  });
  after(() => gw.close());

  test('two service tokens without sub have a budget each; the 429 carries Retry-After', async () => {
    const a = await jwt({ role: 'service' }, undefined, '5m');
    const b = await jwt({ role: 'service', jti: 'second' }, undefined, '5m');
    for (let i = 0; i < 5; i++) assert.equal((await gql(gw.graphqlUrl, '{ __typename }', undefined, { authorization: `Bearer ${a}` })).status, 200);
    const res = await fetch(gw.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${a}` },
      body: '{"query":"{ __typename }"}',
    });
    assert.equal(res.status, 429);
    const retryAfter = Number(res.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${res.headers.get('retry-after')}`);
    const body = (await res.json()) as { errors: { extensions: { code: string; retryAfterSeconds: number } }[] };
    assert.equal(body.errors[0]!.extensions.code, 'RATE_LIMITED');
    assert.equal(body.errors[0]!.extensions.retryAfterSeconds, retryAfter);
    assert.equal((await gql(gw.graphqlUrl, '{ __typename }', undefined, { authorization: `Bearer ${b}` })).status, 200, 'the other token is not throttled');
  });

  test('unauthenticated requests are limited per client address (HTTP and WebSocket handshakes)', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await gql(gw.graphqlUrl, '{ __typename }')).status, 401);
    const res = await fetch(gw.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-token' },
      body: '{"query":"{ __typename }"}',
    });
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    const ws = await wsOnce(gw.wsUrl, '{ __typename }');
    assert.deepEqual(ws.kind === 'closed' && ws.code, 4429);
    const signedIn = await jwt({ role: 'analyst' }, 'ana', '5m');
    assert.equal(
      (await gql(gw.graphqlUrl, '{ __typename }', undefined, { authorization: `Bearer ${signedIn}` })).status,
      200,
      'valid credentials from the same address are not affected',
    );
  });
});

describe('/metrics: protected in production, bounded labels, honest connection gauge', () => {
  let gw: TestGateway;
  const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
  let admin: string;
  before(async () => {
    gw = await startTestGateway({ env: { ...PRODUCTION, FLYWHEEL_METRICS_TOKEN: METRICS_TOKEN } });
    admin = await jwt({ role: 'admin' }, 'root', '5m');
  });
  after(() => gw.close());
  const scrape = (token?: string) => fetch(`${gw.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  test('with FLYWHEEL_METRICS_TOKEN, /metrics needs that bearer token', async () => {
    assert.equal((await scrape()).status, 401);
    assert.equal((await scrape('metrics-token-0123456789abcdeX')).status, 401);
    assert.equal((await scrape(admin)).status, 401, 'a GraphQL token is not a metrics token');
    const ok = await scrape(METRICS_TOKEN);
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /flywheel_ws_connections/);
  });

  test('without a token: open in development, loopback only in production', () => {
    const req = (remoteAddress: string, authorization?: string) =>
      ({ headers: authorization ? { authorization } : {}, socket: { remoteAddress } }) as Parameters<typeof metricsAccess>[1];
    assert.equal(metricsAccess({ production: false }, req('203.0.113.9')).allowed, true);
    assert.equal(metricsAccess({ production: true }, req('203.0.113.9')).allowed, false);
    assert.equal(metricsAccess({ production: true }, req('::ffff:127.0.0.1')).allowed, true);
    assert.equal(metricsAccess({ production: true }, req('::1')).allowed, true);
    assert.equal(
      metricsAccess({ production: true, token: 'x'.repeat(16) }, req('127.0.0.1')).allowed,
      false,
      'a configured token is required even from loopback',
    );
    assert.equal(metricsAccess({ production: true, token: 'x'.repeat(16) }, req('203.0.113.9', `Bearer ${'x'.repeat(16)}`)).allowed, true);
  });

  test('only operation names kept in the repo become labels: 101 invented names are "other"', async () => {
    for (let i = 0; i < 101; i++) {
      await fetch(gw.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query: `query Junk${i} { __typename }`, operationName: `Junk${i}` }),
      });
    }
    const q = 'query Recommendations($userId: ID!) { recommendations(userId: $userId, first: 1) { score } }';
    await fetch(gw.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query: q, operationName: 'Recommendations', variables: { userId: 'u1' } }),
    });
    const text = await (await scrape(METRICS_TOKEN)).text();
    const labels = new Set([...text.matchAll(/flywheel_http_request_duration_seconds_count\{operation="([^"]*)"/g)].map((m) => m[1]));
    assert.ok(labels.has('Recommendations'), [...labels].join(','));
    assert.ok(labels.has('other'));
    assert.ok(![...labels].some((l) => l!.startsWith('Junk')), [...labels].join(','));
  });

  test('refused WebSocket handshakes do not decrement flywheel_ws_connections', async () => {
    const gauge = async () => Number(/^flywheel_ws_connections (\S+)$/m.exec(await (await scrape(METRICS_TOKEN)).text())![1]);
    assert.equal(await gauge(), 0);
    for (let i = 0; i < 3; i++) {
      const refused = await wsOnce(gw.wsUrl, '{ __typename }', { authorization: 'Bearer forged' });
      assert.equal(refused.kind, 'closed');
    }
    assert.equal(await gauge(), 0);
    const client = createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${admin}` } });
    const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    const stop = client.subscribe({ query: 'subscription { anomalyDetected { id } }' }, { next: () => {}, error: () => {}, complete: () => {} });
    await connected;
    assert.equal(await gauge(), 1);
    stop();
    await client.dispose();
    for (let i = 0; i < 50 && (await gauge()) !== 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await gauge(), 0);
  });
});
