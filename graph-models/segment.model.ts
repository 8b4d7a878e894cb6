import { Authorized, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { ANALYSTS } from '../src/auth/policy';
import { GraphQLDateTime } from 'graphql-scalars';

@ObjectType('RfmCentroid', { simpleResolvers: true, description: 'Centre of a segment in RFM units (medians of its members).' })
export class RfmCentroidType {
  @Field(() => Float, { description: 'Days since the last purchase (at the time of the fit).' })
  recency!: number;

  @Field(() => Float, { description: 'Orders (distinct checkouts).' })
  frequency!: number;

  @Field(() => Float, { description: 'Total spend.' })
  monetary!: number;
}

@ObjectType('SegmentCategory', { simpleResolvers: true, description: "A category a segment's members buy from." })
export class SegmentCategoryType {
  @Field()
  category!: string;

  @Field(() => Int, { description: 'Members who bought in it.' })
  customers!: number;

  @Field(() => Float, { description: "Members' spend in it." })
  revenue!: number;
}

@ObjectType('SegmentBuyRate', {
  simpleResolvers: true,
  description:
    "A segment's next-period buy rate, by backtest at the fit: the fitted segments applied to customers as they were `periodDays` before the fit (`since`), and the share of those placed in this segment who ordered again by the fit (`until`). Recency, orders and tenure at `since` are exact; spend is estimated by the share of orders placed before it.",
})
export class SegmentBuyRateType {
  @Field(() => Int)
  periodDays!: number;

  @Field(() => GraphQLDateTime, { description: 'Customers are placed as they were at this instant.' })
  since!: Date;

  @Field(() => GraphQLDateTime, { description: 'Orders after `since` up to this instant (the fit) count.' })
  until!: Date;

  @Field(() => Int, { description: 'Customers with an order by `since` whom the segments placed here.' })
  customers!: number;

  @Field(() => Int, { description: 'Of them, those who ordered again in the period.' })
  buyers!: number;

  @Field(() => Float, { description: 'buyers / customers, from 0 to 1.' })
  rate!: number;

  @Field(() => Float, { description: 'The same rate over every segment: what this one is compared with.' })
  baseRate!: number;
}

@ObjectType('Segment', {
  simpleResolvers: true,
  description: 'A customer segment from RFM clustering of the graph, with a readable name and an id that is stable across refits.',
})
export class SegmentType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Champions, Loyal, At risk, Hibernating, New, ... named from the centroid.' })
  name!: string;

  // Everything but id and name describes other customers (sizes, spend, what they buy): analysts and
  // admins only. A shopper reaches a Segment only as their own User.segment and sees its name.
  // `simple: false` makes type-graphql give these fields a resolver, which is where @Authorized runs.
  @Authorized(ANALYSTS)
  @Field(() => Int, { simple: false, description: 'Current members (the last fit plus users assigned since).' })
  size!: number;

  @Authorized(ANALYSTS)
  @Field(() => Float, { simple: false, description: 'Share of all segmented customers, from 0 to 1.' })
  share!: number;

  @Authorized(ANALYSTS)
  @Field(() => RfmCentroidType, { simple: false })
  centroid!: RfmCentroidType;

  @Authorized(ANALYSTS)
  @Field(() => Float, { simple: false, description: "Members' total spend / total orders." })
  averageOrderValue!: number;

  @Authorized(ANALYSTS)
  @Field(() => SegmentBuyRateType, {
    simple: false,
    nullable: true,
    description: 'Next-period buy rate by backtest at the last fit; null when the backtest placed nobody here (or the fit predates it).',
  })
  nextPeriod!: SegmentBuyRateType | null;

  /** Item ids by buyers, best first (topItems resolves them through the item loader). */
  topItemIds!: string[];
  /** All stored categories, best first (topCategories slices them). */
  categories!: SegmentCategoryType[];
}

@ObjectType('SegmentKScore', { simpleResolvers: true, description: 'Silhouette of one candidate number of segments.' })
export class SegmentKScoreType {
  @Field(() => Int)
  k!: number;

  @Field(() => Float)
  silhouette!: number;
}

@ObjectType('SegmentRefitResult', { simpleResolvers: true, description: 'Outcome of a full segment refit.' })
export class SegmentRefitResultType {
  @Field(() => Int, { description: 'Number of segments.' })
  k!: number;

  @Field(() => Float, { description: 'Mean silhouette of the fit (on a sample for large populations), from -1 to 1.' })
  silhouette!: number;

  @Field(() => Float, { description: 'Wall time of the refit in milliseconds (scan, fit in the worker thread, write-back).' })
  durationMs!: number;

  @Field(() => Int, { description: 'Customers segmented (users with at least one purchase).' })
  customers!: number;

  @Field(() => GraphQLDateTime, { description: 'Reference time of recency.' })
  asOf!: Date;

  @Field(() => [SegmentKScoreType], { description: 'Silhouette per candidate k (one entry when k is fixed).' })
  kScores!: SegmentKScoreType[];

  @Field(() => [SegmentType])
  segments!: SegmentType[];
}
