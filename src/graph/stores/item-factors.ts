/**
 * Item factors of the matrix factorisation (`als`, src/recommend/als.ts) kept with the graph: an optional
 * ability of a graph store (`GraphStore.itemFactors`), offered by the Neo4j backend only. The embedded
 * backend has no such store: one process holds the graph and the factors, and a factor file
 * (`FLYWHEEL_ALS_MODEL_FILE`, `flywheel export-als`) is how its model travels.
 *
 * What is stored is what a gateway needs to serve `als` without fitting first: every item's vector (rows
 * in `itemIds` order), the hyperparameters the fit ran with, when it ran, and how much data it saw.
 */
export interface ItemFactorModel {
  /** Layout version of the record (the file format and the Neo4j header share it). */
  formatVersion: number;
  /** Factors per item (the vectors' dimension). */
  factors: number;
  /** The fit's hyperparameters (names as in AlsOptions). */
  hyperparameters: Readonly<Record<string, number | string>>;
  /** Wall-clock time the fit finished, epoch ms. */
  fittedAt: number;
  fitMs: number;
  /** The data the fit saw: the interaction index's counts when it started, and its latest event time. */
  position: ItemFactorPosition;
  itemIds: readonly string[];
  /**
   * itemIds.length x factors, row-major. Any orthogonal basis serves (scores are dot products); a fit stores
   * the basis it served in, and a loader re-derives what it needs from the rows themselves.
   */
  vectors: Float64Array;
}

export interface ItemFactorPosition {
  interactions: number;
  users: number;
  items: number;
  /** Time of the newest event in the data, epoch ms (null: no events). */
  latestEventAt: number | null;
}

export interface ItemFactorWrite {
  /** Items whose vectors were stored. */
  written: number;
  /** Items of the model the graph does not hold (yet): no vector stored for them. */
  notInGraph: number;
}

export interface ItemFactorStore {
  /**
   * Replaces the stored model with this one: vectors in batches (one write transaction each, off the request
   * path), the header last, so a reader never takes a half-written model for a whole one. Vectors go only to
   * items the graph already holds (a gateway's recommender can see an event before the graph writer has
   * applied it); the stored model is the items written, and `notInGraph` counts the rest, for the caller to
   * write the model again once the graph has caught up.
   */
  writeItemFactors(model: ItemFactorModel): Promise<ItemFactorWrite>;
  /** The stored model, or null when there is none or it is incomplete (a write still in progress). */
  readItemFactors(): Promise<ItemFactorModel | null>;
}
