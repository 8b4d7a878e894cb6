import { Field, Float, Int, ObjectType } from 'type-graphql';
import { GraphQLDateTime } from 'graphql-scalars';

@ObjectType('Viewer', { simpleResolvers: true, description: 'Who the gateway takes the caller to be: what a client shows follows the role.' })
export class ViewerType {
  @Field(() => String, { description: 'shopper, service, analyst or admin (admin for everyone while authentication is off).' })
  role!: string;

  @Field(() => String, { nullable: true, description: "The token's subject (a shopper's user id) or the API key's name." })
  subject!: string | null;

  @Field(() => Boolean, { description: 'False while the gateway runs with authentication off (FLYWHEEL_AUTH=off).' })
  authenticated!: boolean;
}

@ObjectType('GatewayStatus', {
  simpleResolvers: true,
  description: "The gateway's health and counters at one instant (counters run since the process started; a client derives rates from two samples).",
})
export class GatewayStatusType {
  @Field(() => GraphQLDateTime)
  at!: Date;

  @Field(() => String, { description: 'ready, catching up (replaying the log after start) or ingestion stalled.' })
  status!: string;

  @Field(() => Boolean, { description: 'What /readyz answers: ingestion caught up and advancing.' })
  ready!: boolean;

  @Field(() => Int, { description: 'Events in the log not yet applied to the graph.' })
  ingestLag!: number;

  @Field(() => Float, { description: 'Events accepted into the log since start.' })
  eventsAccepted!: number;

  @Field(() => Float, { description: 'Events applied to the graph since start.' })
  eventsIngested!: number;

  @Field(() => Float, { description: 'Events rejected (dead-lettered) since start.' })
  eventsRejected!: number;

  @Field(() => Int)
  users!: number;

  @Field(() => Int)
  items!: number;

  @Field(() => Int)
  categories!: number;

  @Field(() => Int, { description: 'User-item interaction edges.' })
  edges!: number;

  @Field(() => Int, { description: 'Actors flagged as bots right now.' })
  flaggedBots!: number;

  @Field(() => Int, { description: 'Open graphql-ws connections.' })
  webSocketConnections!: number;

  @Field(() => Float, { description: 'p99 event-loop delay of the last second, in milliseconds.' })
  eventLoopDelayMs!: number;

  @Field(() => Float)
  uptimeSeconds!: number;
}
