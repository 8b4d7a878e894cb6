import {
  GraphQLError,
  Lexer,
  Source,
  TokenKind,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import { forbidden } from '../auth/authenticator';
import type { Identity } from '../auth/identity';
import { ErrorCode } from '../util/error-codes';
import { usesIntrospection } from './introspection-guard';

/**
 * Admission: the one gate every operation passes before it executes, on HTTP and on graphql-ws alike
 * (graphql-ws bypasses Apollo, so a check that lives in an Apollo plugin is a check WebSocket clients
 * skip). In order:
 *   1. a token scan (graphql's own lexer, no recursion) that stops at the token limit and at the nesting
 *      limit, so neither a 40,000-token document nor a 2,000-deep list literal reaches the recursive parser;
 *   2. parse, then validate with graphql-js's rules plus the query-shape limits (depth, aliases,
 *      directives, cost: graphql-armor's validation rules);
 *   3. introspection only for analysts and admins;
 *   4. the operation to run: the one named by `operationName`, or the only one.
 * Every refusal is a client error with a stable code and status 400 (403 for introspection); nothing
 * thrown here is an internal error. Results of steps 1-2 depend only on the text, so they are cached.
 */
export interface AdmissionLimits {
  maxTokens: number;
  /** Deepest nesting of `{`, `[` and `(` the lexer accepts (selection sets, lists, input objects). */
  maxNesting: number;
  /** Replace "Did you mean ..." in validation messages (production: do not reveal the schema). */
  hideSuggestions: boolean;
}

export interface Admitted {
  document: DocumentNode;
  operation: OperationDefinitionNode;
}

interface Checked {
  document?: DocumentNode;
  errors?: readonly GraphQLError[];
  introspection: boolean;
}

/** Texts longer than this are checked every time instead of being kept in the cache. */
const MAX_CACHED_TEXT = 16 * 1024;
const CACHE_ENTRIES = 1000;

export class AdmissionError extends Error {
  override readonly name = 'AdmissionError';
  constructor(
    readonly errors: readonly GraphQLError[],
    readonly status: number,
  ) {
    super(errors[0]?.message ?? 'operation refused');
  }
}

export class Admission {
  private readonly cache = new Map<string, Checked>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly shapeRules: readonly ValidationRule[],
    private readonly limits: AdmissionLimits,
  ) {}

  /** Admits `query` for `identity` or throws AdmissionError (400 parse/validation/operation, 403 introspection). */
  admit(query: unknown, operationName: unknown, identity: Identity): Admitted {
    if (typeof query !== 'string' || query.length === 0) {
      throw new AdmissionError([clientError('send the operation as a non-empty string in `query`', ErrorCode.BAD_REQUEST)], 400);
    }
    const checked = this.check(query);
    if (checked.errors) throw new AdmissionError(checked.errors, 400);
    if (checked.introspection && identity.role !== 'analyst' && identity.role !== 'admin') {
      throw new AdmissionError([forbidden('introspection is reserved for analysts and admins')], 403);
    }
    const name = typeof operationName === 'string' && operationName.length > 0 ? operationName : undefined;
    const operation = getOperationAST(checked.document!, name);
    if (!operation) {
      const message = name ? `the document has no operation named "${name}"` : 'the document has several operations: name the one to run in operationName';
      throw new AdmissionError([clientError(message, ErrorCode.BAD_REQUEST)], 400);
    }
    return { document: checked.document!, operation };
  }

  private check(query: string): Checked {
    const cached = this.cache.get(query);
    if (cached) return cached;
    const checked = this.checkText(query);
    if (query.length <= MAX_CACHED_TEXT) {
      // Oldest first out: cheap, and a flood of distinct texts only evicts, never grows the map.
      if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(query, checked);
    }
    return checked;
  }

  private checkText(query: string): Checked {
    let document: DocumentNode;
    try {
      const shapeError = scanTokens(query, this.limits);
      if (shapeError) return { errors: [clientError(shapeError, ErrorCode.GRAPHQL_PARSE_FAILED)], introspection: false };
      document = parse(query, { maxTokens: this.limits.maxTokens });
    } catch (err) {
      return { errors: [asClientError(err, ErrorCode.GRAPHQL_PARSE_FAILED)], introspection: false };
    }
    let errors: readonly GraphQLError[];
    try {
      errors = validate(this.schema, document, [...specifiedRules, ...this.shapeRules]);
    } catch (err) {
      return { errors: [asClientError(err, ErrorCode.GRAPHQL_VALIDATION_FAILED)], introspection: false };
    }
    if (errors.length > 0) {
      return {
        errors: errors.map((e) => clientError(this.limits.hideSuggestions ? hideSuggestions(e.message) : e.message, ErrorCode.GRAPHQL_VALIDATION_FAILED, e)),
        introspection: false,
      };
    }
    return { document, introspection: usesIntrospection(document) };
  }
}

/**
 * Counts tokens and tracks bracket nesting with graphql's lexer (iterative). Returns why the text is
 * refused, or null. Lexical errors (an unterminated string) are thrown as graphql syntax errors.
 */
export function scanTokens(query: string, limits: Pick<AdmissionLimits, 'maxTokens' | 'maxNesting'>): string | null {
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  let depth = 0;
  for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
    if (++tokens > limits.maxTokens) return `Syntax Error: Token limit of ${limits.maxTokens} exceeded.`;
    if (token.kind === TokenKind.BRACE_L || token.kind === TokenKind.BRACKET_L || token.kind === TokenKind.PAREN_L) {
      if (++depth > limits.maxNesting) return `Syntax Error: brackets nested deeper than ${limits.maxNesting} levels.`;
    } else if (token.kind === TokenKind.BRACE_R || token.kind === TokenKind.BRACKET_R || token.kind === TokenKind.PAREN_R) {
      depth--;
    }
  }
  return null;
}

function clientError(message: string, code: ErrorCode, original?: GraphQLError): GraphQLError {
  return new GraphQLError(message, {
    ...(original?.nodes ? { nodes: original.nodes } : original?.source && original.positions ? { source: original.source, positions: original.positions } : {}),
    extensions: { code },
  });
}

/**
 * A GraphQLError from the parser keeps its message (it is about the client's text); anything else, a
 * RangeError from a recursion the limits did not foresee included, becomes a generic refusal: the
 * client learns its document was refused, never what broke inside.
 */
function asClientError(err: unknown, code: ErrorCode): GraphQLError {
  if (err instanceof GraphQLError) return clientError(err.message, code, err);
  return clientError('the document could not be processed (too large or too deeply nested)', code);
}

function hideSuggestions(message: string): string {
  return message.replace(/ ?Did you mean .+\?$/, '').replace(/Did you mean ".+"/g, '[Suggestion hidden]');
}
