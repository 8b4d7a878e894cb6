import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { ArrayMaxSize, IsOptional, MaxLength, Min, ValidateNested } from 'class-validator';

export enum EventType {
  VIEW = 'VIEW',
  CLICK = 'CLICK',
  ADD_TO_CART = 'ADD_TO_CART',
  REMOVE_FROM_CART = 'REMOVE_FROM_CART',
  PURCHASE = 'PURCHASE',
}
registerEnumType(EventType, { name: 'EventType', description: 'What a shopper did to an item.' });

/**
 * GraphQL only checks shapes here; the event rules (user or session, quantity for purchases, time
 * range) live in one place, src/events/validate.ts, and come back per event in `rejected`, so one bad
 * event in a batch does not fail the others.
 */
@InputType({ description: 'A behaviour event from a frontend or shop backend.' })
export class EventInput {
  @Field(() => ID, { description: 'Client-chosen unique id; sending the same id again is a no-op.' })
  id!: string;

  @Field(() => EventType)
  type!: EventType;

  @Field(() => ID, { nullable: true, description: 'Known customer id; give this or sessionId.' })
  userId?: string;

  @Field(() => ID, { nullable: true, description: 'Anonymous session id, for shoppers not logged in.' })
  sessionId?: string;

  @Field(() => ID)
  itemId!: string;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When it happened; defaults to the time of receipt.' })
  timestamp?: Date;

  @Field(() => Int, { nullable: true, description: 'Units; required for PURCHASE.' })
  quantity?: number;

  @Field(() => Float, { nullable: true, description: 'Unit price.' })
  price?: number;

  @Field(() => ID, {
    nullable: true,
    description:
      "The `servedId` of the list the item was picked from (CLICK, ADD_TO_CART, PURCHASE): the outcome is credited to that list. Without it, the user's latest list showing the item within the attribution window is credited.",
  })
  servedId?: string;
}

@InputType({ description: 'A free catalog attribute.' })
export class AttributeInput {
  @Field()
  @MaxLength(200)
  key!: string;

  @Field()
  @MaxLength(2000)
  value!: string;
}

@InputType({ description: 'A catalog entry to create or replace.' })
export class ItemInput {
  @Field(() => ID)
  id!: string;

  @Field()
  title!: string;

  @Field(() => String, { nullable: true })
  category?: string;

  @Field(() => Float, { nullable: true })
  @IsOptional()
  @Min(0)
  price?: number;

  @Field(() => [AttributeInput], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  attributes?: AttributeInput[];
}

@ObjectType('RejectedEvent', { simpleResolvers: true })
export class RejectedEventType {
  @Field(() => Int, { description: 'Position of the event in the request.' })
  index!: number;

  @Field(() => ID, { nullable: true })
  id!: string | null;

  @Field({ description: 'What is wrong, naming the field and the rule.' })
  reason!: string;
}

@ObjectType('TrackEventsResult', { simpleResolvers: true })
export class TrackEventsResultType {
  @Field(() => Int, { description: 'Events stored (including ids that were already stored: resending is safe).' })
  accepted!: number;

  @Field(() => Int, { description: 'Accepted events whose id had been seen before; they changed nothing.' })
  duplicates!: number;

  @Field(() => [RejectedEventType])
  rejected!: RejectedEventType[];
}

@ObjectType('UpsertItemsResult', { simpleResolvers: true })
export class UpsertItemsResultType {
  @Field(() => Int)
  upserted!: number;

  @Field(() => [RejectedEventType], { description: 'Items that were not stored, with the reason (index into the input).' })
  rejected!: RejectedEventType[];
}

@ObjectType('EventTypeCount', { simpleResolvers: true, description: "Applied events of one type on one UTC day (of the events' own time)." })
export class EventTypeCountType {
  @Field(() => String, { description: 'The UTC day, YYYY-MM-DD.' })
  day!: string;

  @Field(() => String, { description: 'VIEW, CLICK, ADD_TO_CART, REMOVE_FROM_CART, PURCHASE, or CATALOG for item upserts.' })
  type!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType('DeadLetterEntry', { simpleResolvers: true, description: 'Input that could not be accepted, kept with the reason.' })
export class DeadLetterEntryType {
  @Field(() => Int)
  seq!: number;

  @Field(() => GraphQLDateTime)
  at!: Date;

  @Field()
  source!: string;

  @Field()
  reason!: string;

  @Field({ description: 'The rejected input as JSON.' })
  raw!: string;
}
