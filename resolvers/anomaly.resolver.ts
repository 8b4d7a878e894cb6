import { GraphQLError } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { ANALYSTS } from '../src/auth/policy';
import type { GatewayContext } from './context';
import { TOPIC_ANOMALY_DETECTED } from './pubsub';
import type { AnomalyQuery, AnomalyRecord } from '../src/graph/graph-store';
import { SEVERITY_RANK } from '../src/graph/anomaly-table';
import { Anomaly, AnomalyConnection, AnomalyFilter, AnomalyKind, Severity } from '../graph-models/anomaly.model';
import { Item } from '../graph-models/item.model';
import { User } from '../graph-models/user.model';
import { inputError, requireRange } from './errors';

const MAX_FIRST = 500;

export function toAnomaly(r: AnomalyRecord): Anomaly {
  return Object.assign(new Anomaly(), {
    id: r.id,
    kind: r.kind as AnomalyKind,
    severity: r.severity as Severity,
    entityType: r.entityType,
    entityId: r.entityId,
    score: r.score,
    detectedAt: new Date(r.detectedAt),
    message: r.message,
    acknowledged: r.acknowledged,
    evidence: r.evidence,
  });
}

function toQuery(filter: AnomalyFilter | undefined, first: number, after?: string): AnomalyQuery {
  return {
    first,
    after,
    kinds: filter?.kinds,
    minSeverity: filter?.minSeverity,
    entityIds: filter?.entityIds,
    acknowledged: filter?.acknowledged ?? undefined,
  };
}

/** The subscription filter: the same rules as the anomalies query. */
export function matchesFilter(r: AnomalyRecord, filter: AnomalyFilter | undefined | null): boolean {
  if (!filter) return true;
  if (filter.kinds && filter.kinds.length > 0 && !filter.kinds.includes(r.kind as AnomalyKind)) return false;
  if (filter.minSeverity && SEVERITY_RANK[r.severity] < SEVERITY_RANK[filter.minSeverity]) return false;
  if (filter.acknowledged !== undefined && filter.acknowledged !== null && r.acknowledged !== filter.acknowledged) return false;
  if (filter.entityIds && filter.entityIds.length > 0) {
    const ids = new Set(filter.entityIds);
    if (!ids.has(r.entityId) && !(r.userId && ids.has(r.userId)) && !(r.itemId && ids.has(r.itemId))) return false;
  }
  return true;
}

@Resolver(() => Anomaly)
export class AnomalyResolver {
  @Authorized(ANALYSTS)
  @Query(() => AnomalyConnection, { description: 'Anomalies flagged by the streaming detectors, newest first (cursor paging).' })
  async anomalies(
    @Arg('filter', () => AnomalyFilter, { nullable: true }) filter: AnomalyFilter | undefined,
    @Arg('first', () => Int, { defaultValue: 20, nullable: true }) firstArg: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | undefined,
    @Ctx() ctx: GatewayContext,
  ): Promise<AnomalyConnection> {
    const first = firstArg ?? 20;
    requireRange('first', first, 1, MAX_FIRST);
    if (after !== undefined && after !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(after)) throw inputError('after must be a cursor returned as pageInfo.endCursor', 'after');
    let page;
    try {
      page = await ctx.app.store.listAnomalies(toQuery(filter, first, after ?? undefined));
    } catch (err) {
      if (err instanceof RangeError) throw inputError(err.message, 'after');
      throw err;
    }
    return {
      edges: page.anomalies.map((r, i) => ({ cursor: page.cursors[i]!, node: toAnomaly(r) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      totalCount: page.totalCount,
    };
  }

  @Authorized(ANALYSTS)
  @Mutation(() => Anomaly, { description: 'Marks an anomaly as seen by a person (it stays listed; filter on acknowledged).' })
  async acknowledgeAnomaly(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Anomaly> {
    const r = await ctx.app.store.acknowledgeAnomaly(id, true);
    if (!r) throw new GraphQLError(`no anomaly with id ${JSON.stringify(id)}`, { extensions: { code: 'NOT_FOUND', argument: 'id' } });
    return toAnomaly(r);
  }

  @Authorized(ANALYSTS)
  @Subscription(() => Anomaly, {
    topics: TOPIC_ANOMALY_DETECTED,
    filter: ({ payload, args }) => matchesFilter(payload as AnomalyRecord, (args as { filter?: AnomalyFilter | null }).filter),
    description: 'Pushes each new anomaly (matching the filter) as soon as the event that triggered it is ingested.',
  })
  anomalyDetected(
    @Root() record: AnomalyRecord,
    @Arg('filter', () => AnomalyFilter, { nullable: true }) _filter: AnomalyFilter | undefined,
  ): Anomaly {
    return toAnomaly(record);
  }
}

@Resolver(() => User)
export class UserAnomalyResolver {
  @Authorized(ANALYSTS)
  @FieldResolver(() => [Anomaly], { description: 'Anomalies linked to this user (bursts, quantity, order value and price findings), newest first.' })
  async anomalies(
    @Root() user: User,
    @Arg('first', () => Int, { defaultValue: 10 }) first: number,
    @Ctx() ctx: GatewayContext,
  ): Promise<Anomaly[]> {
    requireRange('first', first, 1, 100);
    const page = await ctx.app.store.listAnomalies({ first, entityIds: [user.id] });
    return page.anomalies.map(toAnomaly);
  }

  @Authorized(ANALYSTS)
  @FieldResolver(() => Boolean, { description: "True while a BOT_ACTIVITY flag is active: this user's interactions do not shape others' recommendations (when FLYWHEEL_IGNORE_BOTS is on)." })
  flaggedAsBot(@Root() user: User, @Ctx() ctx: GatewayContext): boolean {
    return ctx.app.anomalies.isFlaggedBot(user.id);
  }
}

@Resolver(() => Item)
export class ItemAnomalyResolver {
  @Authorized(ANALYSTS)
  @FieldResolver(() => [Anomaly], { description: 'Anomalies linked to this item (traffic, quantity and price findings), newest first.' })
  async anomalies(
    @Root() item: Item,
    @Arg('first', () => Int, { defaultValue: 10 }) first: number,
    @Ctx() ctx: GatewayContext,
  ): Promise<Anomaly[]> {
    requireRange('first', first, 1, 100);
    const page = await ctx.app.store.listAnomalies({ first, entityIds: [item.id] });
    return page.anomalies.map(toAnomaly);
  }
}
