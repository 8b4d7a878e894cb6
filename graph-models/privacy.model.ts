import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType('ErasureResult', {
  simpleResolvers: true,
  description: 'What eraseUser removed. Counts are what the gateway held; none of it is reachable afterwards.',
})
export class ErasureResultType {
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
