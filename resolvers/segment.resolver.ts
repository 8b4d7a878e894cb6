import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ANALYSTS, assertActsFor } from '../src/auth/policy';
import type { GatewayContext } from './context';
import { NoCustomersError } from '../src/segments/service';
import { ItemType } from '../graph-models/item.model';
import { SegmentCategoryType, SegmentRefitResultType, SegmentType } from '../graph-models/segment.model';
import { UserConnection, UserType } from '../graph-models/user.model';
import { inputError, requireRange } from './errors';
import { toItem } from './mappers/item';
import { toRefitResult, toSegments } from './mappers/segment';
import { toUserConnection } from './mappers/user';

async function allSegments(ctx: GatewayContext): Promise<SegmentType[]> {
  return toSegments(await ctx.app.segments.segments());
}

/** Per-request loader of users' segment ids (one store call per tick). */
const segmentLoaders = new WeakMap<object, DataLoader<string, string | null>>();
function segmentIdLoader(ctx: GatewayContext): DataLoader<string, string | null> {
  let l = segmentLoaders.get(ctx.loaders);
  if (!l) segmentLoaders.set(ctx.loaders, (l = new DataLoader((ids) => ctx.app.segments.segmentOf(ids))));
  return l;
}

@Resolver(() => SegmentType)
export class SegmentResolver {
  @Authorized(ANALYSTS)
  @Query(() => [SegmentType], { description: 'Customer segments of the last fit (RFM clustering of the graph), by id; empty before the first fit.' })
  async segments(@Ctx() ctx: GatewayContext): Promise<SegmentType[]> {
    return allSegments(ctx);
  }

  @Authorized(ANALYSTS)
  @Query(() => SegmentType, { nullable: true })
  async segment(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<SegmentType | null> {
    return (await allSegments(ctx)).find((s) => s.id === id) ?? null;
  }

  @Authorized(ANALYSTS)
  @FieldResolver(() => [ItemType], { description: "Items bought by the most of the segment's members, best first." })
  async topItems(@Root() segment: SegmentType, @Arg('first', () => Int, { defaultValue: 5 }) first: number, @Ctx() ctx: GatewayContext): Promise<ItemType[]> {
    requireRange('first', first, 1, 50);
    const ids = segment.topItemIds.slice(0, first);
    const nodes = await ctx.loaders.item.loadMany(ids);
    return nodes.flatMap((n) => (n && !(n instanceof Error) ? [toItem(n)] : []));
  }

  @Authorized(ANALYSTS)
  @FieldResolver(() => [SegmentCategoryType], { description: "Categories the most of the segment's members bought from, best first." })
  topCategories(@Root() segment: SegmentType, @Arg('first', () => Int, { defaultValue: 5 }) first: number): SegmentCategoryType[] {
    requireRange('first', first, 1, 50);
    return segment.categories.slice(0, first);
  }

  @Authorized(ANALYSTS)
  @FieldResolver(() => UserConnection, { description: 'Members, a page at a time (cursor paging, in the order users were first seen).' })
  async users(
    @Root() segment: SegmentType,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | undefined,
    @Ctx() ctx: GatewayContext,
  ): Promise<UserConnection> {
    requireRange('first', first, 1, 500);
    if (after !== undefined && after !== null && !/^[A-Za-z0-9_-]{1,400}$/.test(after))
      throw inputError('after must be a cursor returned as pageInfo.endCursor', 'after');
    const page = await ctx.app.segments.members(segment.id, first, after ?? undefined);
    return toUserConnection(page, await ctx.loaders.user.loadMany(page.userIds));
  }

  @Authorized('admin')
  @Mutation(() => SegmentRefitResultType, {
    description:
      'Refits the segments now from the whole graph (in a worker thread: requests keep being served) and re-assigns every customer. Segment ids carry over from the previous fit.',
  })
  async refreshSegments(@Ctx() ctx: GatewayContext): Promise<SegmentRefitResultType> {
    let r;
    try {
      r = await ctx.app.segments.refit();
    } catch (err) {
      if (err instanceof NoCustomersError) throw new GraphQLError(err.message, { extensions: { code: 'UNAVAILABLE' } });
      throw err;
    }
    return toRefitResult(r, await allSegments(ctx));
  }
}

@Resolver(() => UserType)
export class UserSegmentResolver {
  // Any role may ask, for a user it may act for: a shopper sees their own segment's id and name (the
  // other Segment fields are for analysts), wherever the User was reached from.
  @Authorized()
  @FieldResolver(() => SegmentType, {
    nullable: true,
    description:
      "The customer's segment (null for users without a purchase, or before the first fit). Shoppers and services see its id and name; the rest is for analysts.",
  })
  async segment(@Root() user: UserType, @Ctx() ctx: GatewayContext): Promise<SegmentType | null> {
    assertActsFor(ctx.identity, user.id);
    const id = await segmentIdLoader(ctx).load(user.id);
    if (id === null) return null;
    return (await allSegments(ctx)).find((s) => s.id === id) ?? null;
  }
}
