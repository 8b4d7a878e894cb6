import { actorId, graphEvents, type FlywheelEvent, type InteractionEvent } from '../../events/event';
import { idempotencyKey } from '../../events/idempotency';
import { applyToEdge, isPositive, itemPriceAfter, newEdgeState } from '../edge-rule';
import { DEFAULT_TYPE_WEIGHTS, type TypeCounts } from '../stores/graph-reads';
import type { ApplySummary } from '../stores/graph-writes';
import { removeValue, type GraphState } from './graph-state';
import { recordOrder } from '../order-times';

/**
 * Graph writes on the embedded graph: a batch lands synchronously, in one turn of the event loop.
 * Idempotent per idempotency key (the applied-key set is snapshotted); an erased actor's events from
 * before the erasure (a replayed log) are skipped. How an event changes its edge: src/graph/edge-rule.ts.
 */
export class MemoryGraphWrites {
  private readonly weights: TypeCounts;

  constructor(
    private readonly state: GraphState,
    typeWeights?: TypeCounts,
  ) {
    this.weights = typeWeights ?? DEFAULT_TYPE_WEIGHTS;
  }

  applySync(events: readonly FlywheelEvent[], logPosition?: number): ApplySummary {
    const s = this.state;
    let applied = 0;
    let duplicates = 0;
    const touchedUsers = new Set<string>();
    const touchedItems = new Set<string>();
    // Impressions are not behaviour: the graph neither applies nor remembers them (isGraphEvent).
    for (const e of graphEvents(events)) {
      const key = idempotencyKey(e);
      if (s.appliedIds.has(key)) {
        duplicates++;
        continue;
      }
      // An erased actor's events from before the erasure (a replayed log) are not applied again.
      if (e.kind === 'interaction' && s.erased.size > 0) {
        const at = s.erased.get(actorId(e));
        if (at !== undefined && e.timestamp <= at) continue;
      }
      s.appliedIds.add(key);
      if (e.kind === 'item') s.upsertItem(e);
      else touchedUsers.add(this.applyInteraction(e));
      touchedItems.add(e.itemId);
      applied++;
    }
    s.eventsApplied += applied;
    if (logPosition !== undefined && logPosition > s.position) s.position = logPosition;
    return { applied, duplicates, touchedUsers: [...touchedUsers], touchedItems: [...touchedItems] };
  }

  /** Returns the actor id. */
  private applyInteraction(e: InteractionEvent): string {
    const s = this.state;
    const actor = actorId(e);
    const u = s.internUser(actor, e.userId === undefined);
    const i = s.internItem(e.itemId);
    const user = s.users[u]!;
    const item = s.items[i]!;
    user.events++;
    if (e.timestamp < user.first) user.first = e.timestamp;
    if (e.timestamp > user.last) user.last = e.timestamp;

    let edge = user.edges.get(i);
    const wasPositive = isPositive(edge);
    // Both adjacency maps hold the same edge object: the rule updates it in place.
    if (edge) applyToEdge(edge, e, this.weights, item.price);
    else edge = s.addEdge(u, i, newEdgeState(e, this.weights, item.price));
    if (e.type === 'PURCHASE') user.orders = recordOrder(user.orders, e.timestamp);
    item.price = itemPriceAfter(item.price, e);

    const nowPositive = isPositive(edge);
    if (nowPositive !== wasPositive) {
      if (nowPositive) {
        user.positive.push(i);
        if (!s.excluded.has(u)) item.positive.push(u);
      } else {
        removeValue(user.positive, i);
        removeValue(item.positive, u);
      }
    }
    return actor;
  }
}
