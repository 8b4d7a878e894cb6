import type { IncomingHttpHeaders } from 'node:http';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { Authenticator } from '../auth/authenticator';
import type { Identity } from '../auth/identity';
import { ConfigError, type FlywheelConfig } from '../config/config';
import { ErrorCode } from '../util/error-codes';
import { Admission } from './admission';

/** What a caller presents: a bearer token (JWT) in `authorization`, or an API key. */
export interface Credentials {
  authorization?: string;
  apiKey?: string;
}

/**
 * Everything that protects the gateway from its callers, built once from configuration:
 * authentication, the admission checks (query-shape limits: tokens, nesting, depth, aliases,
 * directives, cost) and rate limits per identity. The gate (gate.ts) applies them to every operation
 * on both transports (HTTP before Apollo, WebSocket in graphql-ws's onSubscribe).
 */
export interface Security {
  authenticator: Authenticator;
  /** The one admission gate (token/nesting scan, parse, validation with the shape limits, introspection) for both transports. */
  createAdmission(schema: GraphQLSchema): Admission;
  /** Production hides "Did you mean ...?" hints from clients. */
  hideSuggestions: boolean;
  /** Throws RATE_LIMITED (status 429, `retryAfterSeconds`) when the caller has used up its budget. */
  consume(identity: Identity, remoteAddress: string | undefined): Promise<void>;
  /**
   * Authenticates; when that fails, the attempt is charged to the client address's unauthenticated
   * budget, and past it RATE_LIMITED is thrown instead of UNAUTHENTICATED.
   */
  identify(credentials: Credentials, remoteAddress: string | undefined): Promise<Identity>;
}

/** The Retry-After value (seconds) of a RATE_LIMITED error, or null for any other error. */
export function retryAfterSeconds(err: unknown): number | null {
  if (!(err instanceof GraphQLError) || err.extensions.code !== ErrorCode.RATE_LIMITED) return null;
  return Number(err.extensions.retryAfterSeconds) || 1;
}

const MAX_DIRECTIVES = 20;
/**
 * Deepest bracket nesting admitted. The field depth limit (FLYWHEEL_MAX_DEPTH, at most 100) counts
 * selection sets only; this bounds everything the recursive parser and validator descend into (list and
 * object literals too), far above any real operation and far below a stack overflow.
 */
const MAX_NESTING = 128;

export function createSecurity(config: FlywheelConfig): Security {
  const production = config.NODE_ENV === 'production';
  const enabled = config.FLYWHEEL_AUTH ?? production;
  if (production && !enabled) throw new ConfigError('NODE_ENV=production refuses to start with FLYWHEEL_AUTH=off');
  if (production && !config.FLYWHEEL_JWT_SECRET && !config.FLYWHEEL_JWKS_FILE && !config.FLYWHEEL_API_KEYS_FILE) {
    throw new ConfigError('NODE_ENV=production refuses to start without authentication: set FLYWHEEL_JWT_SECRET, FLYWHEEL_JWKS_FILE or FLYWHEEL_API_KEYS_FILE');
  }
  const authenticator = new Authenticator({
    enabled,
    jwtSecret: config.FLYWHEEL_JWT_SECRET,
    jwksFile: config.FLYWHEEL_JWKS_FILE,
    issuer: config.FLYWHEEL_JWT_ISSUER,
    audience: config.FLYWHEEL_JWT_AUDIENCE,
    apiKeysFile: config.FLYWHEEL_API_KEYS_FILE,
  });
  // Only graphql-armor's validation rules are used: the token limit and suggestion hiding live in the
  // admission gate (src/api/admission.ts), which both transports pass through; armor's Apollo plugins
  // would apply them to HTTP only.
  const armor = new ApolloArmor({
    maxDepth: { n: config.FLYWHEEL_MAX_DEPTH, ignoreIntrospection: true },
    maxAliases: { n: config.FLYWHEEL_MAX_ALIASES },
    maxTokens: { enabled: false },
    maxDirectives: { n: MAX_DIRECTIVES },
    // GraphiQL's introspection query alone costs a few hundred points: exempt introspection.
    costLimit: { maxCost: config.FLYWHEEL_MAX_COST, ignoreIntrospection: true },
    blockFieldSuggestion: { enabled: false },
  }).protect();
  // Rate-limit keys (README, "Rate limits"): one bucket per identity (Identity.rateKey: JWT role+sub, a
  // hash of a sub-less token, or the API key's name); with authentication off, one per client address.
  // Requests that fail authentication are limited per client address in a bucket of their own.
  const limiter = new RateLimiterMemory({ points: config.FLYWHEEL_RATE_LIMIT_PER_MINUTE, duration: 60 });
  const anonymousLimiter = new RateLimiterMemory({ points: config.FLYWHEEL_RATE_LIMIT_ANONYMOUS_PER_MINUTE, duration: 60 });
  const charge = async (bucket: RateLimiterMemory, key: string, perMinute: number): Promise<void> => {
    try {
      await bucket.consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        throw new GraphQLError(`rate limit of ${perMinute} requests per minute exceeded; retry in ${retryAfter} s`, {
          extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds: retryAfter, http: { status: 429 } },
        });
      }
      throw err;
    }
  };
  return {
    authenticator,
    hideSuggestions: production,
    createAdmission: (schema) =>
      new Admission(schema, armor.validationRules, { maxTokens: config.FLYWHEEL_MAX_TOKENS, maxNesting: MAX_NESTING, hideSuggestions: production }),
    async identify(credentials, remoteAddress) {
      try {
        return await authenticator.authenticate(credentials);
      } catch (err) {
        await charge(anonymousLimiter, `ip:${remoteAddress ?? 'unknown'}`, config.FLYWHEEL_RATE_LIMIT_ANONYMOUS_PER_MINUTE);
        throw err;
      }
    },
    consume: (identity, remoteAddress) => charge(limiter, identity.rateKey ?? `ip:${remoteAddress ?? 'unknown'}`, config.FLYWHEEL_RATE_LIMIT_PER_MINUTE),
  };
}

export function credentialsFromHeaders(headers: IncomingHttpHeaders): Credentials {
  const apiKey = headers['x-api-key'];
  return { authorization: headers.authorization, apiKey: Array.isArray(apiKey) ? apiKey[0] : apiKey };
}

export function credentialsFromConnectionParams(params: Record<string, unknown> | undefined): Credentials {
  const pick = (k: string) => (typeof params?.[k] === 'string' ? (params[k] as string) : undefined);
  return { authorization: pick('authorization') ?? pick('Authorization'), apiKey: pick('x-api-key') ?? pick('apiKey') };
}
