import neo4j from 'neo4j-driver';
import { redactIds, type EraseOptions, type ErasureReport, type ErasureStore } from '../stores/erasure';
import type { Neo4jSession } from './session';

/** Right to erasure on Neo4j; the erasure list is `(:Erased {id, at})`, read by every batch apply (writes.ts). */
export class Neo4jErasure implements ErasureStore {
  constructor(private readonly session: Neo4jSession) {}

  /**
   * One write transaction: records `(:Erased {id, at})` for each actor, takes the actor's positive edges
   * out of the items' userCount (unless the actor was already excluded), DETACH DELETEs the user (its
   * INTERACTED and IN_SEGMENT relationships go with it), deletes the findings linked to it and redacts its
   * id in other findings' message / evidence, so no count still includes it.
   */
  async eraseUser(userId: string, options: EraseOptions = {}): Promise<ErasureReport> {
    const at = options.at ?? Date.now();
    const actors = [userId, ...(options.sessions ?? []).map((s) => `session:${s}`)];
    return this.session.serialized(() =>
      this.session.write(async (tx) => {
        await tx.run('UNWIND $ids AS id MERGE (x:Erased {id: id}) SET x.at = CASE WHEN x.at IS NULL OR x.at < $at THEN $at ELSE x.at END', { ids: actors, at });
        const found = await tx.run(
          `UNWIND $ids AS id
         MATCH (u:User {id: id})
         OPTIONAL MATCH (u)-[seg:IN_SEGMENT]->(:Segment)
         WITH u, count(seg) AS segs
         OPTIONAL MATCH (u)-[r:INTERACTED]->(i:Item)
         RETURN u.id AS id, coalesce(u.eventCount, 0) AS events, segs, collect({item: i.id, positive: r.weight > 0 AND NOT coalesce(u.excluded, false)}) AS edges`,
          { ids: actors },
        );
        let interactionsRemoved = 0;
        let segmentMemberships = 0;
        let events = 0;
        const affected = new Set<string>();
        const decrements = new Map<string, number>();
        for (const r of found.records) {
          events += Number(r.get('events'));
          segmentMemberships += Number(r.get('segs'));
          for (const e of r.get('edges') as { item: string | null; positive: boolean | null }[]) {
            if (e.item === null) continue;
            interactionsRemoved++;
            affected.add(e.item);
            if (e.positive) decrements.set(e.item, (decrements.get(e.item) ?? 0) + 1);
          }
        }
        if (decrements.size > 0) {
          await tx.run('UNWIND $rows AS row MATCH (i:Item {id: row.id}) SET i.userCount = i.userCount - row.n', {
            rows: [...decrements].map(([id, n]) => ({ id, n: neo4j.int(n) })),
          });
        }
        await tx.run('UNWIND $ids AS id MATCH (u:User {id: id}) DETACH DELETE u', { ids: actors });
        const removed = await tx.run('MATCH (a:Anomaly) WHERE a.userId IN $ids OR a.entityId IN $ids DETACH DELETE a RETURN count(*) AS n', { ids: actors });
        const mentions = await tx.run(
          'MATCH (a:Anomaly) WHERE any(id IN $ids WHERE a.message CONTAINS id OR coalesce(a.evidence, "") CONTAINS id) RETURN a.id AS id, a.message AS message, a.evidence AS evidence',
          { ids: actors },
        );
        const redactions = mentions.records
          .map((r) => {
            const message = r.get('message') as string;
            const evidence = r.get('evidence') as string | null;
            return {
              id: r.get('id') as string,
              message: redactIds(message, actors),
              evidence: evidence === null ? null : redactIds(evidence, actors),
              changed: false,
              old: [message, evidence],
            };
          })
          .filter((x) => x.message !== x.old[0] || x.evidence !== x.old[1])
          .map(({ id, message, evidence }) => ({ id, message, evidence }));
        if (redactions.length > 0)
          await tx.run('UNWIND $rows AS row MATCH (a:Anomaly {id: row.id}) SET a.message = row.message, a.evidence = row.evidence', { rows: redactions });
        if (events > 0)
          await tx.run("MATCH (m:Meta {id: 'graph'}) SET m.eventsApplied = CASE WHEN m.eventsApplied > $n THEN m.eventsApplied - $n ELSE 0 END", {
            n: neo4j.int(events),
          });
        if (options.eventIds && options.eventIds.length > 0)
          await tx.run('UNWIND $ids AS id MATCH (e:Event {id: id}) DELETE e', { ids: [...options.eventIds] });
        const itemsAffected = [...affected].sort();
        return {
          actors,
          found: found.records.length > 0,
          interactionsRemoved,
          itemsAffected,
          segmentMemberships,
          anomaliesRemoved: Number(removed.records[0]?.get('n') ?? 0),
          anomaliesRedacted: redactions.length,
        };
      }),
    );
  }

  async erasedActors(): Promise<Map<string, number>> {
    const res = await this.session.read((tx) => tx.run('MATCH (x:Erased) RETURN x.id AS id, x.at AS at'));
    return new Map(res.records.map((r) => [r.get('id') as string, Number(r.get('at'))]));
  }
}
