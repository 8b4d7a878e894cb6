import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { EventType } from './event.model';
import { Connection } from './connection';
import { ItemType } from './item.model';

@ObjectType('User', { simpleResolvers: true, description: 'A shopper: a known customer, or an anonymous session (id prefixed "session:").' })
export class UserType {
  @Field(() => ID)
  id!: string;

  @Field()
  anonymous!: boolean;

  @Field(() => GraphQLDateTime)
  firstSeenAt!: Date;

  @Field(() => GraphQLDateTime)
  lastSeenAt!: Date;

  @Field(() => Int, { description: 'Distinct items interacted with.' })
  itemCount!: number;

  @Field(() => Int)
  eventCount!: number;
}

@ObjectType('InteractionCounts', { simpleResolvers: true, description: 'Per-type event counts on one user-item edge.' })
export class InteractionCountsType {
  @Field(() => Int) views!: number;
  @Field(() => Int) clicks!: number;
  @Field(() => Int) addToCarts!: number;
  @Field(() => Int) removeFromCarts!: number;
  @Field(() => Int) purchases!: number;
}

@ObjectType('Interaction', { simpleResolvers: true, description: 'The interaction edge between a user and an item.' })
export class InteractionType {
  @Field(() => ID, { description: 'The user (or "session:<id>") on this edge.' })
  userId!: string;

  itemId!: string;

  @Field(() => ItemType)
  item!: ItemType;

  @Field(() => EventType, { description: 'The most recent event type on this edge.' })
  lastType!: EventType;

  @Field(() => InteractionCountsType)
  counts!: InteractionCountsType;

  @Field(() => Float, { description: 'Sum of event-type weights (purchase > cart > click > view).' })
  weight!: number;

  @Field(() => Int, { description: 'Units bought.' })
  quantity!: number;

  @Field(() => Float, { description: 'Money spent on this item.' })
  revenue!: number;

  @Field(() => GraphQLDateTime)
  firstSeenAt!: Date;

  @Field(() => GraphQLDateTime)
  lastSeenAt!: Date;
}

@ObjectType('UserConnection', { simpleResolvers: true, description: 'A page of users.' })
export class UserConnection extends Connection(UserType, 'User') {}
