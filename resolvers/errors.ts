import { GraphQLError } from 'graphql';
import { ErrorCode } from '../src/util/error-codes';

export function inputError(message: string, argument?: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(argument ? { argument } : {}) } });
}

export function requireRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw inputError(`${name} must be an integer from ${min} to ${max}, got ${value}`, name);
  }
  return value;
}
