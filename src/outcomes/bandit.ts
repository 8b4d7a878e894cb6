import type { ExperimentMetric, ExperimentSpec, ImpressionEvent } from '../events/event';
import { betaPosterior, drawArm, posteriorMean, probabilityBest, withExplorationFloor, type ArmChoice } from '../experiments/thompson';
import type { AttributedType, AttributionRecord } from './attribution';

/**
 * A BANDIT experiment's state: per arm (variant), the served lists (pulls) and the lists that earned the reward
 * (successes), from which Thompson sampling (src/experiments/thompson.ts) sets each arm's traffic share.
 *
 * The reward is yes/no per served list, so that a Beta posterior fits it: the list got at least one attributed
 * outcome of the primary metric's kind (CTR and CLICKS_PER_USER: a click; ADD_TO_CARTS_PER_USER: an
 * add-to-cart; CONVERSION: a purchase). A list counts once however many clicks it got. Rewards arrive after
 * the list (within the attribution window), so a list just served counts as a pull without success until its
 * click is read: the posterior of every arm is pessimistic by the same recent lists, roughly in proportion to
 * its traffic (the usual delayed-feedback bias of bandits; small when clicks come minutes after the list and
 * the posterior holds thousands of lists).
 *
 * What every gateway shares and what it does not. The counts are derived from the log alone (impressions and
 * attributed outcomes, in log order, like the rest of src/outcomes/), so every gateway that has read the same
 * records holds the same counts, and the shares are a deterministic function of them (quadrature, no random
 * number): gateways that have read the same records in the same order decide from the same posterior and the
 * same shares. They differ by how far each has read (its lag: on Kafka, each instance's fan-out consumer) and,
 * on Kafka, by the order in which partitions interleave, which can move a snapshot point (below). The draw
 * itself is each gateway's own randomness per request (Math.random), not shared and not needed to be: the
 * propensity logged with the list is the share the draw used, whichever gateway drew it.
 *
 * Snapshots: the shares are computed from a snapshot of the counts, taken when the counts have moved by at
 * least max(1, ⌊pulls / 200⌋) updates since the previous snapshot (at every update while the experiment is
 * small, about every 0.5 % of its data later). The snapshot points are a function of the records read, not of
 * when requests arrive or of a clock, and the quadrature (about 1 ms for 3 arms) runs at most once per
 * snapshot, which bounds its cost under load.
 */
export const BANDIT_REWARD: Record<Exclude<ExperimentMetric, 'REVENUE_PER_USER'>, AttributedType> = {
  CTR: 'CLICK',
  CLICKS_PER_USER: 'CLICK',
  ADD_TO_CARTS_PER_USER: 'ADD_TO_CART',
  CONVERSION: 'PURCHASE',
};

export interface BanditArmView {
  variant: string;
  strategy: string;
  /** Served lists of this arm. */
  pulls: number;
  /** Lists of this arm that earned the reward. */
  successes: number;
  /** Beta(alpha, beta) posterior of the arm's reward rate (uniform prior). */
  alpha: number;
  beta: number;
  posteriorMean: number;
  /** P(this arm has the highest reward rate) under the posteriors the current shares were computed from. */
  probabilityBest: number;
  /** The share of the experiment's requests this arm gets now: the propensity its next list is logged with. */
  trafficShare: number;
}

export interface BanditView {
  explorationFloor: number;
  /** The outcome that makes a list a success. */
  reward: AttributedType;
  arms: BanditArmView[];
}

interface Allocation {
  pulls: number[];
  successes: number[];
  probabilityBest: number[];
  shares: number[];
}

export class BanditArms {
  private readonly pulls: number[];
  private readonly successes: number[];
  private readonly reward: AttributedType;
  private readonly floor: number;
  /** Lists already counted as a success (servedId -> time of that outcome), within the attribution horizon. */
  private readonly rewarded = new Map<string, number>();
  private watermark = -Infinity;
  /** Updates since the last snapshot. */
  private changes = 0;
  /** The counts the shares come from. */
  private snapshot: { pulls: number[]; successes: number[] };
  /** The shares of the snapshot, computed at the first request after it. */
  private allocation: Allocation | null = null;

