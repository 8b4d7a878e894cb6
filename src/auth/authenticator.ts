import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GraphQLError } from 'graphql';
import { createLocalJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ConfigError } from '../config/config';
import { AUTH_OFF_IDENTITY, isRole, type Identity, type Role } from './identity';
import { ErrorCode } from '../util/error-codes';

/**
 * Authentication: JWTs verified with jose against configured keys (an HS256 secret, or public keys from a
 * JWKS file; never fetched over the network), carrying `role` and `sub`; or API keys for services
 * (`x-api-key`), stored as SHA-256 hashes. The same function serves HTTP headers and graphql-ws
 * connection parameters, so both transports follow the same rules.
 */
export interface AuthSettings {
  enabled: boolean;
  jwtSecret?: string;
  jwksFile?: string;
  issuer?: string;
  audience?: string;
  apiKeysFile?: string;
}

interface ApiKeyEntry {
  name: string;
  role: Role;
  sha256: Buffer;
}

export class Authenticator {
  private readonly secret: Uint8Array | null;
  private readonly jwks: JWTVerifyGetKey | null;
  private readonly apiKeys: ApiKeyEntry[];

  constructor(private readonly settings: AuthSettings) {
    this.secret = settings.jwtSecret ? new TextEncoder().encode(settings.jwtSecret) : null;
    if (settings.jwtSecret && settings.jwtSecret.length < 32) throw new ConfigError('FLYWHEEL_JWT_SECRET: must be at least 32 characters for HS256');
    this.jwks = settings.jwksFile ? createLocalJWKSet(readJson(settings.jwksFile, 'FLYWHEEL_JWKS_FILE') as Parameters<typeof createLocalJWKSet>[0]) : null;
    this.apiKeys = settings.apiKeysFile ? parseApiKeys(readJson(settings.apiKeysFile, 'FLYWHEEL_API_KEYS_FILE')) : [];
    if (settings.enabled && !this.secret && !this.jwks && this.apiKeys.length === 0) {
      throw new ConfigError('FLYWHEEL_AUTH=on needs FLYWHEEL_JWT_SECRET, FLYWHEEL_JWKS_FILE or FLYWHEEL_API_KEYS_FILE');
    }
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** Resolves the caller's identity; throws UNAUTHENTICATED for missing or invalid credentials. */
  async authenticate(credentials: { authorization?: string; apiKey?: string }): Promise<Identity> {
    if (!this.settings.enabled) return AUTH_OFF_IDENTITY;
    if (credentials.apiKey) return this.fromApiKey(credentials.apiKey);
    const bearer = /^Bearer\s+(.+)$/i.exec(credentials.authorization ?? '')?.[1];
    if (!bearer) throw unauthenticated('send a bearer token (Authorization: Bearer <jwt>) or an API key (x-api-key)');
    return this.fromJwt(bearer);
  }

  private fromApiKey(key: string): Identity {
    const digest = createHash('sha256').update(key).digest();
    const entry = this.apiKeys.find((k) => timingSafeEqual(k.sha256, digest));
    if (!entry) throw unauthenticated('unknown API key');
    return { role: entry.role, subject: entry.name, via: 'api-key', rateKey: `api-key:${entry.name}` };
  }

  private async fromJwt(token: string): Promise<Identity> {
    const options = { issuer: this.settings.issuer, audience: this.settings.audience, clockTolerance: 30 };
    try {
      const { payload } = this.jwks
        ? await jwtVerify(token, this.jwks, options)
        : this.secret
          ? await jwtVerify(token, this.secret, { ...options, algorithms: ['HS256'] })
          : (() => {
              throw new Error('no JWT keys configured');
            })();
      if (!isRole(payload.role)) throw new Error(`role claim must be one of shopper, service, analyst, admin`);
      if (payload.role === 'shopper' && !payload.sub) throw new Error('a shopper token needs a sub claim');
      // The clock tolerance is for issuers whose clock runs ahead (nbf, iat); expiry is exact, so a
      // token stops working at `exp` on HTTP and WebSocket alike (sockets are closed then).
      const expiresAt = payload.exp === undefined ? undefined : payload.exp * 1000;
      if (expiresAt !== undefined && expiresAt <= Date.now()) throw new Error('"exp" claim timestamp check failed');
      return {
        role: payload.role,
        subject: payload.sub ?? null,
        via: 'jwt',
        ...(expiresAt !== undefined ? { expiresAt } : {}),
        rateKey: jwtRateKey(payload.role, payload.sub, token),
      };
    } catch (err) {
      throw unauthenticated(`invalid token: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/**
 * Rate-limit bucket of a JWT: its role and subject, so that every token of one user shares one budget.
 * A token without `sub` (a service's) gets a bucket of its own, keyed by a hash of the token: one
 * bucket per role would let one such caller exhaust the budget of all the others.
 */
function jwtRateKey(role: Role, sub: string | undefined, token: string): string {
  return sub ? `jwt:${role}:${sub}` : `jwt-token:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
}

export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
}

export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.FORBIDDEN, http: { status: 403 } } });
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function readJson(file: string, variable: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${variable}: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function parseApiKeys(raw: unknown): ApiKeyEntry[] {
  if (!Array.isArray(raw)) throw new ConfigError('FLYWHEEL_API_KEYS_FILE: must hold a JSON array of {"name","role","sha256"}');
  return raw.map((e: { name?: unknown; role?: unknown; sha256?: unknown }, i) => {
    if (typeof e.name !== 'string' || !isRole(e.role) || typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) {
      throw new ConfigError(`FLYWHEEL_API_KEYS_FILE: entry ${i} needs name, a role (shopper|service|analyst|admin) and sha256 (hex of the key)`);
    }
    return { name: e.name, role: e.role, sha256: Buffer.from(e.sha256, 'hex') };
  });
}
