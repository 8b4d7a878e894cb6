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
 *
 * By segment (`spec.banditBySegment`): the same, with one set of counts (and of snapshots) per customer segment. The
 * serving gateway looks up the user's segment, draws from that segment's shares and logs the segment on the
 * impression; every gateway then counts the list, and the outcomes attributed to it, in the segment the impression
 * names: from the log alone, so the same on every gateway, whatever segment another gateway's model would give the
 * user now. Users without a segment (no purchase yet, or no model) share one pool of their own. Each segment thus
 * converges to its own best arm, at the price of learning each from its own traffic only.
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
  /** The arms' counts are kept per customer segment (`segments`). */
  bySegment: boolean;
  arms: BanditArmView[];
  /** A bandit by segment: each segment's arms (empty otherwise). */
  segments: BanditSegmentView[];
}

interface Allocation {
  pulls: number[];
  successes: number[];
  probabilityBest: number[];
  shares: number[];
}

/** One segment's arms of a bandit by segment (`segment` null: users without a segment). */
export interface BanditSegmentView {
  segment: string | null;
  arms: BanditArmView[];
}

/**
 * One set of arms' counts and the shares drawn from them, with the snapshot rule of the class comment: a bandit has
 * one, a bandit by segment one per segment (each with its own snapshots, counted on its own records).
 */
class ArmPool {
  readonly pulls: number[];
  readonly successes: number[];
  /** Updates since the last snapshot. */
  private changes = 0;
  /** The counts the shares come from. */
  private snapshot: { pulls: number[]; successes: number[] };
  /** The shares of the snapshot, computed at the first request after it. */
  private allocation: Allocation | null = null;

  constructor(
    arms: number,
    private readonly floor: number,
  ) {
    this.pulls = new Array<number>(arms).fill(0);
    this.successes = new Array<number>(arms).fill(0);
    this.snapshot = { pulls: [...this.pulls], successes: [...this.successes] };
  }

  pull(arm: number): void {
    this.pulls[arm]!++;
    this.changed();
  }

  succeed(arm: number): void {
    this.successes[arm]!++;
    this.changed();
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
  current(): Allocation {
    if (this.allocation === null) {
      const pulls = [...this.snapshot.pulls];
      // A success can be read before its list's impression (another partition on Kafka), hence the min.
      const successes = pulls.map((n, i) => Math.min(n, this.snapshot.successes[i]!));
      const p = probabilityBest(pulls.map((n, i) => betaPosterior(n, successes[i]!)));
      this.allocation = { pulls, successes, probabilityBest: p, shares: withExplorationFloor(p, this.floor) };
    }
    return this.allocation;
  }

  arms(spec: ExperimentSpec): BanditArmView[] {
    const a = this.current();
    return spec.variants.map((v, i) => {
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
    });
  }
}

/** The pool key of users without a segment (a segment id is never empty: the impression's validation). */
const NO_SEGMENT = '';

export class BanditArms {
  private readonly reward: AttributedType;
  private readonly floor: number;
  /** The arms' counts: one pool, or with `banditBySegment` one per segment (NO_SEGMENT: users without one). */
  private readonly pools = new Map<string, ArmPool>();
  /** All lists and successes whatever the segment (what a bandit by segment reports as its totals). */
  private readonly total: ArmPool;
  /** Lists already counted as a success (servedId -> time of that outcome), within the attribution horizon. */
  private readonly rewarded = new Map<string, number>();
  private watermark = -Infinity;

  constructor(
    private readonly spec: ExperimentSpec,
    /** The longest attribution window: no outcome reaches a list later than this after its first success. */
    private readonly horizonMs: number,
  ) {
    this.reward = BANDIT_REWARD[spec.primaryMetric as keyof typeof BANDIT_REWARD] ?? 'CLICK';
    this.floor = spec.explorationFloor ?? 0.05;
    this.total = new ArmPool(spec.variants.length, this.floor);
  }

  /** Whether the arms are kept per customer segment. */
  get bySegment(): boolean {
    return this.spec.banditBySegment === true;
  }

  /** The pool a list of this segment counts in and draws from (the one pool unless by segment). */
  private pool(segment: string | undefined): ArmPool {
    if (!this.bySegment) return this.total;
    const key = segment ?? NO_SEGMENT;
    let p = this.pools.get(key);
    if (!p) this.pools.set(key, (p = new ArmPool(this.spec.variants.length, this.floor)));
    return p;
  }

  /** A newly counted impression of this experiment (its `segment`: the pool that drew it). */
  onImpression(e: ImpressionEvent): void {
    const arm = this.spec.variants.findIndex((v) => v.name === e.variant);
    if (arm < 0) return;
    this.pool(e.segment).pull(arm);
    if (this.bySegment) this.total.pull(arm);
  }

  /** A newly counted outcome attributed to one of this experiment's lists (to its list's segment). */
  onOutcome(r: AttributionRecord): void {
    if (r.type !== this.reward || this.rewarded.has(r.servedId)) return;
    const arm = this.spec.variants.findIndex((v) => v.name === r.variant);
    if (arm < 0) return;
    this.rewarded.set(r.servedId, r.timestamp);
    this.pool(r.segment).succeed(arm);
    if (this.bySegment) this.total.succeed(arm);
    if (r.timestamp > this.watermark) this.watermark = r.timestamp;
    if (this.rewarded.size % 10_000 === 0) this.prune();
  }

  /** Traffic shares now for a user of this segment (each at least the floor, summing to 1). */
  shares(segment?: string): number[] {
    return [...this.pool(segment).current().shares];
  }

  /** Draws the arm for one request (of a user in `segment`) with a uniform u in [0, 1); the propensity is the arm's share. */
  choose(u: number, segment?: string): ArmChoice {
    return drawArm(this.pool(segment).current().shares, u);
  }

  /**
   * The arms now. By segment: `arms` are the totals over segments, with the probability of being best and the share
   * a pooled bandit would compute from them (descriptive: no list is drawn from them), and `segments` each
   * segment's own (the shares its users' lists are drawn from), ordered by segment id, users without a segment last.
   */
  view(): BanditView {
    const segments = [...this.pools.entries()]
      .sort(([a], [b]) => (a === NO_SEGMENT ? 1 : b === NO_SEGMENT ? -1 : a < b ? -1 : a > b ? 1 : 0))
      .map(([key, pool]) => ({ segment: key === NO_SEGMENT ? null : key, arms: pool.arms(this.spec) }));
    return { explorationFloor: this.floor, reward: this.reward, bySegment: this.bySegment, arms: this.total.arms(this.spec), segments };
  }

  private prune(): void {
    const before = this.watermark - this.horizonMs;
    for (const [id, at] of this.rewarded) if (at < before) this.rewarded.delete(id);
  }
}
