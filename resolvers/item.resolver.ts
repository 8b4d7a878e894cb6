import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, Field, FieldResolver, ID, Info, InputType, Int, Query, Resolver, Root } from 'type-graphql';
import { ArrayMaxSize, MaxLength } from 'class-validator';
import type { GatewayContext } from './context';
import { encodeCursor } from '../src/graph/graph-store';
import { Attribute, Category, Item, ItemConnection } from '../graph-models/item.model';
import { Recommendation } from '../graph-models/recommendation.model';
import { inputError, requireRange } from './errors';
import { toItem } from './mappers';
import { withItems } from './recommendation-items';

@InputType({ description: 'Narrows an item listing.' })
export class ItemFilter {
  @Field(() => [String], { nullable: true })
  @ArrayMaxSize(100)
  categories?: string[];

  @Field({ nullable: true, description: 'Case-insensitive substring of the id or title.' })
  @MaxLength(200)
  search?: string;
}

@Resolver(() => Item)
export class ItemResolver {
  @Authorized()
  @Query(() => Item, { nullable: true })
  async item(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Item | null> {
    const node = await ctx.loaders.item.load(id);
    return node ? toItem(node) : null;
  }

  @Authorized()
  @Query(() => ItemConnection, { description: 'Items ordered by id, a page at a time (cursor paging).' })
  async items(
    @Arg('filter', () => ItemFilter, { nullable: true }) filter: ItemFilter | undefined,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | undefined,
    @Ctx() ctx: GatewayContext,
  ): Promise<ItemConnection> {
    requireRange('first', first, 1, 500);
    if (after !== undefined && !/^[A-Za-z0-9_-]{1,400}$/.test(after)) throw inputError('after must be a cursor returned as pageInfo.endCursor', 'after');
    const page = await ctx.app.store.listItems({ first, after, categories: filter?.categories, search: filter?.search });
    for (const node of page.items) ctx.loaders.item.prime(node.id, node);
    return {
      edges: page.items.map((node) => ({ cursor: encodeCursor(node.id), node: toItem(node) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      totalCount: page.totalCount,
    };
  }

  @FieldResolver(() => Category, { nullable: true, description: "The item's category node." })
  async categoryDetails(@Root() item: Item, @Ctx() ctx: GatewayContext): Promise<Category | null> {
    return item.category === null ? null : ctx.loaders.category.load(item.category);
  }

  @FieldResolver(() => [Attribute])
  attributes(@Root() item: Item): Attribute[] {
    return Object.entries(item.attributes ?? {}).map(([key, value]) => ({ key, value }));
  }

  @FieldResolver(() => [Recommendation], { description: 'Items engaged with by the same shoppers.' })
  async similar(
    @Root() item: Item,
    @Arg('first', () => Int, { defaultValue: 5 }) first: number,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Recommendation[]> {
    requireRange('first', first, 1, 100);
    return withItems(await ctx.app.recommender.similarItems(item.id, first), ctx, info);
  }
}
