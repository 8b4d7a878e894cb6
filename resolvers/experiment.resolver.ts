import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ANALYSTS } from '../src/auth/policy';
import { ErrorCode } from '../src/util/error-codes';
import { DEFAULT_GUARDRAIL_MARGIN, schemaVersionOf, type ExperimentEvent } from '../src/events/event';
import { validateEvent } from '../src/events/validate';
import { BanditStateType, CreateExperimentInput, ExperimentKind, ExperimentResultsType, ExperimentType } from '../graph-models/experiment.model';
import type { GatewayContext } from './context';
import { inputError } from './errors';
import { toBanditState, toExperiment, toExperimentResults } from './mappers/experiment';

function notFound(id: string, argument: string): GraphQLError {
  return new GraphQLError(`no experiment ${id}`, { extensions: { code: ErrorCode.NOT_FOUND, argument } });
}

/**
 * Appends a lifecycle record after the same check every gateway applies when it reads it (so a refusal is
 * a clear BAD_USER_INPUT now, not a record skipped later), and answers the experiment as this gateway read
 * it back from the log.
 */
async function record(ctx: GatewayContext, fields: Omit<ExperimentEvent, 'kind' | 'v' | 'id' | 'timestamp'>, argument: string): Promise<ExperimentType> {
  const book = ctx.app.outcomes.experiments;
  if (fields.action !== 'create' && !book.get(fields.experimentId)) throw notFound(fields.experimentId, argument);
  const refusal = book.refusal(fields);
  if (refusal) throw inputError(refusal, argument);
  const by = ctx.identity.subject ?? undefined;
  const applied = await ctx.app.outcomes.recordExperiment({ ...fields, ...(by ? { by: by.slice(0, 256) } : {}) });
  if (!applied.applied) throw inputError(applied.reason ?? 'refused', argument);
  return toExperiment(ctx.app.outcomes.experiments.get(fields.experimentId)!);
}

@Resolver(() => ExperimentType)
export class ExperimentResolver {
  @Authorized(ANALYSTS)
  @Query(() => [ExperimentType], { description: 'Experiments, oldest first. Analysts and admins.' })
  experiments(@Ctx() ctx: GatewayContext): ExperimentType[] {
    return ctx.app.outcomes.experiments
      .list()
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(toExperiment);
  }

  @Authorized(ANALYSTS)
  @Query(() => ExperimentType, { nullable: true })
  experiment(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): ExperimentType | null {
    const x = ctx.app.outcomes.experiments.get(id);
    return x ? toExperiment(x) : null;
  }

  @Authorized(ANALYSTS)
  @FieldResolver(() => ExperimentResultsType, {
    description:
      'Per variant against control, on the primary metric and each guardrail: mean, absolute and relative lift with 95 % intervals, Welch p-value, Holm across treatments, always-valid mSPRT p-value and interval, CUPED; on each guardrail of an A/B test also the one-sided non-inferiority verdict (`guardrail`); and the sample-ratio check. For an INTERLEAVE experiment, `interleaving`: the preference share with its sign test.',
  })
  results(@Root() experiment: ExperimentType, @Ctx() ctx: GatewayContext): ExperimentResultsType {
    const book = ctx.app.outcomes.experiments;
    const x = book.get(experiment.id)!;
    const primary = book.results(x.id)!;
    const guardrails = x.spec.guardrailMetrics.map((m) => book.results(x.id, m)!);
    return toExperimentResults(x, primary, guardrails, book.interleavingResults(x.id), book.looks(x.id));
  }

  @Authorized(ANALYSTS)
  @FieldResolver(() => BanditStateType, {
    nullable: true,
    description: "A BANDIT experiment's arms now: lists served, successes, Beta posterior, probability of being best, traffic share; null for AB.",
  })
  bandit(@Root() experiment: ExperimentType, @Ctx() ctx: GatewayContext): BanditStateType | null {
    const b = ctx.app.outcomes.experiments.bandit(experiment.id);
    return b ? toBanditState(b) : null;
  }

