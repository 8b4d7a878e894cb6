/**
 * Whether an error says nothing about the data it was raised on: a backend that is down, restarting or
 * overloaded (Neo4j's and kafkajs's `retriable` errors, socket errors). Ingestion retries those until
 * they pass (the stall shows in readiness); any other error that keeps failing on the same record
 * makes that record poison, and it is dead-lettered after bounded retries.
 */
export function isTransientError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { retriable?: unknown; code?: unknown; cause?: unknown };
  if (e.retriable === true) return true;
  if (typeof e.code === 'string' && TRANSIENT_CODES.test(e.code)) return true;
  return e.cause !== undefined && e.cause !== err ? isTransientError(e.cause) : false;
}

const TRANSIENT_CODES = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ServiceUnavailable|SessionExpired)$|TransientError/;
