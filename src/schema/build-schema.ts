import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { resolvers } from '../../resolvers';
import { createGatewayPubSub, type GatewayPubSub } from '../../resolvers/pubsub';
import { authChecker } from '../auth/policy';

/**
 * The executable schema, built from the type-graphql classes in graph-models/ and resolvers/.
 * `schema/schema.graphql` is printed from this (see write-schema.ts); the code is the source of truth.
 */
export async function buildGatewaySchema(pubSub: GatewayPubSub = createGatewayPubSub()): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    pubSub,
    // class-validator decorators on inputs (sizes, ranges) are enforced; type-graphql 2 has it off by default.
    validate: { forbidUnknownValues: false },
    emitSchemaFile: false,
    // Roles declared with @Authorized on resolvers (never on object fields); see src/auth/policy.ts.
    // That is also why every @ObjectType in graph-models/ says `simpleResolvers: true`: without it
    // type-graphql wraps each plain property in a middleware-chain resolver, which on a list of 10
    // recommendations with their items cost more than the scoring. Field-level @Authorized or
    // @UseMiddleware would need `simple: false` on that field.
    authChecker,
  });
}
