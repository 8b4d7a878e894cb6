import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { openEventLog, openGraphStore } from '../app/backends';
import { dropErased } from '../privacy/erasure-service';
import { loadConfig } from '../config/config';
import type { FlywheelEvent } from '../events/event';
import { validEventsOf } from '../events/validate';
import { createLogger } from '../observability/logger';
import {
  evaluateCandidates,
  LoggedLists,
  POLICY_REWARDS,
  type CandidateEstimate,
  type CandidatePolicy,
  type LoggedExperiment,
  type PolicyReward,
} from '../outcomes/policy-evaluation';
import { CliFailure } from './cli-error';

/**
 * `flywheel evaluate-policy`: estimates, from the served lists a BANDIT experiment logged (with the probability
 * each list's arm was drawn with) and the outcomes attributed to them, what a candidate policy would have
 * earned per served list, before any shopper sees it: IPS and self-normalised IPS with normal intervals
 * (src/experiments/off-policy.ts; formulas in EXPERIMENTS.md). Reads the embedded log of `--data-dir` (the
 * gateway must be stopped: one process per data dir), or with FLYWHEEL_EVENTS=kafka the events topic from its
 * earliest retained record up to now (a consumer group of its own that commits nothing).
 *
 * Candidates: each arm on its own (default), `--strategy a,b` (those arms' strategies, each on its own), or
 * `--policy popular=0.2,item-knn=0.8` (a mixture over arms, by strategy or variant name). Arms that serve one
 * strategy with different blend weights are named by their variant.
 */
export interface EvaluatePolicyFlags {
  dataDir?: string;
  experiment?: string;
  strategy?: string;
  policy?: string;
  reward?: string;
  alpha?: string;
  json?: boolean;
}

export interface EvaluatePolicyReport {
  experiment: {
    id: string;
    name: string;
    type: string;
    explorationFloor: number | null;
    arms: { variant: string; strategy: string; blend?: { strategy: string; weight: number }[] }[];
  };
  records: number;
  lists: number;
  reward: PolicyReward;
  alpha: number;
  propensity: { min: number; max: number };
  candidates: {
    name: string;
    arms: Record<string, number>;
    loggedLists: number;
    loggedMean: number | null;
    ips: { estimate: number; standardError: number; ci: [number, number] };
    snips: { estimate: number; standardError: number; ci: [number, number] };
    matched: number;
    effectiveSampleSize: number;
    maxWeight: number;
    meanWeight: number;
  }[];
}

export async function runEvaluatePolicy(flags: EvaluatePolicyFlags): Promise<EvaluatePolicyReport> {
  const reward = (flags.reward ?? 'clicks') as PolicyReward;
  if (!POLICY_REWARDS.includes(reward)) throw new CliFailure(`--reward must be one of ${POLICY_REWARDS.join(', ')}, got ${flags.reward}`, 2);
  const alpha = Number(flags.alpha ?? '0.05');
  if (!(alpha > 0 && alpha < 1)) throw new CliFailure(`--alpha must be in (0, 1), got ${flags.alpha}`, 2);
  if (flags.strategy !== undefined && flags.policy !== undefined) throw new CliFailure('give --strategy or --policy, not both', 2);
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }, { FLYWHEEL_DATA_DIR: flags.dataDir });
  if (config.FLYWHEEL_EVENTS !== 'kafka' && !existsSync(config.dataDir)) throw new CliFailure(`no data dir ${config.dataDir}`, 2);

  const logged = new LoggedLists({
    clickWindowMs: config.FLYWHEEL_ATTRIBUTION_CLICK_HOURS * 3_600_000,
    conversionWindowMs: config.FLYWHEEL_ATTRIBUTION_CONVERSION_HOURS * 3_600_000,
  });
  const logger = createLogger(config.LOG_LEVEL);
  const { log, release } = await openEventLog(config, logger, 'flywheel evaluate-policy');
  try {
    if (log.rewritable) {
      let chunk: FlywheelEvent[] = [];
      for (const e of log.rewritable.scanEvents()) {
        chunk.push(e);
        if (chunk.length === 5000) {
          logged.observe(chunk);
          chunk = [];
        }
      }
      logged.observe(chunk);
    } else if (log.broadcast) {
      // The topic still holds erased actors' records (until its retention): drop them as the gateway does, by the
      // erasure list its graph store keeps (the embedded log above is rewritten at erasure instead).
      const erased = await erasureList(config, log, logger);
      const end = await log.broadcast.pinEnd();
      await log.broadcast.readUntil(end, `${config.KAFKA_GROUP}.evaluate-policy.${randomUUID()}`, async (batch) =>
        logged.observe(dropErased(validEventsOf(batch), erased)),
      );
    } else throw new CliFailure('this event log can be read neither in place nor from its start', 2);
  } finally {
    await log.close();
    release();
  }

  const experiment = pickExperiment(logged, flags.experiment);
  const spec = experiment.spec;
  const lists = logged.listsOf(experiment.id);
  if (lists.length < 2) throw new CliFailure(`experiment ${experiment.id} logged ${lists.length} served list(s): nothing to estimate from`, 1);
  const candidates = candidatesFrom(flags, experiment);
  const estimates = evaluateCandidates(lists, candidates, reward, { alpha });
  const propensities = lists.map((l) => l.propensity);
  return {
    experiment: {
      id: experiment.id,
      name: spec.name,
      type: spec.type ?? 'AB',
      explorationFloor: spec.explorationFloor ?? null,
      arms: spec.variants.map((v) => ({ variant: v.name, strategy: v.strategy, ...(v.blend ? { blend: v.blend } : {}) })),
    },
    records: logged.records,
    lists: lists.length,
    reward,
    alpha,
    propensity: { min: Math.min(...propensities), max: Math.max(...propensities) },
    candidates: estimates.map(toReport),
  };
}

