import { ArrayMaxSize, MaxLength } from 'class-validator';
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Connection } from './connection';

@ObjectType('Item', { simpleResolvers: true, description: 'A product in the catalog, or an item so far known only from events.' })
export class ItemType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Catalog title; the id itself until the catalog describes the item.' })
  title!: string;

  @Field(() => String, { nullable: true })
  category!: string | null;

  @Field(() => Float, { nullable: true, description: 'Catalog price, or the first price seen in a purchase.' })
  price!: number | null;

  @Field({ description: 'False for items named by events that the catalog has not described yet.' })
  inCatalog!: boolean;

  @Field(() => Int, { description: 'Distinct shoppers with a positive interaction.' })
  userCount!: number;

  /** Free attributes, exposed as a list of pairs (GraphQL has no map type). */
  attributes!: Record<string, string>;
}

@ObjectType('Attribute', { simpleResolvers: true, description: 'A free catalog attribute.' })
export class AttributeType {
  @Field()
  key!: string;

  @Field()
  value!: string;
}

@ObjectType('Category', { simpleResolvers: true, description: 'A catalog category: a node of the graph that items belong to.' })
export class CategoryType {
  @Field(() => ID)
  name!: string;

  @Field(() => Int)
  itemCount!: number;
}

@ObjectType('ItemConnection', { simpleResolvers: true, description: 'A page of items, ordered by id.' })
export class ItemConnection extends Connection(ItemType, 'Item') {}

@InputType('ItemFilter', { description: 'Narrows an item listing.' })
export class ItemFilterInput {
  @Field(() => [String], { nullable: true })
  @ArrayMaxSize(100)
  categories?: string[];

  @Field({ nullable: true, description: 'Case-insensitive substring of the id or title.' })
  @MaxLength(200)
  search?: string;
}
