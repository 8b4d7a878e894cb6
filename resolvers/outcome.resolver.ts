import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { ANALYSTS } from '../src/auth/policy';
import { OutcomeMetricsType } from '../graph-models/outcome.model';
import type { GatewayContext } from './context';
import { inputError } from './errors';
import { toOutcomeMetrics } from './mappers/outcome';

/** Hourly buckets answered per query at most (90 days, what the outcome state keeps per group). */
const MAX_BUCKET_RANGE_MS = 90 * 24 * 3_600_000;

@Resolver(() => OutcomeMetricsType)
export class OutcomeResolver {
  @Authorized(ANALYSTS)
  @Query(() => [OutcomeMetricsType], {
    description:
      'Live outcomes per strategy and per experiment variant: served lists, users, attributed clicks, add-to-carts, purchases and revenue, their rates, and hourly buckets. Analysts and admins.',
  })
  outcomeMetrics(
    @Arg('strategy', () => String, { nullable: true, description: 'Only this strategy.' }) strategy: string | undefined,
    @Arg('experimentId', () => ID, { nullable: true, description: 'Only the variants of this experiment.' }) experimentId: string | undefined,
    @Arg('since', () => GraphQLDateTime, { nullable: true, description: 'Buckets from this time (default: 24 hours before `until`).' })
    since: Date | undefined,
    @Arg('until', () => GraphQLDateTime, { nullable: true, description: 'Buckets before this time (default: now).' }) until: Date | undefined,
    @Ctx() ctx: GatewayContext,
  ): OutcomeMetricsType[] {
    const to = until ? until.getTime() : Date.now();
    const from = since ? since.getTime() : to - 24 * 3_600_000;
    if (!(from < to)) throw inputError('since must be before until', 'since');
    if (to - from > MAX_BUCKET_RANGE_MS) throw inputError('since..until spans at most 90 days of hourly buckets', 'since');
    return ctx.app.outcomes
      .totals()
      .filter((t) => (strategy == null || t.strategy === strategy) && (experimentId == null || t.experimentId === experimentId))
      .sort(
        (a, b) =>
          a.strategy.localeCompare(b.strategy) ||
          (a.experimentId ?? '').localeCompare(b.experimentId ?? '') ||
          (a.variant ?? '').localeCompare(b.variant ?? ''),
      )
      .map((t) => toOutcomeMetrics(t, ctx.app.outcomes.buckets(t, from, to)));
  }
}
