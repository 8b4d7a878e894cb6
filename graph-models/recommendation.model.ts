import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ArrayMaxSize, MaxLength, Min } from 'class-validator';
import { ItemType } from './item.model';

@ObjectType('Recommendation', { simpleResolvers: true, description: 'A recommended item with its score and the signal behind it.' })
export class RecommendationType {
  /** Resolved through the per-request item loader. */
  itemId!: string;

  @Field(() => ItemType)
  item!: ItemType;

  @Field(() => Float)
  score!: number;

  @Field({ description: 'Why this item: the history item or signal that contributed most.' })
  reason!: string;

  @Field(() => ID, {
    description:
      'The served list this entry belongs to (the same on every entry of one answer; opaque, unique). Send it back as `servedId` on the click, add-to-cart or purchase of this item, so the outcome is attributed to this list.',
  })
  servedId!: string;

  @Field(() => Int, { description: 'Rank of this entry in the list as served, from 1.' })
  position!: number;

  @Field({ description: 'The strategy that ranked the list (in an interleaved list: the strategy that contributed this entry).' })
  strategy!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'The experiment variant that chose the strategy (in an interleaved list: the variant that contributed this entry, credited with its outcomes), or null when the user is in no running experiment.',
  })
  variant!: string | null;

  @Field(() => Float, {
    description:
      "Probability with which the serving policy showed this item at this position: 1 unless the policy is randomised. In a BANDIT experiment, the probability with which this list's arm was drawn for this request (list-level: every entry of the list carries it).",
  })
  propensity!: number;
}

@InputType('RecommendationFilter', { description: 'Business rules applied to a recommendation list.' })
export class RecommendationFilterInput {
  @Field(() => [ID], { nullable: true, description: 'Never recommend these items.' })
  @ArrayMaxSize(1000)
  @MaxLength(256, { each: true })
  excludeItemIds?: string[];

  @Field(() => [String], { nullable: true, description: 'Only recommend items in these categories.' })
  @ArrayMaxSize(100)
  @MaxLength(200, { each: true })
  categories?: string[];

  @Field({ nullable: true, description: 'Allow items the user already bought (repeat-purchase shops). Default false.' })
  includePurchased?: boolean;

  @Field(() => Float, { nullable: true, description: 'Only items priced at least this (items without a price are left out).' })
  @Min(0)
  minPrice?: number;

  @Field(() => Float, { nullable: true, description: 'Only items priced at most this (items without a price are left out).' })
  @Min(0)
  maxPrice?: number;

  @Field(() => Int, { nullable: true, description: 'Diversity: at most this many items from one category.' })
  @Min(1)
  maxPerCategory?: number;
}
