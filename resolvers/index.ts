import { AnomalyResolver, ItemAnomalyResolver, UserAnomalyResolver } from './anomaly.resolver';
import { EventResolver } from './event.resolver';
import { PrivacyResolver } from './privacy.resolver';
import { ItemResolver } from './item.resolver';
import { RecommendationResolver } from './recommendation.resolver';
import { SegmentResolver, UserSegmentResolver } from './segment.resolver';
import { InteractionResolver, UserResolver } from './user.resolver';

/** Every resolver class of the schema; buildSchema takes this list. */
export const resolvers = [RecommendationResolver, ItemResolver, UserResolver, InteractionResolver, EventResolver, AnomalyResolver, UserAnomalyResolver, ItemAnomalyResolver, SegmentResolver, UserSegmentResolver, PrivacyResolver] as const;