/**
 * The erasure list (actor -> erasure time) of the graph store next to a Kafka log: Neo4j's `(:Erased)` nodes. An
 * embedded graph on Kafka keeps its list in memory only (it has no snapshot there), so there is none to read.
 */
async function erasureList(config: ReturnType<typeof loadConfig>, log: Parameters<typeof openGraphStore>[1], logger: ReturnType<typeof createLogger>) {
  if (config.FLYWHEEL_GRAPH !== 'neo4j') return new Map<string, number>();
  const { store } = await openGraphStore(config, log, logger, { readOnly: true });
  try {
    return await store.erasedActors();
  } finally {
    await store.close();
  }
}

function pickExperiment(logged: LoggedLists, id: string | undefined): LoggedExperiment {
  if (id !== undefined) {
    const x = logged.experiment(id);
    if (!x) throw new CliFailure(`no experiment ${id} in the log`, 2);
    // An A/B test fixes a variant per user (propensity 1 logged): its lists are not draws per request.
    if (x.spec.type !== 'BANDIT')
      throw new CliFailure(
        `experiment ${id} is ${x.spec.type ?? 'AB'}: its lists were not drawn per request with a logged probability; compare its variants with experiment.results`,
        2,
      );
    return x;
  }
  const bandits = logged.experimentList().filter((x) => x.spec.type === 'BANDIT');
  if (bandits.length === 0) throw new CliFailure('the log holds no BANDIT experiment (the lists off-policy estimates need are drawn per request)', 1);
  return bandits.at(-1)!;
}

/**
 * The candidates to estimate. An arm is named by its strategy, or by its variant where several arms serve one
 * strategy (two weightings of `blend`): a strategy name then does not say which arm, and is refused.
 */
export function candidatesFrom(flags: Pick<EvaluatePolicyFlags, 'strategy' | 'policy'>, x: LoggedExperiment): CandidatePolicy[] {
  const variants = x.spec.variants;
  const label = (v: (typeof variants)[number]) => (variants.filter((a) => a.strategy === v.strategy).length > 1 ? v.name : v.strategy);
  const armOf = (name: string): string => {
    const serving = variants.filter((a) => a.strategy === name);
    if (serving.length > 1 && !variants.some((a) => a.name === name))
      throw new CliFailure(`"${name}" is served by arms ${serving.map((a) => a.name).join(', ')} of experiment ${x.id}: name the arm (its variant)`, 2);
    const v = (serving.length === 1 ? serving[0] : undefined) ?? variants.find((a) => a.name === name);
    if (!v)
      throw new CliFailure(
        `"${name}" is not an arm of experiment ${x.id} (${variants.map(label).join(', ')}): only strategies the log served can be evaluated from it`,
        2,
      );
    return v.name;
  };
  if (flags.policy !== undefined) {
    const arms: Record<string, number> = {};
    for (const part of flags.policy.split(',')) {
      const [name, weight] = part.split('=');
      const w = Number(weight);
      if (!name || !(w >= 0 && w <= 1)) throw new CliFailure(`--policy: expected name=probability pairs, got "${part}"`, 2);
      const arm = armOf(name.trim());
      arms[arm] = (arms[arm] ?? 0) + w;
    }
    const sum = Object.values(arms).reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-9) throw new CliFailure(`--policy: probabilities must sum to 1, got ${sum}`, 2);
    return [{ name: flags.policy, arms }];
  }
  const names = flags.strategy !== undefined ? flags.strategy.split(',').map((s) => s.trim()) : variants.map(label);
  return names.map((name) => {
    const arm = armOf(name);
    return { name: label(variants.find((v) => v.name === arm)!), arms: { [arm]: 1 } };
  });
}

function toReport(e: CandidateEstimate): EvaluatePolicyReport['candidates'][number] {
  return {
    name: e.candidate.name,
    arms: e.candidate.arms,
    loggedLists: e.loggedLists,
    loggedMean: e.loggedMean,
    ips: e.ips,
    snips: e.snips,
    matched: e.matched,
    effectiveSampleSize: e.effectiveSampleSize,
    maxWeight: e.maxWeight,
    meanWeight: e.meanWeight,
  };
}

export function printEvaluatePolicy(r: EvaluatePolicyReport, json: boolean): void {
  if (!json) {
    const pct = Math.round((1 - r.alpha) * 100);
    console.log(
      `experiment ${r.experiment.id} (${r.experiment.name}, ${r.experiment.type}, floor ${r.experiment.explorationFloor}): ${r.lists} served lists, propensities ${r.propensity.min.toFixed(4)}-${r.propensity.max.toFixed(4)}; reward ${r.reward} per list`,
    );
    for (const c of r.candidates) {
      const f = (x: number) => x.toFixed(4);
      console.log(
        `${c.name.padEnd(24)} IPS ${f(c.ips.estimate)} [${f(c.ips.ci[0])}, ${f(c.ips.ci[1])}]  SNIPS ${f(c.snips.estimate)} [${f(c.snips.ci[0])}, ${f(c.snips.ci[1])}] (${pct} %)  logged lists ${c.loggedLists}, their mean ${c.loggedMean === null ? '-' : f(c.loggedMean)}  ESS ${c.effectiveSampleSize.toFixed(0)}`,
      );
    }
  }
  console.log(JSON.stringify(r));
}
