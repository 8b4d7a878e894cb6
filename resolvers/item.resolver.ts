import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import type { GatewayContext } from './context';
import { AttributeType, CategoryType, ItemConnection, ItemFilterInput, ItemType } from '../graph-models/item.model';
import { RecommendationType } from '../graph-models/recommendation.model';
import { inputError, requireRange } from './errors';
import { toAttributes, toCategory, toItem, toItemConnection } from './mappers/item';
import { serveSimilarItems } from './recommendation-items';

@Resolver(() => ItemType)
export class ItemResolver {
  @Authorized()
  @Query(() => ItemType, { nullable: true })
  async item(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<ItemType | null> {
    const node = await ctx.loaders.item.load(id);
    return node ? toItem(node) : null;
  }

  @Authorized()
  @Query(() => ItemConnection, { description: 'Items ordered by id, a page at a time (cursor paging).' })
  async items(
    @Arg('filter', () => ItemFilterInput, { nullable: true }) filter: ItemFilterInput | undefined,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | undefined,
    @Ctx() ctx: GatewayContext,
  ): Promise<ItemConnection> {
    requireRange('first', first, 1, 500);
    if (after !== undefined && !/^[A-Za-z0-9_-]{1,400}$/.test(after)) throw inputError('after must be a cursor returned as pageInfo.endCursor', 'after');
    const page = await ctx.app.store.listItems({ first, after, categories: filter?.categories, search: filter?.search });
    for (const node of page.items) ctx.loaders.item.prime(node.id, node);
    return toItemConnection(page);
  }

  @FieldResolver(() => CategoryType, { nullable: true, description: "The item's category node." })
  async categoryDetails(@Root() item: ItemType, @Ctx() ctx: GatewayContext): Promise<CategoryType | null> {
    if (item.category === null) return null;
    const node = await ctx.loaders.category.load(item.category);
    return node ? toCategory(node) : null;
  }

  @FieldResolver(() => [AttributeType])
  attributes(@Root() item: ItemType): AttributeType[] {
    return toAttributes(item.attributes);
  }

  @FieldResolver(() => [RecommendationType], { description: 'Items engaged with by the same shoppers.' })
  async similar(
    @Root() item: ItemType,
    @Arg('first', () => Int, { defaultValue: 5 }) first: number,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<RecommendationType[]> {
    requireRange('first', first, 1, 100);
    return serveSimilarItems(item.id, first, undefined, ctx, info);
  }
}
