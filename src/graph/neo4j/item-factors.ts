import neo4j from 'neo4j-driver';
import type { ItemFactorModel, ItemFactorStore, ItemFactorWrite } from '../stores/item-factors';
import type { Neo4jSession } from './session';

/**
 * Item factors on Neo4j: each item's ALS vector is the `alsFactors` property of its `(:Item)` node
 * (a LIST<FLOAT>), tagged with the fit it came from (`alsFit`, indexed by migration 5), and the fit's
 * header (dimension, hyperparameters, fit time, data position, item count) is `(:Meta {id: 'als'})`.
 *
 * Written by `writeItemFactors` after a gateway's refit is swapped in, off the request path: vectors in
 * batches of `WRITE_BATCH` items, one write transaction each, then the header. Read by
 * `readItemFactors` when a gateway starts, so that it serves `als` at once instead of fitting first (at
 * 5M interactions a fit takes minutes; reading 50,000 vectors takes seconds).
 *
 * Why the fit tag: a fit's vectors are in its own basis (each fit is rotated into the eigenbasis of its
 * Gram matrix, als.ts), so vectors of two fits must never be mixed. The header names the fit whose vectors
 * are complete (it is written last); a reader takes only the items tagged with that fit, and when fewer
 * than the header counts are found (another gateway's write has overwritten some of them since), it reports
 * no model rather than a partial one. Vectors of items the newest fit did not cover keep an older tag and
 * are ignored.
 *
 * Not kept: a vector index (`CREATE VECTOR INDEX ... OPTIONS {indexConfig: {`vector.dimensions`: k,
 * `vector.similarity_function`: 'cosine'}}`, queried with `db.index.vector.queryNodes`). Nothing would read
 * it: every gateway holds the same factors in memory, where scoring an item against all 50,000 is an exact
 * scan of a few ms with no round trip, while the index answers approximately, over a network hop on the
 * request path (issue 16 took the per-request Neo4j reads off it), and lags the served fit. See
 * ARCHITECTURE.md, "Item factors on the graph and in a file".
 */
export const WRITE_BATCH = 2000;
const READ_PAGE = 5000;

export class Neo4jItemFactors implements ItemFactorStore {
  constructor(private readonly session: Neo4jSession) {}

  async writeItemFactors(model: ItemFactorModel): Promise<ItemFactorWrite> {
    const k = model.factors;
    const fitId = `${model.fittedAt}-${Math.random().toString(36).slice(2, 10)}`;
    let written = 0;
    for (let from = 0; from < model.itemIds.length; from += WRITE_BATCH) {
      const rows: { id: string; v: number[] }[] = [];
      for (let j = from; j < Math.min(from + WRITE_BATCH, model.itemIds.length); j++)
        rows.push({ id: model.itemIds[j]!, v: Array.from(model.vectors.subarray(j * k, j * k + k)) });
      // in turn with this instance's batch writes, which lock the same item nodes (Neo4jSession.serialized):
      // one batch of vectors at a time, so ingestion waits for one batch at most, never for the whole model
      const res = await this.session.serialized(() =>
        this.session.write((tx) =>
          tx.run('UNWIND $rows AS row MATCH (i:Item {id: row.id}) SET i.alsFactors = row.v, i.alsFit = $fitId RETURN count(i) AS written', { rows, fitId }),
        ),
      );
      written += Number(res.records[0]?.get('written') ?? 0);
    }
    const { itemIds: _ids, vectors: _vectors, ...header } = model;
    // the count a reader must find: the items written, not the model's (an item not in the graph got none)
    await this.session.write((tx) =>
      tx.run("MERGE (m:Meta {id: 'als'}) SET m.fitId = $fitId, m.items = $items, m.header = $header", {
        fitId,
        items: written,
        header: JSON.stringify(header),
      }),
    );
    return { written, notInGraph: model.itemIds.length - written };
  }

  async readItemFactors(): Promise<ItemFactorModel | null> {
    const head = await this.session.read((tx) => tx.run("MATCH (m:Meta {id: 'als'}) RETURN m.fitId AS fitId, m.items AS items, m.header AS header"));
    const r = head.records[0];
    if (!r || typeof r.get('header') !== 'string') return null;
    const fitId = r.get('fitId') as string;
    const expected = Number(r.get('items'));
    const header = JSON.parse(r.get('header') as string) as Omit<ItemFactorModel, 'itemIds' | 'vectors'>;
    const k = header.factors;
    const itemIds: string[] = [];
    const vectors = new Float64Array(expected * k);
    let after: string | null = null;
    for (;;) {
      const page = await this.session.read((tx) =>
        tx.run(
          `MATCH (i:Item) WHERE i.alsFit = $fitId AND ($after IS NULL OR i.id > $after)
           RETURN i.id AS id, i.alsFactors AS v ORDER BY i.id LIMIT $limit`,
          { fitId, after, limit: neo4j.int(READ_PAGE) },
        ),
      );
      for (const rec of page.records) {
        const v = rec.get('v') as number[];
        if (itemIds.length >= expected || v.length !== k) return null;
        vectors.set(v, itemIds.length * k);
        itemIds.push(rec.get('id') as string);
      }
      if (page.records.length < READ_PAGE) break;
      after = itemIds[itemIds.length - 1]!;
    }
    // fewer than the header counts: another fit's write has replaced some of these since (see above)
    if (itemIds.length !== expected) return null;
    return { ...header, itemIds, vectors };
  }
}
