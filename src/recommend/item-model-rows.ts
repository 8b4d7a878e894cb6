import type { InteractionIndex } from './interactions';
import type { ItemModel, Neighbours } from './item-model';

/**
 * The learned item-item model as it travels from the gateway that solves it (the publisher) to the gateways
 * that only serve it (replicas): one row per item, keyed by the item's id, holding what the neighbourhood
 * strategies read (item-knn's and rp3beta's lists, the item's Local EASE column) with neighbours named by
 * item id, since the dense indexes are each process's own. A row is the item's whole state, so the newest
 * row per item is all a replica needs (a compacted Kafka topic keeps exactly that).
 *
 * Weights are float32 in the model; JSON prints a float32 widened to a double exactly and reads it back
 * to the same double, so a replica serves the publisher's weights bit for bit.
 */
export const ITEM_MODEL_ROW_VERSION = 1;

export interface ItemModelRow {
  v: typeof ITEM_MODEL_ROW_VERSION;
  item: string;
  /** Distinct shoppers of the item when it was solved: popularity for a replica, which keeps no postings. */
  degree: number;
  /** Neighbour ids and weights, best first. */
  knn: NeighbourRow;
  rp3: NeighbourRow;
  /** The Local EASE column: the item's regressors and their weights. */
  ease: NeighbourRow;
}

export interface NeighbourRow {
  ids: string[];
  w: number[];
}

/** Rows for these items (dense indexes of `index`), as the publisher's model holds them now. */
export function exportRows(index: InteractionIndex, model: ItemModel, items: readonly number[]): ItemModelRow[] {
  const ids = (l: Neighbours | undefined): NeighbourRow => ({
    ids: l ? Array.from(l.j, (j) => index.items[j]!.id) : [],
    w: l ? Array.from(l.w) : [],
  });
  return items.map((i) => ({
    v: ITEM_MODEL_ROW_VERSION,
    item: index.items[i]!.id,
    degree: index.degree(i),
    knn: ids(model.knn[i]),
    rp3: ids(model.rp3[i]),
    ease: ids(model.easeIn[i]),
  }));
}

export class ItemModelRowError extends Error {
  override readonly name = 'ItemModelRowError';
}

/** Checks a decoded record is a row of this version; throws ItemModelRowError naming what is wrong. */
export function parseRow(value: unknown): ItemModelRow {
  if (typeof value !== 'object' || value === null) throw new ItemModelRowError('not an object');
  const r = value as Record<string, unknown>;
  if (r['v'] !== ITEM_MODEL_ROW_VERSION) throw new ItemModelRowError(`version ${JSON.stringify(r['v'])}, this gateway reads ${ITEM_MODEL_ROW_VERSION}`);
  if (typeof r['item'] !== 'string' || r['item'] === '') throw new ItemModelRowError('item: not a non-empty string');
  const degree = r['degree'];
  if (typeof degree !== 'number' || !Number.isInteger(degree) || degree < 0) throw new ItemModelRowError('degree: not a non-negative integer');
  for (const key of ['knn', 'rp3', 'ease'] as const) {
    const l = r[key] as Record<string, unknown> | undefined;
    if (typeof l !== 'object' || l === null || !Array.isArray(l['ids']) || !Array.isArray(l['w']))
      throw new ItemModelRowError(`${key}: not {ids: string[], w: number[]}`);
    const { ids, w } = l as { ids: unknown[]; w: unknown[] };
    if (ids.length !== w.length) throw new ItemModelRowError(`${key}: ${ids.length} ids but ${w.length} weights`);
    if (!ids.every((x) => typeof x === 'string' && x !== '')) throw new ItemModelRowError(`${key}: an id is not a non-empty string`);
    if (!w.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new ItemModelRowError(`${key}: a weight is not a finite number`);
  }
  return value as ItemModelRow;
}

/** Installs rows in a replica's model: neighbours interned in its index, the item's popularity taken as shipped. */
export function installRows(index: InteractionIndex, model: ItemModel, rows: readonly ItemModelRow[]): void {
  const lists = (l: NeighbourRow): Neighbours => ({ j: Int32Array.from(l.ids, (id) => index.internItem(id)), w: Float32Array.from(l.w) });
  for (const row of rows) {
    const i = index.internItem(row.item);
    index.setDegree(i, row.degree);
    model.installRow(i, { knn: lists(row.knn), rp3: lists(row.rp3), easeIn: lists(row.ease) });
  }
}
