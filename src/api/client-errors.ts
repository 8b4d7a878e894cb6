import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { ErrorCode } from '../util/error-codes';

/**
 * What clients may see of an error, for both transports (Apollo's formatError on HTTP, graphql-ws's
 * onNext/onError on WebSocket): codes and messages meant for them; anything without a client code is
 * logged and masked as INTERNAL_SERVER_ERROR, so no internal message or stack reaches a client. In
 * production, "Did you mean ...?" hints are dropped (they reveal the schema to people without
 * introspection rights).
 */
export function formatForClient(formatted: GraphQLFormattedError, error: unknown, logger: Logger, hideSuggestions: boolean): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (code === ErrorCode.INTERNAL_SERVER_ERROR || code === undefined) {
    logger.error({ err: unwrapResolverError(error) }, 'resolver failed');
    return { message: 'internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR }, ...(formatted.path ? { path: formatted.path } : {}) };
  }
  if (hideSuggestions && formatted.message.includes('Did you mean')) {
    return { ...formatted, message: formatted.message.replace(/ ?Did you mean .+\?$/, '') };
  }
  return formatted;
}

/**
 * graphql-ws hands over graphql-js errors as they are, without the codes Apollo adds on HTTP: request
 * errors (variables, operation selection: no path, no thrown exception inside) become BAD_USER_INPUT as on HTTP,
 * then the same masking applies.
 */
export function formatWsErrors(errors: readonly GraphQLError[], logger: Logger, hideSuggestions: boolean): GraphQLFormattedError[] {
  return errors.map((e) => {
    // `http` tells the HTTP handler which status to send; it means nothing on a socket.
    const { http: _http, ...extensions } = e.extensions;
    // Errors outside execution (no path) that graphql-js raised itself, not wrapping a thrown exception.
    const requestError = extensions.code === undefined && e.path === undefined && (e.originalError === undefined || e.originalError instanceof GraphQLError);
    const formatted: GraphQLFormattedError = { ...e.toJSON(), extensions: requestError ? { ...extensions, code: ErrorCode.BAD_USER_INPUT } : extensions };
    return formatForClient(formatted, e, logger, hideSuggestions);
  });
}
