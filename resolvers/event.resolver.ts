import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from './context';
import { assertActsFor } from '../src/auth/policy';
import { EVENT_SCHEMA_VERSION } from '../src/events/event';
import { DeadLetterEntry, EventInput, ItemInput, MAX_BATCH, TrackEventsResult, UpsertItemsResult } from '../graph-models/event.model';
import { inputError, requireRange } from './errors';

@Resolver()
export class EventResolver {
  @Authorized('shopper', 'service')
  @Mutation(() => TrackEventsResult, {
    description:
      'Records behaviour events. Each event is validated on its own: valid ones are stored durably, invalid ones come back in `rejected` with the reason (and are kept in the dead-letter store). On the embedded backend the events are in the graph when this returns.',
  })
  async trackEvents(@Arg('events', () => [EventInput]) events: EventInput[], @Ctx() ctx: GatewayContext): Promise<TrackEventsResult> {
    checkBatch('events', events.length);
    // A shopper may send only their own events; services send for anyone.
    for (const e of events) assertActsFor(ctx.identity, e.userId ?? null);
    const now = Date.now();
    const raw = events.map((e) =>
      dropNullish({
        kind: 'interaction',
        v: EVENT_SCHEMA_VERSION,
        id: e.id,
        type: e.type,
        userId: e.userId,
        sessionId: e.sessionId,
        itemId: e.itemId,
        timestamp: e.timestamp ? e.timestamp.getTime() : now,
        quantity: e.quantity,
        price: e.price,
      }),
    );
    // The dead-letter quota is per sender: the token's subject or API key, else (auth off) one bucket.
    return ctx.app.tracker.track(raw, 'graphql', `${ctx.identity.via}:${ctx.identity.role}:${ctx.identity.subject ?? ''}`);
  }

  @Authorized('admin')
  @Mutation(() => UpsertItemsResult, { description: 'Creates or replaces catalog items (id, title, category, price, free attributes).' })
  async upsertItems(@Arg('items', () => [ItemInput]) items: ItemInput[], @Ctx() ctx: GatewayContext): Promise<UpsertItemsResult> {
    checkBatch('items', items.length);
    const now = Date.now();
    const raw = items.map((it) =>
      dropNullish({
        kind: 'item',
        v: EVENT_SCHEMA_VERSION,
        // Each upsert is its own event: re-sending a changed item must apply, so the id carries time.
        id: `item:${it.id}:${now}:${Math.random().toString(36).slice(2, 10)}`,
        itemId: it.id,
        title: it.title,
        category: it.category,
        price: it.price,
        attributes: it.attributes ? Object.fromEntries(it.attributes.map((a) => [a.key, a.value])) : undefined,
        timestamp: now,
      }),
    );
    const result = await ctx.app.tracker.track(raw, 'graphql:catalog');
    return { upserted: result.accepted, rejected: result.rejected };
  }

  @Authorized('analyst')
  @Query(() => [DeadLetterEntry], { description: 'Most recent input that was rejected, with the reasons.' })
  async deadLetters(@Arg('first', () => Int, { defaultValue: 20 }) first: number, @Ctx() ctx: GatewayContext): Promise<DeadLetterEntry[]> {
    requireRange('first', first, 1, 500);
    const entries = await ctx.app.log.listDeadLetters(first);
    return entries.map((e) => ({ seq: e.seq, at: new Date(e.at), source: e.source, reason: e.reason, raw: e.truncated ? `${String(e.raw)}… [truncated: ${e.rawBytes} bytes]` : (JSON.stringify(e.raw) ?? 'null') }));
  }
}

function checkBatch(name: string, n: number): void {
  if (n === 0) throw inputError(`${name} must contain at least one entry`, name);
  if (n > MAX_BATCH) throw inputError(`${name} may contain at most ${MAX_BATCH} entries per request, got ${n}; split the batch`, name);
}

function dropNullish(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) if (o[k] === null || o[k] === undefined) delete o[k];
  return o;
}