  @Authorized(ANALYSTS)
  @Mutation(() => ExperimentType, {
    description:
      'Creates an experiment (DRAFT): variants with traffic shares and strategies (a blend variant may carry its own parts and weights), the primary and guardrail metrics; type AB (default), INTERLEAVE or BANDIT (Thompson sampling per request, with an exploration floor). Stored in the event log, so every gateway knows it. Analysts and admins.',
  })
  async createExperiment(@Arg('input', () => CreateExperimentInput) input: CreateExperimentInput, @Ctx() ctx: GatewayContext): Promise<ExperimentType> {
    const strategies = ctx.app.recommender.strategies().map((s) => s.name);
    const parts = ctx.app.recommender.blendPartNames();
    input.variants.forEach((v, i) => {
      if (!strategies.includes(v.strategy))
        throw inputError(`variants[${i}].strategy: unknown strategy "${v.strategy}"; choose one of ${strategies.join(', ')}`, 'input');
      // Which parts exist is this gateway's to say; the record's own rules (weights, duplicates, strategy blend) follow below.
      if (!v.blend) return;
      if (v.blend.length > parts.length)
        throw inputError(`variants[${i}].blend: at most ${parts.length} parts (${parts.join(', ')}), got ${v.blend.length}`, 'input');
      v.blend.forEach((p, j) => {
        if (!parts.includes(p.strategy))
          throw inputError(`variants[${i}].blend[${j}].strategy: unknown blend part "${p.strategy}"; choose from ${parts.join(', ')}`, 'input');
      });
    });
    if (!(input.minimumDetectableEffect > 0 && Number.isFinite(input.minimumDetectableEffect)))
      throw inputError('minimumDetectableEffect must be above 0', 'input');
    const bandit = input.type === ExperimentKind.BANDIT;
    // Guardrails: the metrics of guardrailMetrics (2 %, higher is better) joined with those given with a margin.
    const margins = input.guardrails ?? [];
    margins.forEach((g, i) => {
      if (g.metric === input.primaryMetric) throw inputError(`guardrails[${i}].metric: ${g.metric} is the primary metric, not a guardrail`, 'input');
      if (margins.findIndex((h) => h.metric === g.metric) < i) throw inputError(`guardrails[${i}].metric: ${g.metric} appears twice`, 'input');
    });
    const guardrailMetrics = [...new Set([...(input.guardrailMetrics ?? []), ...margins.map((g) => g.metric)])].filter((m) => m !== input.primaryMetric);
    if (guardrailMetrics.length > 5) throw inputError(`at most 5 guardrail metrics, got ${guardrailMetrics.length}`, 'input');
    const fields: Omit<ExperimentEvent, 'kind' | 'v' | 'id' | 'timestamp'> = {
      experimentId: randomUUID(),
      action: 'create',
      spec: {
        name: input.name,
        // Written only when not the default, so A/B records keep their shape.
        ...(input.type && input.type !== 'AB' ? { type: input.type } : {}),
        // A new salt per experiment: assignments of two experiments are independent.
        salt: randomUUID(),
        traffic: input.traffic ?? 1,
        variants: input.variants.map((v) => ({
          name: v.name,
          share: v.share,
          strategy: v.strategy,
          ...(v.blend ? { blend: v.blend.map((p) => ({ strategy: p.strategy, weight: p.weight })) } : {}),
        })),
        control: input.control ?? input.variants[0]!.name,
        primaryMetric: input.primaryMetric,
        guardrailMetrics,
        // Written whenever there are guardrails, so the record says which margin every gateway tests against.
        ...(guardrailMetrics.length > 0
          ? {
              guardrails: guardrailMetrics.map((metric) => {
                const g = margins.find((h) => h.metric === metric);
                return { metric, margin: g?.margin ?? DEFAULT_GUARDRAIL_MARGIN, direction: g?.direction ?? 'HIGHER_IS_BETTER' };
              }),
            }
          : {}),
        minimumDetectableEffect: input.minimumDetectableEffect,
        // Written only when asked for: an A/B record without it stays as it was.
        ...(input.spending != null ? { spending: input.spending } : {}),
        // Only a bandit says so: an A/B record stays as it was before the field existed.
        ...(bandit ? { type: 'BANDIT' as const, explorationFloor: input.explorationFloor ?? 0.05 } : {}),
        // Written only when asked for (a version-3 record): a bandit without it stays as it was.
        ...(input.banditBySegment ? { banditBySegment: true } : {}),
        ...(!bandit && input.explorationFloor != null ? { explorationFloor: input.explorationFloor } : {}),
      },
    };
    // The record's own rules (shares summing to 1, control among the variants, ...), with their reasons.
    const checked = validateEvent({ kind: 'experiment', v: schemaVersionOf(fields), id: 'check', timestamp: Date.now(), ...fields });
    if (!checked.ok) throw inputError(checked.reason.replace(/spec\./g, ''), 'input');
    return record(ctx, fields, 'input');
  }

  @Authorized(ANALYSTS)
  @Mutation(() => ExperimentType, { description: 'Starts a DRAFT experiment: its users get their variant from now on (one experiment runs at a time).' })
  startExperiment(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<ExperimentType> {
    return record(ctx, { experimentId: id, action: 'start' }, 'id');
  }

  @Authorized(ANALYSTS)
  @Mutation(() => ExperimentType, { description: 'Stops a RUNNING experiment: everyone gets the default again; the results stay.' })
  stopExperiment(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<ExperimentType> {
    return record(ctx, { experimentId: id, action: 'stop' }, 'id');
  }

  @Authorized(ANALYSTS)
  @Mutation(() => ExperimentType, {
    description:
      "Ships a variant of a RUNNING or STOPPED experiment: its strategy becomes every gateway's default, and a weighted blend variant's parts and weights the default blend (SHIPPED).",
  })
  shipVariant(@Arg('experimentId', () => ID) experimentId: string, @Arg('variant') variant: string, @Ctx() ctx: GatewayContext): Promise<ExperimentType> {
    return record(ctx, { experimentId, action: 'ship', variant }, 'variant');
  }
}
