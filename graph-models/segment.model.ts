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
