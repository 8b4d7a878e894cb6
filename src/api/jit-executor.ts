import { GraphQLError, getVariableValues, valueFromASTUntyped, type DocumentNode, type GraphQLSchema, type VariableDefinitionNode } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { GatewayExecutionResult, GatewayInterface, GatewaySchemaLoadOrUpdateCallback } from '@apollo/server-gateway-interface';

/**
 * Executes HTTP operations with graphql-jit instead of graphql-js's interpreter.
 *
 * Why: graphql-js spends about a microsecond per field on bookkeeping (argument maps, resolve info,
 * completion), and a recommendation list is dozens of fields; graphql-jit compiles each operation once
 * into straight-line JavaScript. Apollo Server 5 has no `executor` option; its migration guide names the
 * `gateway` option as the place for a custom executor, which is all this is: a "gateway" that serves one
 * fixed local schema. Apollo still parses, validates (our limits included) and formats errors; only
 * execution is replaced. Subscriptions (graphql-ws) keep graphql-js.
 *
 * Where graphql-jit differs from graphql-js, this module makes the answers the same (the parity test
 * compares both executors on every query kept in the repo):
 *  - variables are checked by graphql-js first: its messages name the exact path (`e[0].price`) and
 *    Apollo recognises them as BAD_USER_INPUT with status 400;
 *  - graphql-jit ignores the default of a non-null variable the request leaves out
 *    (`$userId: ID! = "demo-user-1"`), so defaults are filled in before it runs;
 *  - resolver errors reach Apollo as ordinary graphql-js errors (graphql-jit's have a read-only
 *    `message`, which graphql-armor rewrites when it masks suggestions).
 *
 * Compiled operations are cached per parsed document. Apollo's document store hands the same
 * DocumentNode back for a repeated query string, so a WeakMap keyed by it is bounded by that store.
 */
export function jitGateway(schema: GraphQLSchema): GatewayInterface {
  const compiled = new WeakMap<DocumentNode, Map<string | null, CompiledQuery | GatewayExecutionResult>>();
  let listener: GatewaySchemaLoadOrUpdateCallback | null = null;

  const compiledFor = (document: DocumentNode, operationName: string | null): CompiledQuery | GatewayExecutionResult => {
    let byName = compiled.get(document);
    if (!byName) compiled.set(document, (byName = new Map()));
    let entry = byName.get(operationName);
    if (!entry) {
      // Leaves are serialized by the schema's scalars as in graphql-js; errors are collected with
      // their original error (codes and extensions survive into Apollo's formatError).
      entry = compileQuery(schema, document, operationName ?? undefined, { disablingCapturingStackErrors: true });
      byName.set(operationName, entry);
    }
    return entry;
  };

  return {
    onSchemaLoadOrUpdate(callback) {
      listener = callback;
      return () => {
        listener = null;
      };
    },
    async load() {
      listener?.({ apiSchema: schema, coreSupergraphSdl: '' });
      return {
        executor: async (requestContext) => {
          let variables = requestContext.request.variables ?? {};
          const definitions = requestContext.operation.variableDefinitions;
          if (definitions && definitions.length > 0) {
            const checked = getVariableValues(schema, definitions, variables, { maxErrors: 50 });
            if (checked.errors) return { errors: checked.errors };
            variables = withDefaults(definitions, variables);
          }
          const query = compiledFor(requestContext.document, requestContext.operationName);
          if (!isCompiledQuery(query)) return query;
          const result = await query.query(undefined, requestContext.context, variables);
          return result.errors ? { ...result, errors: result.errors.map(asGraphqlJsError) } : result;
        },
      };
    },
    async stop() {},
  };
}

/** graphql-jit's error with the same message, location, path, cause and extensions, as a graphql-js GraphQLError. */
function asGraphqlJsError(error: GraphQLError): GraphQLError {
  const copy = new GraphQLError(error.message, {
    ...(error.path ? { path: error.path } : {}),
    ...(error.originalError ? { originalError: error.originalError } : {}),
    ...(error.extensions ? { extensions: error.extensions } : {}),
  });
  // graphql-jit keeps locations, not AST nodes; graphql-js would derive the same list from the nodes.
  if (error.locations) (copy as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return copy;
}

/** The request's variables plus the operation's defaults (in input form, as a client would send them) for those left out. */
function withDefaults(definitions: readonly VariableDefinitionNode[], variables: Record<string, unknown>): Record<string, unknown> {
  let out = variables;
  for (const def of definitions) {
    const name = def.variable.name.value;
    if (def.defaultValue && variables[name] === undefined) {
      if (out === variables) out = { ...variables };
      out[name] = valueFromASTUntyped(def.defaultValue);
    }
  }
  return out;
}
