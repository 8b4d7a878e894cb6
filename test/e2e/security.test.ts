import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { hashApiKey } from '../../src/auth/authenticator';
import { loadConfig } from '../../src/config/config';
import { createSecurity } from '../../src/api/security';
import { gql, startTestGateway, type TestGateway } from '../helpers/gateway';

const SECRET = 'test-secret-that-is-long-enough-for-hs256!';

function token(claims: Record<string, unknown>, sub?: string): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m');
  if (sub) jwt.setSubject(sub);
  return jwt.sign(new TextEncoder().encode(SECRET));
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('security: authentication, roles and limits (production mode)', () => {
  let gw: TestGateway;
  let keysDir: string;
  let shopper: string;
  let analyst: string;
  before(async () => {
    keysDir = mkdtempSync(path.join(tmpdir(), 'flywheel-keys-'));
    const keysFile = path.join(keysDir, 'api-keys.json');
    writeFileSync(keysFile, JSON.stringify([{ name: 'shop-backend', role: 'service', sha256: hashApiKey('svc-key-123') }]));
    gw = await startTestGateway({
      demo: true,
      env: { NODE_ENV: 'production', FLYWHEEL_MAX_COST: '10000000', FLYWHEEL_AUTH: 'on', FLYWHEEL_JWT_SECRET: SECRET, FLYWHEEL_API_KEYS_FILE: keysFile },
    });
    shopper = await token({ role: 'shopper' }, 'demo-user-1');
    analyst = await token({ role: 'analyst' }, 'ana');
  });
  after(async () => {
    await gw.close();
    rmSync(keysDir, { recursive: true, force: true });
  });

  test('production mode refuses to start without authentication', () => {
    assert.throws(() => createSecurity(loadConfig({ NODE_ENV: 'production' })), /NODE_ENV=production refuses to start without authentication/);
    assert.throws(() => createSecurity(loadConfig({ NODE_ENV: 'production', FLYWHEEL_AUTH: 'off' })), /refuses to start with FLYWHEEL_AUTH=off/);
  });

  test('an unauthenticated request gets 401 UNAUTHENTICATED, a forged token too', async () => {
    const anon = await gql(gw.graphqlUrl, '{ __typename }');
    assert.equal(anon.status, 401);
    assert.equal(anon.errors![0]!.extensions!.code, 'UNAUTHENTICATED');
    const forged = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(40)));
    const res = await gql(gw.graphqlUrl, '{ __typename }', undefined, bearer(forged));
    assert.equal(res.status, 401);
    assert.match(res.errors![0]!.message, /invalid token: signature verification failed/);
  });

  test("a shopper reads their own recommendations, not another user's, and cannot send events as them", async () => {
    const own = await gql(gw.graphqlUrl, '{ recommendations(userId: "demo-user-1", first: 3) { score } }', undefined, bearer(shopper));
    assert.equal(own.errors, undefined);
    assert.equal((own.data as { recommendations: unknown[] }).recommendations.length, 3);
    const other = await gql(gw.graphqlUrl, '{ recommendations(userId: "demo-user-2", first: 3) { score } }', undefined, bearer(shopper));
    assert.equal(other.errors![0]!.extensions!.code, 'FORBIDDEN');
    const events = await gql(
      gw.graphqlUrl,
      'mutation { trackEvents(events: [{ id: "sec-1", type: CLICK, userId: "demo-user-2", itemId: "item-001" }]) { accepted } }',
      undefined,
      bearer(shopper),
    );
    assert.equal(events.errors![0]!.extensions!.code, 'FORBIDDEN');
    const [edges] = await gw.app.store.getInteractions(['demo-user-2'], 1000);
    assert.ok(!edges!.some((e) => e.itemId === 'item-001' && e.counts.CLICK > 0 && e.lastSeenAt > Date.now() - 60_000));
    const user = await gql(gw.graphqlUrl, '{ user(id: "demo-user-2") { id } }', undefined, bearer(shopper));
    assert.equal(user.errors![0]!.extensions!.code, 'FORBIDDEN');
  });

  test('a service API key acts for any user; analyst-only data is closed to shoppers and services', async () => {
    const svc = { 'x-api-key': 'svc-key-123' };
    const any = await gql(gw.graphqlUrl, '{ recommendations(userId: "demo-user-2", first: 2) { score } }', undefined, svc);
    assert.equal(any.errors, undefined);
    const dead = await gql(gw.graphqlUrl, '{ deadLetters(first: 1) { reason } }', undefined, svc);
    assert.equal(dead.errors![0]!.extensions!.code, 'FORBIDDEN');
    const introspect = await gql(gw.graphqlUrl, '{ __schema { queryType { name } } }', undefined, svc);
    assert.equal(introspect.errors![0]!.extensions!.code, 'FORBIDDEN');
    const asAnalyst = await gql(gw.graphqlUrl, '{ __schema { queryType { name } } }', undefined, bearer(analyst));
    assert.equal(asAnalyst.errors, undefined);
    const catalog = await gql(gw.graphqlUrl, 'mutation { upsertItems(items: [{ id: "x", title: "X" }]) { upserted } }', undefined, bearer(analyst));
    assert.equal(catalog.errors![0]!.extensions!.code, 'FORBIDDEN', 'the catalog is for admins');
  });

  test('a depth-20 query is refused before execution', async () => {
    let selection = 'id';
    for (let i = 0; i < 10; i++) selection = `similar(first: 1) { item { ${selection} } }`;
    const res = await gql(gw.graphqlUrl, `{ item(id: "item-001") { ${selection} } }`, undefined, bearer(analyst));
    assert.ok(res.errors && res.errors.length > 0);
    assert.match(res.errors![0]!.message, /depth/i);
  });

  test('the same rules hold over WebSocket', async () => {
    const subscribe = (connectionParams: Record<string, string> | undefined, userId: string) =>
      new Promise<string>((resolve) => {
        const client = createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams, lazy: true });
        client.subscribe(
          { query: `subscription { recommendationsChanged(userId: "${userId}", first: 1) { score } }` },
          {
            next: (m) => {
              const code = m.errors?.[0] ? String((m.errors[0] as { extensions?: { code?: string } }).extensions?.code) : 'DATA';
              void client.dispose();
              resolve(code);
            },
            error: (err) => {
              void client.dispose();
              const e = err as { code?: number; message?: string; extensions?: { code?: string } }[] | { code?: number };
              if (Array.isArray(e)) resolve(String(e[0]?.extensions?.code ?? e[0]?.message));
              else resolve(`close ${(e as { code?: number }).code}`);
            },
            complete: () => resolve('complete'),
          },
        );
      });
    assert.equal(await subscribe(undefined, 'demo-user-1'), 'close 4403', 'no credentials: the connection is refused');
    assert.equal(await subscribe({ authorization: `Bearer ${shopper}` }, 'demo-user-2'), 'FORBIDDEN');
  });
});
