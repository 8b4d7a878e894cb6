import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { GatewayContext } from './context';
import { assertActsFor } from '../src/auth/policy';
import { interactionsKey } from './loaders';
import { Item } from '../graph-models/item.model';
import { Interaction, User } from '../graph-models/user.model';
import { requireRange } from './errors';
import { toInteraction, toItem, toUser } from './mappers';

@Resolver(() => User)
export class UserResolver {
  @Authorized()
  @Query(() => User, { nullable: true, description: 'A customer by id, or an anonymous session as "session:<id>".' })
  async user(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<User | null> {
    assertActsFor(ctx.identity, id);
    const node = await ctx.loaders.user.load(id);
    return node ? toUser(node) : null;
  }

  // Checked on the field as well as on Query.user: a User can be reached by other paths (segment members).
  @Authorized()
  @FieldResolver(() => [Interaction], { description: 'Interaction edges, most recent first.' })
  async recentInteractions(
    @Root() user: User,
    @Arg('first', () => Int, { defaultValue: 10 }) first: number,
    @Ctx() ctx: GatewayContext,
  ): Promise<Interaction[]> {
    assertActsFor(ctx.identity, user.id);
    requireRange('first', first, 1, 200);
    const edges = await ctx.loaders.interactions.load(interactionsKey(user.id, first));
    return edges.map(toInteraction);
  }
}

@Resolver(() => Interaction)
export class InteractionResolver {
  @FieldResolver(() => Item)
  async item(@Root() interaction: Interaction, @Ctx() ctx: GatewayContext): Promise<Item> {
    const node = await ctx.loaders.item.load(interaction.itemId);
    return toItem(node ?? { id: interaction.itemId, title: interaction.itemId, category: null, price: null, attributes: {}, inCatalog: false, userCount: 0 });
  }
}