  constructor(
    private readonly spec: ExperimentSpec,
    /** The longest attribution window: no outcome reaches a list later than this after its first success. */
    private readonly horizonMs: number,
  ) {
    this.pulls = spec.variants.map(() => 0);
    this.successes = spec.variants.map(() => 0);
    this.reward = BANDIT_REWARD[spec.primaryMetric as keyof typeof BANDIT_REWARD] ?? 'CLICK';
    this.floor = spec.explorationFloor ?? 0.05;
    this.snapshot = { pulls: [...this.pulls], successes: [...this.successes] };
  }

  /** A newly counted impression of this experiment. */
  onImpression(e: ImpressionEvent): void {
    const arm = this.spec.variants.findIndex((v) => v.name === e.variant);
    if (arm < 0) return;
    this.pulls[arm]!++;
    this.changed();
  }

  /** A newly counted outcome attributed to one of this experiment's lists. */
  onOutcome(r: AttributionRecord): void {
    if (r.type !== this.reward || this.rewarded.has(r.servedId)) return;
    const arm = this.spec.variants.findIndex((v) => v.name === r.variant);
    if (arm < 0) return;
    this.rewarded.set(r.servedId, r.timestamp);
    this.successes[arm]!++;
    this.changed();
    if (r.timestamp > this.watermark) this.watermark = r.timestamp;
    if (this.rewarded.size % 10_000 === 0) this.prune();
  }

  /** A new snapshot when the counts moved enough (see the class comment). */
  private changed(): void {
    this.changes++;
    const total = this.pulls.reduce((a, b) => a + b, 0);
    if (this.changes < Math.max(1, Math.floor(total / 200))) return;
    this.snapshot = { pulls: [...this.pulls], successes: [...this.successes] };
    this.allocation = null;
    this.changes = 0;
  }

  /** The snapshot's allocation (computed once per snapshot). */
  private current(): Allocation {
    if (this.allocation === null) {
      const pulls = [...this.snapshot.pulls];
      // A success can be read before its list's impression (another partition on Kafka), hence the min.
      const successes = pulls.map((n, i) => Math.min(n, this.snapshot.successes[i]!));
      const p = probabilityBest(pulls.map((n, i) => betaPosterior(n, successes[i]!)));
      this.allocation = { pulls, successes, probabilityBest: p, shares: withExplorationFloor(p, this.floor) };
    }
    return this.allocation;
  }

  /** Traffic shares now (each at least the floor, summing to 1). */
  shares(): number[] {
    return [...this.current().shares];
  }

  /** Draws the arm for one request with a uniform u in [0, 1); the propensity is the arm's share. */
  choose(u: number): ArmChoice {
    return drawArm(this.current().shares, u);
  }

  view(): BanditView {
    const a = this.current();
    return {
      explorationFloor: this.floor,
      reward: this.reward,
      arms: this.spec.variants.map((v, i) => {
        // The live counts (the shares may lag them by up to one snapshot).
        const posterior = betaPosterior(this.pulls[i]!, Math.min(this.pulls[i]!, this.successes[i]!));
        return {
          variant: v.name,
          strategy: v.strategy,
          pulls: this.pulls[i]!,
          successes: this.successes[i]!,
          alpha: posterior.alpha,
          beta: posterior.beta,
          posteriorMean: posteriorMean(posterior),
          probabilityBest: a.probabilityBest[i]!,
          trafficShare: a.shares[i]!,
        };
      }),
    };
  }

  private prune(): void {
    const before = this.watermark - this.horizonMs;
    for (const [id, at] of this.rewarded) if (at < before) this.rewarded.delete(id);
  }
}
