import { redactIds, type EraseOptions, type ErasureReport, type ErasureStore } from '../stores/erasure';
import type { GraphState } from './graph-state';
import { dumpGraph, loadGraph } from './snapshot';

/** Right to erasure on the embedded graph; the erasure list is snapshotted and read by every apply (writes.ts). */
export class MemoryErasure implements ErasureStore {
  constructor(private readonly state: GraphState) {}

  async eraseUser(userId: string, options: EraseOptions = {}): Promise<ErasureReport> {
    return this.eraseSync(userId, options);
  }

  async erasedActors(): Promise<Map<string, number>> {
    return new Map(this.state.erased);
  }

  /**
   * Erasure rebuilds the graph from its own dump without the actors: every derived structure (item user
   * lists, category sets, segment arrays, anomaly indexes) is rebuilt the way a snapshot restore builds
   * it, so nothing they contributed survives. O(graph), synchronous (no event is applied half-way), rare
   * (an admin request).
   */
  eraseSync(userId: string, options: EraseOptions = {}): ErasureReport {
    const state = this.state;
    const at = options.at ?? Date.now();
    const actors = [userId, ...(options.sessions ?? []).map((s) => `session:${s}`)];
    for (const a of actors) state.erased.set(a, Math.max(at, state.erased.get(a) ?? 0));
    state.erasureDirty = true;
    const drop = new Set<number>();
    for (const a of actors) {
      const u = state.userIndex.get(a);
      if (u !== undefined) drop.add(u);
    }
    const actorSet = new Set(actors);
    const snap = dumpGraph(state);
    const itemsAffected = new Set<string>();
    let interactionsRemoved = 0;
    let segmentMemberships = 0;
    let anomaliesRemoved = 0;
    let anomaliesRedacted = 0;
    let eventsRemoved = 0;
    for (const u of drop) {
      eventsRemoved += state.users[u]!.events;
      for (const e of state.users[u]!.edges.values()) {
        interactionsRemoved++;
        itemsAffected.add(state.items[e.item]!.id);
      }
      if (state.segments.get(u) !== null) segmentMemberships++;
    }
    const remap = new Int32Array(state.users.length);
    let next = 0;
    for (let u = 0; u < state.users.length; u++) remap[u] = drop.has(u) ? -1 : next++;
    snap.users = snap.users.filter((_, u) => !drop.has(u));
    snap.edges = snap.edges
      .filter((e) => !drop.has(e[0]))
      .map((e) => {
        e[0] = remap[e[0]]!;
        return e;
      });
    snap.orders = (snap.orders ?? []).filter(([u]) => !drop.has(u)).map(([u, o]) => [remap[u]!, o]);
    if (snap.segments) snap.segments = { ...snap.segments, of: snap.segments.of.filter((_, u) => !drop.has(u)) };
    if (snap.anomalies) {
      const records: typeof snap.anomalies.records = [];
      for (const [seq, rec] of snap.anomalies.records) {
        if ((rec.userId !== null && actorSet.has(rec.userId)) || actorSet.has(rec.entityId)) {
          anomaliesRemoved++;
          continue;
        }
        const message = redactIds(rec.message, actors);
        const evidence = rec.evidence === null ? null : redactIds(rec.evidence, actors);
        if (message !== rec.message || evidence !== rec.evidence) anomaliesRedacted++;
        records.push([seq, { ...rec, message, evidence }]);
      }
      snap.anomalies = { ...snap.anomalies, records, excludedActors: snap.anomalies.excludedActors.filter((a) => !actorSet.has(a)) };
    }
    if (options.eventIds && options.eventIds.length > 0) {
      const ids = new Set(options.eventIds);
      snap.appliedIds = snap.appliedIds.filter((id) => !ids.has(id));
      if (snap.appliedIdsPrevious) snap.appliedIdsPrevious = snap.appliedIdsPrevious.filter((id) => !ids.has(id));
    }
    snap.eventsApplied = Math.max(0, snap.eventsApplied - eventsRemoved);
    state.reset();
    loadGraph(state, snap);
    return {
      actors,
      found: drop.size > 0,
      interactionsRemoved,
      itemsAffected: [...itemsAffected].sort(),
      segmentMemberships,
      anomaliesRemoved,
      anomaliesRedacted,
    };
  }
}
