/**
 * Recommender settings the configuration validates (src/config/config.ts may import this file, not the
 * recommender).
 */

/**
 * Strategies a replica (FLYWHEEL_ITEM_MODEL=replica) cannot serve: they read every user's history, which a
 * replica does not hold.
 */
export const REPLICA_UNSERVED: readonly string[] = ['user-knn', 'als'];
