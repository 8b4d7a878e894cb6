import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, ID, Info, Int, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { GatewayContext } from './context';
import { assertActsFor } from '../src/auth/policy';
import { TOPIC_USER_UPDATED, type UserUpdated } from './pubsub';
import { RecommendationFilterInput, RecommendationType } from '../graph-models/recommendation.model';
import { inputError, requireRange } from './errors';
import { toRecommendRequest } from './mappers/recommendation';
import { serveSimilarItems, withItems } from './recommendation-items';
import { serveRecommendations } from '../src/app/serving';

const MAX_FIRST = 100;

@Resolver(() => RecommendationType)
export class RecommendationResolver {
  @Authorized()
  @Query(() => [RecommendationType], {
    description: 'Items for this user from collaborative filtering on the user-item graph, best first; popular items fill in when history is short.',
  })
  async recommendations(
    @Arg('userId', () => ID) userId: string,
    @Arg('first', () => Int, { defaultValue: 10 }) first: number,
    @Arg('filter', () => RecommendationFilterInput, { nullable: true }) filter: RecommendationFilterInput | undefined,
    @Arg('strategy', () => String, {
      nullable: true,
      description:
        "Scoring strategy (local-ease, item-knn, rp3beta, user-knn, blend, popular, segment-popular: what the customers of the user's segment buy most); the configured default when omitted.",
    })
    strategy: string | undefined,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<RecommendationType[]> {
    requireRange('first', first, 1, MAX_FIRST);
    assertActsFor(ctx.identity, userId);
    const names = ctx.app.recommender.strategies().map((s) => s.name);
    if (strategy && !names.includes(strategy)) throw inputError(`unknown strategy "${strategy}"; choose one of ${names.join(', ')}`, 'strategy');
    const { scored, served } = await serveRecommendations(ctx.app, toRecommendRequest(userId, first, strategy, filter));
    return withItems(scored, served, ctx, info);
  }

  @Authorized()
  @Query(() => [RecommendationType], { description: 'Items most often engaged with by the same shoppers as this one.' })
  async similarItems(
    @Arg('itemId', () => ID) itemId: string,
    @Arg('first', () => Int, { defaultValue: 10 }) first: number,
    @Arg('userId', () => ID, {
      nullable: true,
      description:
        'Who the list is shown to (a customer id, or "session:<id>"), so the impression and the outcomes on it are theirs; a shopper\'s own user when omitted.',
    })
    userId: string | undefined,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<RecommendationType[]> {
    requireRange('first', first, 1, MAX_FIRST);
    if (userId != null) assertActsFor(ctx.identity, userId);
    return serveSimilarItems(itemId, first, userId ?? undefined, ctx, info);
  }

  @Authorized()
  @Subscription(() => [RecommendationType], {
    topics: TOPIC_USER_UPDATED,
    topicId: ({ args, context }) => {
      // Checked when the subscription starts, so a shopper cannot listen to another user's updates.
      assertActsFor((context as GatewayContext).identity, (args as { userId: string }).userId);
      return (args as { userId: string }).userId;
    },
    description: "Pushes the user's fresh recommendations each time an event of theirs reaches the graph.",
  })
  async recommendationsChanged(
    @Root() update: UserUpdated,
    @Arg('userId', () => ID) _userId: string,
    @Arg('first', () => Int, { defaultValue: 10 }) first: number,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<RecommendationType[]> {
    requireRange('first', first, 1, MAX_FIRST);
    // A pushed list is shown too: it is an impression like an answered one (and an exposure in an experiment).
    const { scored, served } = await serveRecommendations(ctx.app, { userId: update.userId, first }, 'recommendationsChanged');
    return withItems(scored, served, ctx, info);
  }
}
