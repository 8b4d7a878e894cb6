import { EventResolver } from './event.resolver';
import { ItemResolver } from './item.resolver';
import { RecommendationResolver } from './recommendation.resolver';
import { InteractionResolver, UserResolver } from './user.resolver';

/** Every resolver class of the schema; buildSchema takes this list. */
export const resolvers = [RecommendationResolver, ItemResolver, UserResolver, InteractionResolver, EventResolver] as const;
