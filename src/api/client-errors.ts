import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';

/**
 * What clients may see of an error, for both transports (Apollo's formatError on HTTP, graphql-ws's
 * onNext/onError on WebSocket): codes and messages meant for them; anything without a client code is
 * logged and masked as INTERNAL_SERVER_ERROR, so no internal message or stack reaches a client. In
 * production, "Did you mean ...?" hints are dropped (they reveal the schema to people without
 * introspection rights).
 */
export function formatForClient(formatted: GraphQLFormattedError, error: unknown, logger: Logger, hideSuggestions: boolean): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (code === 'INTERNAL_SERVER_ERROR' || code === undefined) {
    logger.error({ err: unwrapResolverError(error) }, 'resolver failed');
    return { message: 'internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' }, ...(formatted.path ? { path: formatted.path } : {}) };
  }
  if (hideSuggestions && formatted.message.includes('Did you mean')) {
    return { ...formatted, message: formatted.message.replace(/ ?Did you mean .+\?$/, '') };
  }
  return formatted;
}

/**
 * graphql-ws hands over graphql-js errors as they are, without the codes Apollo adds on HTTP: request
 * errors (variables, operation selection: no path, no original error) become BAD_USER_INPUT as on HTTP,
 * then the same masking applies.
 */
export function formatWsErrors(errors: readonly GraphQLError[], logger: Logger, hideSuggestions: boolean): GraphQLFormattedError[] {
  return errors.map((e) => {
    const formatted = e.toJSON();
    const requestError = e.extensions.code === undefined && e.path === undefined && e.originalError === undefined;
    const withCode = requestError ? { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_USER_INPUT' } } : formatted;
    return formatForClient(withCode, e, logger, hideSuggestions);
  });
}
