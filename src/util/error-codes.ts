/**
 * Every `extensions.code` a client of the gateway can receive, with what it means: the one list. The code
 * that raises errors takes its codes from here (`ErrorCode.FORBIDDEN`), README's error table is generated
 * from it (scripts/api-reference.ts), and a unit test fails when a code literal elsewhere in src/ or
 * resolvers/ is missing from it. It lives in util, the floor of the dependency rules, because errors are
 * raised at every level: the API, the resolvers, authentication, the graph store.
 */
const DEFINITIONS = {
  BAD_REQUEST:
    'The HTTP request itself is refused: the body is not JSON, there is no `query` string, `operationName` names no operation of the document (or is missing with several), or a subscription was sent over HTTP (400).',
  GRAPHQL_PARSE_FAILED: 'The document is not GraphQL, or exceeds the token or bracket-nesting limit (400).',
  GRAPHQL_VALIDATION_FAILED: 'The document does not fit the schema or the query-shape limits: depth, aliases, directives, cost (400).',
  BAD_USER_INPUT: 'An argument or variable value is refused (out of range, wrong form); `extensions.argument` names the argument when there is one.',
  UNAUTHENTICATED: 'Credentials are missing, invalid or expired (401).',
  FORBIDDEN:
    "The caller's role may not use the field, a shopper acted for another user, or introspection was asked by a role other than analyst or admin (403).",
  NOT_FOUND: 'The id names nothing (a mutation on a missing anomaly); `extensions.argument` names the argument.',
  UNAVAILABLE: 'A backing store (Neo4j, Kafka) cannot be reached, or there is nothing to fit segments on yet; retry later.',
  RATE_LIMITED:
    "The caller's request budget is spent (per identity; per address with authentication off or failing); retry after `extensions.retryAfterSeconds` (429 with Retry-After; WebSocket: close 4429).",
  OVERLOADED: 'The gateway has `FLYWHEEL_MAX_IN_FLIGHT` requests in progress and sheds this one; retry shortly (429 with Retry-After).',
  PAYLOAD_TOO_LARGE: 'The body is larger than `FLYWHEEL_MAX_BODY_BYTES` (413).',
  PERSISTED_QUERY_NOT_ALLOWED:
    'Safelist mode (`FLYWHEEL_SAFELIST=on`): only the persisted operations of the codegen manifest are accepted, by `documentId` (400).',
  METHOD_NOT_ALLOWED: 'Safelist mode accepts POST only (405).',
  INTERNAL_SERVER_ERROR: 'Anything else: the cause is logged, the client learns nothing of it (500 when the request failed outside execution).',
} as const;

export type ErrorCode = keyof typeof DEFINITIONS;

/** The codes as constants: `ErrorCode.NOT_FOUND`. */
export const ErrorCode = Object.freeze(Object.fromEntries(Object.keys(DEFINITIONS).map((code) => [code, code]))) as { readonly [C in ErrorCode]: C };

/** Every code with its meaning, in the order above (the README's order). */
export const ERROR_CODES: readonly { code: ErrorCode; meaning: string }[] = Object.entries(DEFINITIONS).map(([code, meaning]) => ({
  code: code as ErrorCode,
  meaning,
}));
