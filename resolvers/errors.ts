import { GraphQLError } from 'graphql';

/** Stable error codes clients can switch on; messages say exactly what is wrong. */
export type ErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'UNAVAILABLE' | 'INTERNAL_SERVER_ERROR';

export function inputError(message: string, argument?: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...(argument ? { argument } : {}) } });
}

export function requireRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw inputError(`${name} must be an integer from ${min} to ${max}, got ${value}`, name);
  }
  return value;
}
