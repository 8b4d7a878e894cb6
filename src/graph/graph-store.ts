import type { AnomalyStore } from './stores/anomalies';
import type { ErasureStore } from './stores/erasure';
import type { GraphReadStore } from './stores/graph-reads';
import type { GraphWriteStore } from './stores/graph-writes';
import type { ItemFactorStore } from './stores/item-factors';
import type { SegmentStore } from './stores/segments';

/**
 * The graph store seam: the user-item graph every read path works on, as one store per concern
 * (`stores/`): graph writes, graph reads, anomalies, segments, erasure. Each consumer depends on the
 * narrowest of them it uses; `GraphStore` is all of them plus the lifecycle, what a backend implements
 * and the composition root holds.
 *
 * Two implementations: the embedded in-memory graph (with snapshots, `embedded/`) and Neo4j (`neo4j/`),
 * each split by the same concerns.
 */
export interface GraphStore extends GraphWriteStore, GraphReadStore, AnomalyStore, SegmentStore, ErasureStore {
  readonly backend: 'embedded' | 'neo4j';
  /** The ALS item factors kept with the graph (Neo4j); absent where the backend keeps none (embedded). */
  readonly itemFactors?: ItemFactorStore;
  close(): Promise<void>;
}

// The record types and helpers of every concern, for callers that import them from the seam.
export * from './stores/graph-writes';
export * from './stores/graph-reads';
export * from './stores/anomalies';
export * from './stores/segments';
export * from './stores/erasure';
export * from './stores/item-factors';
export * from './stores/cursor';
export * from './stores/store-unavailable';
