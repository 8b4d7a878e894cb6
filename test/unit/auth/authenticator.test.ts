import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { Authenticator, hashApiKey } from '../../../src/auth/authenticator';

/** Issue 7: tokens verified against local keys only (a JWKS file or an HS256 secret), plus API keys. */
const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-auth-'));

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return String((err as { extensions?: { code?: string } }).extensions?.code ?? (err as Error).name);
  }
}

describe('Authenticator', () => {
  test('JWKS file: an ES256 token of a listed key is accepted; other keys, alg none, expired tokens, bad roles are not', async () => {
    const trusted = await generateKeyPair('ES256');
    const stranger = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(trusted.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const jwksFile = path.join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
    const auth = new Authenticator({ enabled: true, jwksFile, issuer: 'shop' });
    const sign = (claims: Record<string, unknown>, key = trusted.privateKey, exp = '5m') =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer('shop').setIssuedAt().setExpirationTime(exp).setSubject('u-1').sign(key);

    const token = await sign({ role: 'shopper' });
    const identity = await auth.authenticate({ authorization: `Bearer ${token}` });
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
    assert.deepEqual(identity, { role: 'shopper', subject: 'u-1', via: 'jwt', expiresAt: exp * 1000, rateKey: 'jwt:shopper:u-1' });
    assert.equal(await codeOf(auth.authenticate({ authorization: `Bearer ${await sign({ role: 'shopper' }, stranger.privateKey)}` })), 'UNAUTHENTICATED');
    assert.equal(
      await codeOf(auth.authenticate({ authorization: `Bearer ${new UnsecuredJWT({ role: 'admin' }).setIssuer('shop').encode()}` })),
      'UNAUTHENTICATED',
    );
    assert.equal(await codeOf(auth.authenticate({ authorization: `Bearer ${await sign({ role: 'shopper' }, trusted.privateKey, '-2m')}` })), 'UNAUTHENTICATED');
    assert.equal(await codeOf(auth.authenticate({ authorization: `Bearer ${await sign({ role: 'root' })}` })), 'UNAUTHENTICATED');
    const wrongIssuer = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('elsewhere')
      .setExpirationTime('5m')
      .sign(trusted.privateKey);
    assert.equal(await codeOf(auth.authenticate({ authorization: `Bearer ${wrongIssuer}` })), 'UNAUTHENTICATED');
    assert.equal(await codeOf(auth.authenticate({})), 'UNAUTHENTICATED');
  });

  test('HS256: a short secret is refused at start; a shopper token needs a subject', async () => {
    assert.throws(() => new Authenticator({ enabled: true, jwtSecret: 'short' }), /at least 32 characters/);
    const secret = 's'.repeat(40);
    const auth = new Authenticator({ enabled: true, jwtSecret: secret });
    const key = new TextEncoder().encode(secret);
    const noSub = await new SignJWT({ role: 'shopper' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(key);
    assert.equal(await codeOf(auth.authenticate({ authorization: `Bearer ${noSub}` })), 'UNAUTHENTICATED');
    const analyst = await new SignJWT({ role: 'analyst' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(key);
    assert.equal((await auth.authenticate({ authorization: `Bearer ${analyst}` })).role, 'analyst');
  });

  test('expiry is exact: a token 5 s past exp is refused although the clock tolerance (30 s) would pass it', async () => {
    const secret = 's'.repeat(40);
    const auth = new Authenticator({ enabled: true, jwtSecret: secret });
    const key = new TextEncoder().encode(secret);
    const justExpired = await new SignJWT({ role: 'analyst' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 5)
      .sign(key);
    assert.equal(await codeOf(auth.authenticate({ authorization: `Bearer ${justExpired}` })), 'UNAUTHENTICATED');
    // A token issued by a clock running a little ahead (nbf 10 s in the future) is still accepted.
    const early = await new SignJWT({ role: 'analyst' })
      .setProtectedHeader({ alg: 'HS256' })
      .setNotBefore(Math.floor(Date.now() / 1000) + 10)
      .setExpirationTime('5m')
      .sign(key);
    assert.equal((await auth.authenticate({ authorization: `Bearer ${early}` })).role, 'analyst');
  });

  test('rate-limit keys: per role and subject; tokens without sub each get their own (a hash of the token)', async () => {
    const secret = 's'.repeat(40);
    const auth = new Authenticator({ enabled: true, jwtSecret: secret });
    const key = new TextEncoder().encode(secret);
    const service = (jti: string) => new SignJWT({ role: 'service', jti }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(key);
    const a = (await auth.authenticate({ authorization: `Bearer ${await service('a')}` })).rateKey!;
    const b = (await auth.authenticate({ authorization: `Bearer ${await service('b')}` })).rateKey!;
    assert.match(a, /^jwt-token:[0-9a-f]{32}$/);
    assert.notEqual(a, b, 'two sub-less tokens of one role do not share a bucket');
    const shopper = (jti: string) =>
      new SignJWT({ role: 'shopper', jti }).setProtectedHeader({ alg: 'HS256' }).setSubject('u-9').setExpirationTime('5m').sign(key);
    const s1 = (await auth.authenticate({ authorization: `Bearer ${await shopper('1')}` })).rateKey;
    const s2 = (await auth.authenticate({ authorization: `Bearer ${await shopper('2')}` })).rateKey;
    assert.equal(s1, 'jwt:shopper:u-9');
    assert.equal(s1, s2, "one user's tokens share one budget");
  });

  test('API keys are matched by their SHA-256; unknown keys are refused; auth on with no keys at all does not start', async () => {
    const apiKeysFile = path.join(dir, 'keys.json');
    writeFileSync(apiKeysFile, JSON.stringify([{ name: 'shop-backend', role: 'service', sha256: hashApiKey('k-123') }]));
    const auth = new Authenticator({ enabled: true, apiKeysFile });
    assert.deepEqual(await auth.authenticate({ apiKey: 'k-123' }), {
      role: 'service',
      subject: 'shop-backend',
      via: 'api-key',
      rateKey: 'api-key:shop-backend',
    });
    assert.equal(await codeOf(auth.authenticate({ apiKey: 'k-124' })), 'UNAUTHENTICATED');
    assert.throws(() => new Authenticator({ enabled: true }), /needs FLYWHEEL_JWT_SECRET, FLYWHEEL_JWKS_FILE or FLYWHEEL_API_KEYS_FILE/);
    writeFileSync(apiKeysFile, JSON.stringify([{ name: 'x', role: 'god', sha256: 'abc' }]));
    assert.throws(() => new Authenticator({ enabled: true, apiKeysFile }), /entry 0 needs name, a role/);
  });
});
