import { GraphQLError } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { ANALYSTS } from '../src/auth/policy';
import type { GatewayContext } from './context';
import { TOPIC_ANOMALY_DETECTED } from './pubsub';
import type { AnomalyRecord } from '../src/graph/graph-store';
import { GraphQLDateTime } from 'graphql-scalars';
import { AnomalyConnection, AnomalyCountType, AnomalyFilterInput, AnomalyType, type AnomalyKind, type Severity } from '../graph-models/anomaly.model';
import { ItemType } from '../graph-models/item.model';
import { UserType } from '../graph-models/user.model';
import { inputError, requireRange } from './errors';
import { matchesAnomalyFilter, toAnomaly, toAnomalyConnection, toAnomalyQuery } from './mappers/anomaly';

const MAX_FIRST = 500;

@Resolver(() => AnomalyType)
export class AnomalyResolver {
  @Authorized(ANALYSTS)
  @Query(() => AnomalyConnection, { description: 'Anomalies flagged by the streaming detectors, newest first (cursor paging).' })
  async anomalies(
    @Arg('filter', () => AnomalyFilterInput, { nullable: true }) filter: AnomalyFilterInput | undefined,
    @Arg('first', () => Int, { defaultValue: 20, nullable: true }) firstArg: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | undefined,
    @Ctx() ctx: GatewayContext,
  ): Promise<AnomalyConnection> {
    const first = firstArg ?? 20;
    requireRange('first', first, 1, MAX_FIRST);
    if (after !== undefined && after !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(after))
      throw inputError('after must be a cursor returned as pageInfo.endCursor', 'after');
    let page;
    try {
      page = await ctx.app.store.listAnomalies(toAnomalyQuery(filter, first, after ?? undefined));
    } catch (err) {
      if (err instanceof RangeError) throw inputError(err.message, 'after');
      throw err;
    }
    return toAnomalyConnection(page);
  }

  @Authorized(ANALYSTS)
  @Query(() => [AnomalyCountType], {
    description:
      'Counts of the anomalies matching the filter by UTC day, kind and severity (oldest day first), detected since the given time (default: the last 30 days).',
  })
  async anomalyCounts(
    @Arg('filter', () => AnomalyFilterInput, { nullable: true }) filter: AnomalyFilterInput | undefined,
    @Arg('since', () => GraphQLDateTime, { nullable: true }) since: Date | undefined,
    @Ctx() ctx: GatewayContext,
  ): Promise<AnomalyCountType[]> {
    const from = since ? since.getTime() : Date.now() - 30 * 86_400_000;
    const { first: _first, after: _after, ...query } = toAnomalyQuery(filter, 1);
    const rows = await ctx.app.store.countAnomalies({ ...query, since: from });
    return rows
      .map((r) =>
        Object.assign(new AnomalyCountType(), {
          day: new Date(r.day).toISOString().slice(0, 10),
          kind: r.kind as AnomalyKind,
          severity: r.severity as Severity,
          count: r.count,
        }),
      )
      .sort((a, b) => a.day.localeCompare(b.day) || a.kind.localeCompare(b.kind) || a.severity.localeCompare(b.severity));
  }

  @Authorized(ANALYSTS)
  @Mutation(() => AnomalyType, { description: 'Marks an anomaly as seen by a person (it stays listed; filter on acknowledged).' })
  async acknowledgeAnomaly(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<AnomalyType> {
    const r = await ctx.app.store.acknowledgeAnomaly(id, true);
    if (!r) throw new GraphQLError(`no anomaly with id ${JSON.stringify(id)}`, { extensions: { code: 'NOT_FOUND', argument: 'id' } });
    return toAnomaly(r);
  }

  @Authorized(ANALYSTS)
  @Subscription(() => AnomalyType, {
    topics: TOPIC_ANOMALY_DETECTED,
    filter: ({ payload, args }) => matchesAnomalyFilter(payload as AnomalyRecord, (args as { filter?: AnomalyFilterInput | null }).filter),
    description: 'Pushes each new anomaly (matching the filter) as soon as the event that triggered it is ingested.',
  })
  anomalyDetected(
    @Root() record: AnomalyRecord,
    @Arg('filter', () => AnomalyFilterInput, { nullable: true }) _filter: AnomalyFilterInput | undefined,
  ): AnomalyType {
    return toAnomaly(record);
  }
}

@Resolver(() => UserType)
export class UserAnomalyResolver {
  @Authorized(ANALYSTS)
  @FieldResolver(() => [AnomalyType], { description: 'Anomalies linked to this user (bursts, quantity, order value and price findings), newest first.' })
  async anomalies(@Root() user: UserType, @Arg('first', () => Int, { defaultValue: 10 }) first: number, @Ctx() ctx: GatewayContext): Promise<AnomalyType[]> {
    requireRange('first', first, 1, 100);
    const page = await ctx.app.store.listAnomalies({ first, entityIds: [user.id] });
    return page.anomalies.map(toAnomaly);
  }

  @Authorized(ANALYSTS)
  @FieldResolver(() => Boolean, {
    description: "True while a BOT_ACTIVITY flag is active: this user's interactions do not shape others' recommendations (when FLYWHEEL_IGNORE_BOTS is on).",
  })
  flaggedAsBot(@Root() user: UserType, @Ctx() ctx: GatewayContext): boolean {
    return ctx.app.anomalies.isFlaggedBot(user.id);
  }
}

@Resolver(() => ItemType)
export class ItemAnomalyResolver {
  @Authorized(ANALYSTS)
  @FieldResolver(() => [AnomalyType], { description: 'Anomalies linked to this item (traffic, quantity and price findings), newest first.' })
  async anomalies(@Root() item: ItemType, @Arg('first', () => Int, { defaultValue: 10 }) first: number, @Ctx() ctx: GatewayContext): Promise<AnomalyType[]> {
    requireRange('first', first, 1, 100);
    const page = await ctx.app.store.listAnomalies({ first, entityIds: [item.id] });
    return page.anomalies.map(toAnomaly);
  }
}
