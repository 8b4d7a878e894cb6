import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { gql, startTestGateway, type TestGateway } from '../helpers/gateway';
import { wsOnce } from '../helpers/ws';

const SECRET = 'admission-test-secret-long-enough-for-hs256';
const sign = (role: string, sub: string) =>
  new SignJWT({ role }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

const repeat = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join(' ');
let nestedList = '"x"';
for (let i = 0; i < 2000; i++) nestedList = `[${nestedList}]`;
let deepSelection = 'id';
for (let i = 0; i < 10; i++) deepSelection = `similar(first: 1) { item { ${deepSelection} } }`;

/**
 * Documents every client must be refused with a client error, whichever transport it uses: the admission
 * gate (src/api/admission.ts) is shared, and this table holds HTTP and graphql-ws to the same answer.
 */
const CASES: { name: string; query: string; operationName?: string; status: number; code: string; message: RegExp }[] = [
  {
    name: '40,000 tokens',
    query: `{ recommendations(userId: "demo-user-1", filter: { excludeItemIds: [${repeat(39_990, () => '"i"')}] }) { score } }`,
    status: 400,
    code: 'GRAPHQL_PARSE_FAILED',
    message: /Token limit of 5000 exceeded/,
  },
  {
    name: '1,000 aliased recommendations',
    query: `{ ${repeat(1000, (i) => `a${i}: recommendations(userId: "demo-user-1") { score }`)} }`,
    status: 400,
    code: 'GRAPHQL_PARSE_FAILED',
    message: /Token limit/,
  },
  {
    name: '40 aliases (under the token limit)',
    query: `{ ${repeat(40, (i) => `a${i}: item(id: "item-001") { id }`)} }`,
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
    message: /aliases/i,
  },
  {
    name: '1,000 @include directives',
    query: `{ __typename ${repeat(1000, () => '@include(if: true)')} }`,
    status: 400,
    code: 'GRAPHQL_PARSE_FAILED',
    message: /Token limit/,
  },
  {
    name: '25 directives (under the token limit)',
    query: `{ __typename ${repeat(25, () => '@skip(if: false)')} }`,
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
    message: /directives/i,
  },
  {
    name: 'a 2,000-deep nested list literal',
    query: `{ recommendations(userId: "demo-user-1", filter: { excludeItemIds: ${nestedList} }) { score } }`,
    status: 400,
    code: 'GRAPHQL_PARSE_FAILED',
    message: /nested deeper than/,
  },
  { name: 'depth 23', query: `{ item(id: "item-001") { ${deepSelection} } }`, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /depth|cost/i },
  { name: 'a syntax error', query: '{ recommendations(userId: ', status: 400, code: 'GRAPHQL_PARSE_FAILED', message: /Syntax Error/ },
  { name: 'an unknown field', query: '{ nope }', status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /Cannot query field "nope"/ },
  {
    name: 'two operations and no operationName',
    query: 'query A { __typename } query B { __typename }',
    status: 400,
    code: 'BAD_REQUEST',
    message: /name the one to run in operationName/,
  },
  {
    name: 'an operationName the document lacks',
    query: 'query A { __typename }',
    operationName: 'Nope',
    status: 400,
    code: 'BAD_REQUEST',
    message: /no operation named "Nope"/,
  },
];

describe('admission: one gate for HTTP and graphql-ws', () => {
  let gw: TestGateway;
  let admin: string;
  let shopper: string;
  before(async () => {
    gw = await startTestGateway({ demo: true, env: { NODE_ENV: 'production', FLYWHEEL_AUTH: 'on', FLYWHEEL_JWT_SECRET: SECRET } });
    admin = await sign('admin', 'root');
    shopper = await sign('shopper', 'demo-user-1');
  });
  after(() => gw.close());

  for (const c of CASES) {
    test(`${c.name}: refused with ${c.status} ${c.code} over HTTP and the same error over graphql-ws`, async () => {
      const res = await fetch(gw.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query: c.query, operationName: c.operationName }),
      });
      const http = { status: res.status, ...((await res.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }) };
      assert.equal(http.status, c.status, JSON.stringify(http.errors));
      assert.equal(http.data, undefined);
      assert.equal(http.errors![0]!.extensions!.code, c.code);
      assert.match(http.errors![0]!.message, c.message);
      assert.doesNotMatch(JSON.stringify(http.errors), /RangeError|call stack|\n\s+at /);

      const ws = await wsOnce(gw.wsUrl, c.query, { authorization: `Bearer ${admin}` }, undefined, 10_000, c.operationName);
      assert.equal(ws.kind, 'errors', `graphql-ws answered ${JSON.stringify(ws).slice(0, 300)}`);
      if (ws.kind !== 'errors') return;
      assert.deepEqual(
        ws.errors.map((e) => [e.message, e.extensions?.code]),
        http.errors!.map((e) => [e.message, e.extensions?.code]),
      );
    });
  }

  test('introspection: 403 FORBIDDEN for a shopper on both transports, allowed for an admin', async () => {
    const q = '{ __schema { queryType { name } } }';
    const http = await gql(gw.graphqlUrl, q, undefined, { authorization: `Bearer ${shopper}` });
    assert.equal(http.status, 403);
    assert.equal(http.errors![0]!.extensions!.code, 'FORBIDDEN');
    const ws = await wsOnce(gw.wsUrl, q, { authorization: `Bearer ${shopper}` }, undefined, 10_000);
    assert.equal(ws.kind === 'errors' && ws.errors[0]!.extensions?.code, 'FORBIDDEN');
    const asAdmin = await wsOnce(gw.wsUrl, q, { authorization: `Bearer ${admin}` }, undefined, 10_000);
    assert.deepEqual(asAdmin.kind === 'data' && asAdmin.data, { __schema: { queryType: { name: 'Query' } } });
  });

  test('errors are formatted the same on both transports: internals masked, request errors BAD_USER_INPUT, no http extension', async () => {
    const recommender = gw.app.recommender;
    const original = recommender.recommend.bind(recommender);
    recommender.recommend = async () => {
      throw new Error('secret internals: /var/lib/flywheel');
    };
    try {
      const q = '{ recommendations(userId: "demo-user-1", first: 2) { score } }';
      const http = await gql(gw.graphqlUrl, q, undefined, { authorization: `Bearer ${admin}` });
      const ws = await wsOnce(gw.wsUrl, q, { authorization: `Bearer ${admin}` }, undefined, 10_000);
      assert.equal(http.errors![0]!.message, 'internal server error');
      assert.equal(http.errors![0]!.extensions!.code, 'INTERNAL_SERVER_ERROR');
      assert.ok(ws.kind === 'data' || ws.kind === 'errors');
      assert.deepEqual(
        ws.errors?.map((e) => [e.message, e.extensions?.code]),
        [['internal server error', 'INTERNAL_SERVER_ERROR']],
      );
      assert.doesNotMatch(JSON.stringify(ws), /secret internals/);
    } finally {
      recommender.recommend = original;
    }
    const badVariable = 'query($f: Int!) { items(first: $f) { totalCount } }';
    const http = await gql(gw.graphqlUrl, badVariable, { f: 'x' }, { authorization: `Bearer ${admin}` });
    const ws = await wsOnce(gw.wsUrl, badVariable, { authorization: `Bearer ${admin}` }, { f: 'x' }, 10_000);
    assert.equal(http.status, 400);
    assert.equal(http.errors![0]!.extensions!.code, 'BAD_USER_INPUT');
    assert.equal(ws.kind, 'errors');
    assert.deepEqual(
      ws.kind === 'errors' && ws.errors.map((e) => [e.message, e.extensions?.code]),
      http.errors!.map((e) => [e.message, e.extensions?.code]),
    );
    const limited = await wsOnce(gw.wsUrl, '{ __typename }', { authorization: `Bearer ${shopper}` }, undefined, 10_000);
    assert.ok(limited.kind === 'data' && !JSON.stringify(limited).includes('"http"'));
  });

  test('an ordinary operation passes the gate on both transports', async () => {
    const q = '{ recommendations(userId: "demo-user-1", first: 2) { score } }';
    const http = await gql<{ recommendations: unknown[] }>(gw.graphqlUrl, q, undefined, { authorization: `Bearer ${shopper}` });
    assert.equal(http.status, 200);
    assert.equal(http.data!.recommendations.length, 2);
    const ws = await wsOnce(gw.wsUrl, q, { authorization: `Bearer ${shopper}` }, undefined, 10_000);
    assert.deepEqual(ws.kind === 'data' && ws.data, http.data);
  });
});
