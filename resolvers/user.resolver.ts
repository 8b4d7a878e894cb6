import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { GatewayContext } from './context';
import { ANALYSTS, assertActsFor } from '../src/auth/policy';
import { interactionsKey } from './loaders';
import { ItemType } from '../graph-models/item.model';
import { InteractionType, UserType } from '../graph-models/user.model';
import { requireRange } from './errors';
import { toItem, unknownItem } from './mappers/item';
import { toInteraction, toUser } from './mappers/user';

@Resolver(() => UserType)
export class UserResolver {
  @Authorized()
  @Query(() => UserType, { nullable: true, description: 'A customer by id, or an anonymous session as "session:<id>".' })
  async user(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<UserType | null> {
    assertActsFor(ctx.identity, id);
    const node = await ctx.loaders.user.load(id);
    return node ? toUser(node) : null;
  }

  // Checked on the field as well as on Query.user: a User can be reached by other paths (segment members).
  @Authorized()
  @FieldResolver(() => [InteractionType], { description: 'Interaction edges, most recent first.' })
  async recentInteractions(
    @Root() user: UserType,
    @Arg('first', () => Int, { defaultValue: 10 }) first: number,
    @Ctx() ctx: GatewayContext,
  ): Promise<InteractionType[]> {
    assertActsFor(ctx.identity, user.id);
    requireRange('first', first, 1, 200);
    const edges = await ctx.loaders.interactions.load(interactionsKey(user.id, first));
    return edges.map(toInteraction);
  }
}

@Resolver(() => InteractionType)
export class InteractionResolver {
  @FieldResolver(() => ItemType)
  async item(@Root() interaction: InteractionType, @Ctx() ctx: GatewayContext): Promise<ItemType> {
    const node = await ctx.loaders.item.load(interaction.itemId);
    return node ? toItem(node) : unknownItem(interaction.itemId);
  }
}

@Resolver(() => ItemType)
export class ItemInteractionsResolver {
  // Who did what with an item is other customers' behaviour: analysts and admins only.
  @Authorized(ANALYSTS)
  @FieldResolver(() => [InteractionType], {
    description: "The item's interaction edges (users who engaged with it), most recent first: its neighbourhood in the user-item graph.",
  })
  async recentInteractions(
    @Root() item: ItemType,
    @Arg('first', () => Int, { defaultValue: 10 }) first: number,
    @Ctx() ctx: GatewayContext,
  ): Promise<InteractionType[]> {
    requireRange('first', first, 1, 200);
    const [edges] = await ctx.app.store.getItemInteractions([item.id], first);
    return (edges ?? []).map(toInteraction);
  }
}
