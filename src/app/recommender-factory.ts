import { alsOptionsOf, parseWeights, type FlywheelConfig } from '../config/config';
import type { GraphStore } from '../graph/graph-store';
import { DEFAULT_STRENGTH } from '../recommend/interactions';
import { Recommender, type SegmentSource } from '../recommend/recommender';

/**
 * Builds recommenders from configuration. The recommender keeps its own typed-array view of the graph,
 * rebuilt from the store at bootstrap; erasure builds a fresh one after deleting a user, so this is a
 * factory rather than one instance. Segment-aware strategies read the user's segment through `segmentSource`.
 */
export function recommenderFactory(config: FlywheelConfig, store: GraphStore, segmentSource: SegmentSource): () => Recommender {
  return () => {
    const r = new Recommender(store, {
      halfLifeDays: config.FLYWHEEL_HALF_LIFE_DAYS,
      defaultStrategy: config.FLYWHEEL_RECOMMENDER,
      cacheEntries: config.FLYWHEEL_RECOMMENDATION_CACHE,
      model: { similarity: config.FLYWHEEL_SIMILARITY },
      userKnn: { similarity: config.FLYWHEEL_USER_SIMILARITY, neighbours: config.FLYWHEEL_USER_KNN_NEIGHBOURS },
      ...(config.FLYWHEEL_EVENT_WEIGHTS ? { typeWeights: { ...DEFAULT_STRENGTH, ...parseWeights(config.FLYWHEEL_EVENT_WEIGHTS) } } : {}),
      ...(config.FLYWHEEL_BLEND ? { blend: parseWeights(config.FLYWHEEL_BLEND) } : {}),
      als: alsOptionsOf(config),
      ...(config.FLYWHEEL_ITEM_MODEL === 'replica' ? { itemModel: 'replica' as const, residentUsers: config.FLYWHEEL_RESIDENT_USERS } : {}),
    });
    r.setSegmentSource(segmentSource);
    return r;
  };
}
