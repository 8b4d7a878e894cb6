import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLDateTime } from 'graphql-scalars';

@ObjectType('OutcomeBucket', { simpleResolvers: true, description: 'Outcomes of one hour (event time), of one strategy or variant.' })
export class OutcomeBucketType {
  @Field(() => GraphQLDateTime, { description: 'Start of the hour.' })
  start!: Date;

  @Field(() => Int, { description: 'Served lists.' })
  impressions!: number;

  @Field(() => Int)
  clicks!: number;

  @Field(() => Int)
  addToCarts!: number;

  @Field(() => Int)
  purchases!: number;

  @Field(() => Float, { description: 'Revenue of the attributed purchases (units x price).' })
  revenue!: number;
}

@ObjectType('OutcomeMetrics', {
  simpleResolvers: true,
  description:
    'Live outcomes of the lists one strategy (or one experiment variant) served, from attribution (clicks, carts and purchases credited to served lists). Totals since the log begins; buckets by hour.',
})
export class OutcomeMetricsType {
  @Field({ description: 'The strategy that ranked the lists.' })
  strategy!: string;

  @Field(() => ID, { nullable: true, description: 'The experiment, when the lists were served in one.' })
  experimentId!: string | null;

  @Field(() => String, { nullable: true, description: 'The experiment variant, when the lists were served in one.' })
  variant!: string | null;

  @Field(() => Int, { description: 'Served lists.' })
  impressions!: number;

  @Field(() => Int, { description: 'Entries shown, across the lists.' })
  itemsShown!: number;

  @Field(() => Int, { description: 'Distinct users (or sessions) shown at least one list.' })
  users!: number;

  @Field(() => Int, { description: 'Attributed clicks.' })
  clicks!: number;

  @Field(() => Int, { description: 'Attributed add-to-carts.' })
  addToCarts!: number;

  @Field(() => Int, { description: 'Attributed purchases.' })
  purchases!: number;

  @Field(() => Float, { description: 'Revenue of the attributed purchases (units x price).' })
  revenue!: number;

  @Field(() => Float, { nullable: true, description: 'Attributed clicks per served list (null before the first list).' })
  clickThroughRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'Attributed clicks per entry shown.' })
  itemClickThroughRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'Attributed add-to-carts per served list.' })
  addToCartRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'Attributed purchases per served list.' })
  purchaseRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'Attributed revenue per served list.' })
  revenuePerList!: number | null;

  @Field(() => Float, { nullable: true, description: 'Attributed revenue per user shown a list.' })
  revenuePerUser!: number | null;

  @Field(() => [OutcomeBucketType], {
    description: "By hour, oldest first, within the query's `since`/`until` (hours without a list or an outcome are left out).",
  })
  buckets!: OutcomeBucketType[];
}
