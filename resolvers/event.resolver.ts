import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from './context';
import { assertActsFor } from '../src/auth/policy';
import { GraphQLDateTime } from 'graphql-scalars';
import { DeadLetterEntryType, EventInput, EventTypeCountType, ItemInput, TrackEventsResultType, UpsertItemsResultType } from '../graph-models/event.model';
import { inputError, requireRange } from './errors';
import { toDeadLetterEntry, toInteractionEvents, toItemEvents, toTrackEventsResult, toUpsertItemsResult } from './mappers/event';

/** Most events or items one request may carry. */
export const MAX_BATCH = 1000;

@Resolver()
export class EventResolver {
  @Authorized('shopper', 'service')
  @Mutation(() => TrackEventsResultType, {
    description:
      'Records behaviour events. Each event is validated on its own: valid ones are stored durably, invalid ones come back in `rejected` with the reason (and are kept in the dead-letter store). On the embedded backend the events are in the graph when this returns.',
  })
  async trackEvents(@Arg('events', () => [EventInput]) events: EventInput[], @Ctx() ctx: GatewayContext): Promise<TrackEventsResultType> {
    checkBatch('events', events.length);
    // A shopper may send only their own events; services send for anyone.
    for (const e of events) assertActsFor(ctx.identity, e.userId ?? null);
    // The dead-letter quota is per sender: the token's subject or API key, else (auth off) one bucket.
    const result = await ctx.app.tracker.track(
      toInteractionEvents(events, Date.now()),
      'graphql',
      `${ctx.identity.via}:${ctx.identity.role}:${ctx.identity.subject ?? ''}`,
    );
    return toTrackEventsResult(result);
  }

  @Authorized('admin')
  @Mutation(() => UpsertItemsResultType, { description: 'Creates or replaces catalog items (id, title, category, price, free attributes).' })
  async upsertItems(@Arg('items', () => [ItemInput]) items: ItemInput[], @Ctx() ctx: GatewayContext): Promise<UpsertItemsResultType> {
    checkBatch('items', items.length);
    const result = await ctx.app.tracker.track(toItemEvents(items, Date.now()), 'graphql:catalog');
    return toUpsertItemsResult(result);
  }

  @Authorized('analyst')
  @Query(() => [DeadLetterEntryType], { description: 'Most recent input that was rejected, with the reasons.' })
  async deadLetters(@Arg('first', () => Int, { defaultValue: 20 }) first: number, @Ctx() ctx: GatewayContext): Promise<DeadLetterEntryType[]> {
    requireRange('first', first, 1, 500);
    const entries = await ctx.app.log.listDeadLetters(first);
    return entries.map(toDeadLetterEntry);
  }

  @Authorized('analyst')
  @Query(() => [EventTypeCountType], {
    description:
      'Events applied to the graph by type and UTC day of their own time, oldest day first, from the given time on (default: the last 30 days). Counted by this gateway since it started (the log tail it replayed at start included).',
  })
  eventTypeCounts(@Arg('since', () => GraphQLDateTime, { nullable: true }) since: Date | undefined, @Ctx() ctx: GatewayContext): EventTypeCountType[] {
    const from = since ? since.getTime() : Date.now() - 30 * 86_400_000;
    return ctx.app.eventTypes
      .list(from)
      .map((r) => Object.assign(new EventTypeCountType(), { day: new Date(r.day).toISOString().slice(0, 10), type: r.type, count: r.count }));
  }
}

function checkBatch(name: string, n: number): void {
  if (n === 0) throw inputError(`${name} must contain at least one entry`, name);
  if (n > MAX_BATCH) throw inputError(`${name} may contain at most ${MAX_BATCH} entries per request, got ${n}; split the batch`, name);
}
