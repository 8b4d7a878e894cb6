import type { ExperimentSpec, FlywheelEvent } from '../events/event';
import { offPolicyEstimate, type OffPolicyEstimate } from '../experiments/off-policy';
import { Attribution, type AttributionOptions } from './attribution';

/**
 * Off-policy evaluation of candidate strategies from a log (`flywheel evaluate-policy`): the served lists of a
 * randomised experiment (a BANDIT), each with the arm it came from, the probability that arm was drawn with
 * (the logged propensity) and the outcomes attributed to it by the gateway's own attribution rule
 * (./attribution.ts, the same windows), then IPS and SNIPS (src/experiments/off-policy.ts) per candidate.
 *
 * The unit is the served list. The logging policy is the bandit: for each request it drew an arm with
 * probability π₀(arm), and served that arm's strategy's list. A candidate policy is a distribution over the
 * same arms (a single strategy: all its mass on that arm), so w = π_e(arm of the list) / π₀(arm of the list),
 * and the estimate is the candidate's expected reward per served list (for `clicks`: clicks per list, the
 * click-through the gateway reports) over the same requests (same users, same times) the log holds. The
 * candidate's lists are the logged arm's lists as served then; a strategy that was not an arm cannot be
 * evaluated from this log (its lists were never shown).
 *
 * Lists near the end of the log whose attribution window is still open count with what has been attributed
 * so far (every arm alike).
 */
export const POLICY_REWARDS = ['clicks', 'clicked', 'add-to-carts', 'purchases', 'revenue'] as const;
export type PolicyReward = (typeof POLICY_REWARDS)[number];

export interface LoggedList {
  servedId: string;
  variant: string;
  strategy: string;
  /** The logging policy's probability of this list's arm (its entries' propensity). */
  propensity: number;
  timestamp: number;
  clicks: number;
  addToCarts: number;
  purchases: number;
  revenue: number;
}

export interface LoggedExperiment {
  id: string;
  spec: ExperimentSpec;
  createdAt: number;
}

/** Reads a log in order and keeps every experiment's served lists with their attributed outcomes. */
export class LoggedLists {
  private readonly experiments = new Map<string, LoggedExperiment>();
  private readonly lists = new Map<string, LoggedList>();
  private readonly byExperiment = new Map<string, LoggedList[]>();
  private readonly attribution: Attribution;
  records = 0;

  constructor(options: Pick<AttributionOptions, 'clickWindowMs' | 'conversionWindowMs'>) {
    this.attribution = new Attribution({
      ...options,
      listener: {
        impression: (e) => {
          if (e.experimentId === undefined || e.variant === undefined || e.items.length === 0) return;
          const list: LoggedList = {
            servedId: e.id,
            variant: e.variant,
            strategy: e.strategy,
            propensity: e.items[0]!.propensity,
            timestamp: e.timestamp,
            clicks: 0,
            addToCarts: 0,
            purchases: 0,
            revenue: 0,
          };
          this.lists.set(e.id, list);
          let all = this.byExperiment.get(e.experimentId);
          if (!all) this.byExperiment.set(e.experimentId, (all = []));
          all.push(list);
        },
        outcome: (_actor, type, _revenue, attributed) => {
          const list = attributed ? this.lists.get(attributed.servedId) : undefined;
          if (!list) return;
          if (type === 'CLICK') list.clicks++;
          else if (type === 'ADD_TO_CART') list.addToCarts++;
          else {
            list.purchases++;
            list.revenue += attributed!.revenue;
          }
        },
      },
    });
  }

  /** A batch of the log, in log order. */
  observe(events: readonly FlywheelEvent[]): void {
    this.records += events.length;
    for (const e of events) {
      if (e.kind === 'experiment') {
        if (e.action === 'create' && e.spec && !this.experiments.has(e.experimentId))
          this.experiments.set(e.experimentId, { id: e.experimentId, spec: e.spec, createdAt: e.timestamp });
      } else this.attribution.observe([e]);
    }
  }

  experiment(id: string): LoggedExperiment | undefined {
    return this.experiments.get(id);
  }

  /** Experiments in the order they were created. */
  experimentList(): LoggedExperiment[] {
    return [...this.experiments.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  /**
   * In the order they were served (ties by id): the same report to the last digit however the partitions of
   * a topic interleaved on the way in (sums of floats depend on their order).
   */
  listsOf(experimentId: string): readonly LoggedList[] {
    return [...(this.byExperiment.get(experimentId) ?? [])].sort(
      (a, b) => a.timestamp - b.timestamp || (a.servedId < b.servedId ? -1 : a.servedId > b.servedId ? 1 : 0),
    );
  }
}

export function rewardOf(list: LoggedList, reward: PolicyReward): number {
  switch (reward) {
    case 'clicks':
      return list.clicks;
    case 'clicked':
      return list.clicks > 0 ? 1 : 0;
    case 'add-to-carts':
      return list.addToCarts;
    case 'purchases':
      return list.purchases;
    case 'revenue':
      return list.revenue;
  }
}

/** A candidate: a probability per arm (variant name), summing to 1. */
export interface CandidatePolicy {
  name: string;
  arms: Record<string, number>;
}

export interface CandidateEstimate extends OffPolicyEstimate {
  candidate: CandidatePolicy;
  /** Lists the logging policy served from the candidate's arms, and their plain mean reward (biased where the bandit adapted). */
  loggedLists: number;
  loggedMean: number | null;
}

export function evaluateCandidates(
  lists: readonly LoggedList[],
  candidates: readonly CandidatePolicy[],
  reward: PolicyReward,
  options: { alpha?: number } = {},
): CandidateEstimate[] {
  return candidates.map((candidate) => {
    const units = lists.map((l) => ({ reward: rewardOf(l, reward), propensity: l.propensity, target: candidate.arms[l.variant] ?? 0 }));
    const own = lists.filter((l) => (candidate.arms[l.variant] ?? 0) > 0);
    const loggedMean = own.length > 0 ? own.reduce((s, l) => s + rewardOf(l, reward), 0) / own.length : null;
    return { candidate, ...offPolicyEstimate(units, options), loggedLists: own.length, loggedMean };
  });
}
