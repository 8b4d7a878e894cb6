import { Field, Float, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'A product in the catalog, or an item so far known only from events.' })
export class Item {
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

@ObjectType({ simpleResolvers: true, description: 'A free catalog attribute.' })
export class Attribute {
  @Field()
  key!: string;

  @Field()
  value!: string;
}

@ObjectType({ simpleResolvers: true, description: 'A catalog category: a node of the graph that items belong to.' })
export class Category {
  @Field(() => ID)
  name!: string;

  @Field(() => Int)
  itemCount!: number;
}

@ObjectType({ simpleResolvers: true })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType({ simpleResolvers: true })
export class ItemEdge {
  @Field()
  cursor!: string;

  @Field(() => Item)
  node!: Item;
}

@ObjectType({ simpleResolvers: true, description: 'A page of items, ordered by id.' })
export class ItemConnection {
  @Field(() => [ItemEdge])
  edges!: ItemEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}
