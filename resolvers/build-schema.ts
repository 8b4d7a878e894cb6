import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from '../src/auth/policy';
import { AnomalyResolver, ItemAnomalyResolver, UserAnomalyResolver } from './anomaly.resolver';
import { EventResolver } from './event.resolver';
import { ItemResolver } from './item.resolver';
import { ExperimentResolver } from './experiment.resolver';
import { OutcomeResolver } from './outcome.resolver';
import { PrivacyResolver } from './privacy.resolver';
import { createGatewayPubSub, type GatewayPubSub } from './pubsub';
import { RecommendationResolver } from './recommendation.resolver';
import { SegmentResolver, UserSegmentResolver } from './segment.resolver';
import { StatusResolver } from './status.resolver';
import { InteractionResolver, ItemInteractionsResolver, UserResolver } from './user.resolver';

/** Every resolver class of the schema; buildSchema takes this list. */
export const resolvers = [
  RecommendationResolver,
  ItemResolver,
  UserResolver,
  InteractionResolver,
  ItemInteractionsResolver,
  EventResolver,
  AnomalyResolver,
  UserAnomalyResolver,
  ItemAnomalyResolver,
  SegmentResolver,
  UserSegmentResolver,
  PrivacyResolver,
  StatusResolver,
  OutcomeResolver,
  ExperimentResolver,
] as const;

/**
 * The executable schema, built from the type-graphql classes in graph-models/ and the resolvers above.
 * `schema/schema.graphql` is printed from this (src/cli/write-schema.ts); the code is the source of truth.
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
