import { GraphQLDateTime } from 'graphql-scalars';
import { Arg, Authorized, Ctx, Field, ID, Int, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { GatewayContext } from './context';
import { inputError } from './errors';

@ObjectType({ simpleResolvers: true, description: 'What eraseUser removed. Counts are what the gateway held; none of it is reachable afterwards.' })
export class ErasureResult {
  @Field(() => ID)
  userId!: string;

  @Field({ description: 'Whether the gateway held anything of this user (false: nothing to erase; the id is still put on the erasure list).' })
  found!: boolean;

  @Field(() => [ID], { description: 'Graph actors erased: the user, then anonymous sessions linked to them ("session:<id>").' })
  actors!: string[];

  @Field(() => Int)
  interactionsRemoved!: number;

  @Field(() => Int, { description: 'Items whose user counts, popularity and similar-item lists were recomputed without the user.' })
  itemsAffected!: number;

  @Field(() => Int)
  segmentMemberships!: number;

  @Field(() => Int, { description: 'Anomaly findings about the user, deleted.' })
  anomaliesRemoved!: number;

  @Field(() => Int, { description: 'Other findings whose message or evidence named the user, redacted.' })
  anomaliesRedacted!: number;

  @Field(() => Int, { description: 'Events deleted from the embedded event log (0 on Kafka: see logStrategy).' })
  eventsRemoved!: number;

  @Field(() => Int)
  deadLettersRemoved!: number;

  @Field({
    description:
      '"log-rewritten": the embedded log deleted the events. "erasure-list": the Kafka topic is append-only; the graph store keeps the id on its erasure list and every replay skips the events; the bytes leave the topic with its retention.',
  })
  logStrategy!: string;

  @Field(() => GraphQLDateTime)
  erasedAt!: Date;
}

@Resolver()
export class PrivacyResolver {
  @Authorized('admin')
  @Mutation(() => ErasureResult, {
    description:
      "Right to erasure: removes the user (and anonymous sessions linked to them) with their interactions, segment membership, anomaly evidence, events and every count derived from them (popularity, similar items, other users' recommendations). Admin only.",
  })
  async eraseUser(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<ErasureResult> {
    if (id.length === 0 || id.length > 256) throw inputError('id must be 1 to 256 characters', 'id');
    if (id.startsWith('session:')) throw inputError('erase a customer id; anonymous sessions linked to it are erased with it', 'id');
    return ctx.app.privacy.erase(id);
  }
}
