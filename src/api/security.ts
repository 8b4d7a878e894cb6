import type { IncomingHttpHeaders } from 'node:http';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type ValidationRule } from 'graphql';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { ApolloServerPlugin } from '@apollo/server';
import { Authenticator } from '../auth/authenticator';
import type { Identity } from '../auth/identity';
import { ConfigError, type FlywheelConfig } from '../config/config';

/**
 * Everything that protects the gateway from its callers, built once from configuration and applied
 * to both transports (HTTP through Apollo, WebSocket through graphql-ws, which bypasses Apollo):
 * authentication, query-shape limits (depth, aliases, tokens, directives, cost) and rate limits per
 * identity.
 */
export interface Security {
  authenticator: Authenticator;
  validationRules: ValidationRule[];
  apolloPlugins: ApolloServerPlugin[];
  /** Throws RATE_LIMITED when the caller has used up its budget. */
  consume(identity: Identity, remoteAddress: string | undefined): Promise<void>;
  identify(credentials: { authorization?: string; apiKey?: string }): Promise<Identity>;
}

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
  const armor = new ApolloArmor({
    maxDepth: { n: config.FLYWHEEL_MAX_DEPTH, ignoreIntrospection: true },
    maxAliases: { n: config.FLYWHEEL_MAX_ALIASES },
    maxTokens: { n: config.FLYWHEEL_MAX_TOKENS },
    maxDirectives: { n: 20 },
    // GraphiQL's introspection query alone costs a few hundred points: exempt introspection.
    costLimit: { maxCost: config.FLYWHEEL_MAX_COST, ignoreIntrospection: true },
    blockFieldSuggestion: { enabled: production },
  }).protect();
  const limiter = new RateLimiterMemory({ points: config.FLYWHEEL_RATE_LIMIT_PER_MINUTE, duration: 60 });
  return {
    authenticator,
    validationRules: armor.validationRules,
    apolloPlugins: armor.plugins,
    identify: (credentials) => authenticator.authenticate(credentials),
    async consume(identity, remoteAddress) {
      const key = identity.via === 'auth-off' ? `ip:${remoteAddress ?? 'unknown'}` : `${identity.via}:${identity.subject ?? identity.role}`;
      try {
        await limiter.consume(key);
      } catch (err) {
        if (err instanceof RateLimiterRes) {
          throw new GraphQLError(`rate limit of ${config.FLYWHEEL_RATE_LIMIT_PER_MINUTE} requests per minute exceeded; retry in ${Math.ceil(err.msBeforeNext / 1000)} s`, {
            extensions: { code: 'RATE_LIMITED', retryAfterSeconds: Math.ceil(err.msBeforeNext / 1000), http: { status: 429 } },
          });
        }
        throw err;
      }
    },
  };
}

export function credentialsFromHeaders(headers: IncomingHttpHeaders): { authorization?: string; apiKey?: string } {
  const apiKey = headers['x-api-key'];
  return { authorization: headers.authorization, apiKey: Array.isArray(apiKey) ? apiKey[0] : apiKey };
}

export function credentialsFromConnectionParams(params: Record<string, unknown> | undefined): { authorization?: string; apiKey?: string } {
  const pick = (k: string) => (typeof params?.[k] === 'string' ? (params[k] as string) : undefined);
  return { authorization: pick('authorization') ?? pick('Authorization'), apiKey: pick('x-api-key') ?? pick('apiKey') };
}
