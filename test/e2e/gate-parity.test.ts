import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { gql, startTestGateway, type TestGateway } from '../helpers/gateway';
import { wsClient, wsOnce, wsRun, type WsOutcome } from '../helpers/ws';
import { MANIFEST_FILE } from '../../src/api/safelist';

/**
 * The gate (src/api/gate.ts) is one function both transports call: safelist, caller, rate limit, admission.
 * test/e2e/admission.test.ts holds HTTP and graphql-ws to the same answer for hostile documents; this file
 * does the same for the steps around it: safelist mode, one rate budget whichever transport spends it,
 * and missing or forged credentials.
 */
const SECRET = 'gate-parity-secret-long-enough-for-hs256';
const PRODUCTION = { NODE_ENV: 'production', FLYWHEEL_AUTH: 'on', FLYWHEEL_JWT_SECRET: SECRET };
const sign = (role: string, sub: string) =>
  new SignJWT({ role }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

async function httpAnswer(url: string, query: string, token: string | undefined, variables?: Record<string, unknown>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    ...((await res.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }),
  };
}

function errorsOf(ws: WsOutcome): [string, unknown][] {
  assert.equal(ws.kind, 'errors', `graphql-ws answered ${JSON.stringify(ws).slice(0, 300)}`);
  return ws.kind === 'errors' ? ws.errors.map((e) => [e.message, e.extensions?.code]) : [];
}

describe('gate: safelist mode answers the same on HTTP and graphql-ws', () => {
  let gw: TestGateway;
  let admin: string;
  const listed = (name: string) =>
    Object.values(JSON.parse(readFileSync(MANIFEST_FILE, 'utf8')) as Record<string, string>).find((text) => text.startsWith(`query ${name}(`))!;
  before(async () => {
    gw = await startTestGateway({ demo: true, env: { ...PRODUCTION, FLYWHEEL_SAFELIST: 'on' } });
    admin = await sign('admin', 'root');
  });
  after(() => gw.close());

  const refused = [
    ['an ad-hoc query', '{ recommendations(userId: "demo-user-1") { score } }'],
    ['introspection, even for an admin', '{ __schema { queryType { name } } }'],
    [
      '40,000 tokens (refused before parsing)',
      `{ recommendations(userId: "demo-user-1", filter: { excludeItemIds: [${Array.from({ length: 39_990 }, () => '"i"').join(' ')}] }) { score } }`,
    ],
  ] as const;
  for (const [name, query] of refused) {
    test(`${name}: PERSISTED_QUERY_NOT_ALLOWED with the same message on both transports`, async () => {
      const http = await httpAnswer(gw.graphqlUrl, query, admin);
      assert.equal(http.status, 400);
      assert.equal(http.data, undefined);
      const ws = await wsOnce(gw.wsUrl, query, { authorization: `Bearer ${admin}` }, undefined, 10_000);
      assert.deepEqual(
        errorsOf(ws),
        http.errors!.map((e) => [e.message, e.extensions?.code]),
      );
      assert.equal(http.errors![0]!.extensions!.code, 'PERSISTED_QUERY_NOT_ALLOWED');
    });
  }

  test('the text of a persisted operation runs on both transports, with the same answer', async () => {
    const query = listed('Recommendations');
    assert.ok(query, 'the manifest lists the Recommendations query');
    const variables = { userId: 'demo-user-1', first: 2 };
    const http = await httpAnswer(gw.graphqlUrl, query, admin, variables);
    assert.equal(http.status, 200, JSON.stringify(http.errors));
    const ws = await wsOnce(gw.wsUrl, query, { authorization: `Bearer ${admin}` }, variables, 10_000);
    assert.deepEqual(ws.kind === 'data' && ws.data, http.data);
  });
});

describe('gate: one rate budget per caller, whichever transport spends it', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ env: { ...PRODUCTION, FLYWHEEL_RATE_LIMIT_PER_MINUTE: '4' } });
  });
  after(() => gw.close());

  test('two operations on each transport use the budget; then both refuse with RATE_LIMITED and a retry delay', async () => {
    const token = await sign('service', 'svc-budget');
    const client = wsClient(gw.wsUrl, { authorization: `Bearer ${token}` });
    try {
      for (let i = 0; i < 2; i++) {
        assert.equal((await gql(gw.graphqlUrl, '{ __typename }', undefined, { authorization: `Bearer ${token}` })).status, 200);
        const ws = await wsRun(client, '{ __typename }', undefined, 10_000);
        assert.equal(ws.kind, 'data', JSON.stringify(ws));
      }
      const ws = await wsRun(client, '{ __typename }', undefined, 10_000);
      const http = await httpAnswer(gw.graphqlUrl, '{ __typename }', token);
      assert.equal(http.status, 429);
      assert.ok(Number(http.retryAfter) >= 1);
      assert.equal(ws.kind, 'errors', JSON.stringify(ws));
      if (ws.kind !== 'errors') return;
      for (const e of [ws.errors[0]!, http.errors![0]!]) {
        assert.equal(e.extensions?.code, 'RATE_LIMITED');
        assert.match(e.message, /^rate limit of 4 requests per minute exceeded; retry in \d+ s$/);
        assert.ok(Number(e.extensions?.retryAfterSeconds) >= 1);
        assert.equal(e.extensions?.http, undefined, 'the HTTP status hint stays inside the gateway');
      }
    } finally {
      await client.dispose();
    }
  });
});

describe('gate: missing or forged credentials are refused on both transports', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ env: PRODUCTION });
  });
  after(() => gw.close());

  for (const [name, authorization] of [
    ['no credentials', undefined],
    ['a forged token', `Bearer ${'x'.repeat(20)}.${'y'.repeat(20)}.${'z'.repeat(20)}`],
  ] as const) {
    test(`${name}: 401 UNAUTHENTICATED over HTTP, the connection refused (4403) over graphql-ws`, async () => {
      const http = await gql(gw.graphqlUrl, '{ __typename }', undefined, authorization ? { authorization } : undefined);
      assert.equal(http.status, 401);
      assert.equal(http.errors![0]!.extensions!.code, 'UNAUTHENTICATED');
      const ws = await wsOnce(gw.wsUrl, '{ __typename }', authorization ? { authorization } : undefined, undefined, 10_000);
      assert.deepEqual(ws.kind === 'closed' && ws.code, 4403);
    });
  }
});
