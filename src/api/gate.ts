import { GraphQLError, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { unauthenticated } from '../auth/authenticator';
import type { Identity } from '../auth/identity';
import { AdmissionError, type Admission } from './admission';
import type { Safelist } from './safelist';
import type { Credentials, Security } from './security';
import { ErrorCode } from '../util/error-codes';

/** GraphQL request parameters as the client sent them: a POST body, a GET query string, a graphql-ws subscribe payload. */
export interface OperationParams {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  [key: string]: unknown;
}

/** Who is calling, as the transport knows it. */
export type Caller =
  /** HTTP: every request carries its credentials and is authenticated on its own. */
  | { credentials: Credentials }
  /** graphql-ws: authenticated when the connection opened; null once the connection's credentials expired. */
  | { identity: Identity | null };

export interface Pass {
  identity: Identity;
  /** The parameters to execute: in safelist mode, with the persisted document's text as `query`. */
  params: OperationParams;
  /** The document the gate parsed and validated: graphql-ws executes this one. */
  document: DocumentNode;
  operation: OperationDefinitionNode;
}

/**
 * The one check every GraphQL operation passes before it executes, whichever transport brought it
 * (graphql-ws bypasses Apollo, so nothing here may live in an Apollo plugin). HTTP calls `admit` per
 * request, graphql-ws per subscribe message; what stays with a transport is only what it alone has:
 * HTTP's body size, JSON, method and load shedding, graphql-ws's authentication at connection time (with
 * the same `Security.identify`) and the close codes of refused connections.
 *
 * In order:
 *   1. safelist mode: only persisted operations (a `documentId` is replaced by the listed text);
 *   2. the caller: authenticated now (HTTP; failed attempts are charged to the client address), or the
 *      connection's identity while its credentials are valid (graphql-ws);
 *   3. the caller's rate limit;
 *   4. the admission gate (src/api/admission.ts): token and nesting scan, parse, validation with the
 *      query-shape limits, introspection for analysts and admins only, the operation to run.
 * A refusal is thrown: AdmissionError (status 400, 403 for introspection) or a GraphQLError with a client
 * code (UNAUTHENTICATED 401, RATE_LIMITED 429 with `retryAfterSeconds`). Each transport renders it.
 */
export class Gate {
  constructor(
    private readonly security: Security,
    private readonly admission: Admission,
    private readonly safelist: Safelist | null,
  ) {}

  async admit(sent: unknown, caller: Caller, remoteAddress: string | undefined): Promise<Pass> {
    let params = (sent ?? {}) as OperationParams;
    if (this.safelist) {
      const allowed = this.safelist.resolve(sent);
      if (!allowed) throw new AdmissionError([persistedOnly()], 400);
      params = allowed;
    }
    let identity: Identity;
    if ('credentials' in caller) {
      identity = await this.security.identify(caller.credentials, remoteAddress);
    } else {
      if (!caller.identity) throw unauthenticated('the credentials of this connection have expired; reconnect with fresh ones');
      identity = caller.identity;
    }
    await this.security.consume(identity, remoteAddress);
    const { document, operation } = this.admission.admit(params.query, params.operationName, identity);
    return { identity, params, document, operation };
  }
}

function persistedOnly(): GraphQLError {
  return new GraphQLError('only persisted operations are accepted (safelist mode); send documentId from the codegen manifest', {
    extensions: { code: ErrorCode.PERSISTED_QUERY_NOT_ALLOWED },
  });
}
