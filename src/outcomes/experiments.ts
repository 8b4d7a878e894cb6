import {
  DEFAULT_GUARDRAIL_MARGIN,
  type BlendPartSpec,
  type ExperimentEvent,
  type ExperimentMetric,
  type ExperimentSpec,
  type ExperimentVariantSpec,
  type GuardrailSpec,
  type ImpressionEvent,
} from '../events/event';
import { createAssigner, type Assignment } from '../experiments/assignment';
import { coMomentsOf, momentsOf, multiMomentsOf, sampleVariance } from '../experiments/moments';
import {
  analyzeExperiment,
  groupSequentialLook,
  INITIAL_GROUP_SEQUENTIAL_STATE,
  plannedInformation,
  type ExperimentAnalysis,
  type GroupSequentialState,
  type VariantInput,
} from '../experiments/statistics';
import { sampleRatioMismatch, type SrmResult } from '../experiments/srm';
import type { AttributionRecord } from './attribution';
import { BanditArms, type BanditView } from './bandit';
import { INTERLEAVED, InterleavingTally, type InterleavingResults } from './interleaving';

/**
 * Experiments as the log tells them: the registry of definitions and their lifecycle (records of kind
 * `experiment`, applied in log order, so every gateway reading the same log agrees), and per experiment
 * the per-user data its results are computed from (exposures from impressions, outcomes from attribution).
 * Pure: the statistics are src/experiments/'s, fed here with per-user values (the randomisation unit).
 *
 * Lifecycle: create -> DRAFT -> start -> RUNNING -> stop -> STOPPED; ship (from RUNNING or STOPPED) ->
 * SHIPPED, whose variant's strategy (and a weighted variant's blend weights) becomes the gateway's default.
 * At most one experiment runs at a time
 * (two would compete for the same requests). A record the lifecycle does not allow (two gateways racing to
 * start two experiments, say) is skipped by every gateway alike: the log's order decides.
 *
 * Exposure is the first impression of a user served with the experiment's variant (the impression is the
 * exposure log: it carries experimentId and variant). The CUPED covariate is the user's same behaviour
 * before that first exposure (all lists, all strategies), counted from the log as well.
 *
 * A BANDIT experiment (spec.type) chooses the variant per request by Thompson sampling (./bandit.ts) instead
 * of per user, so one user may see several arms: its per-unit data is kept per (user, arm), each pair being
 * a unit of that arm, and it has no sample-ratio check (its shares move by design). Its `results` are
 * therefore descriptive: the arms were not randomised per user at fixed shares, so their p-values and
 * intervals are approximate; `bandit()` and off-policy estimates (`flywheel evaluate-policy`) are the tools.
 */
export type ExperimentStatus = 'DRAFT' | 'RUNNING' | 'STOPPED' | 'SHIPPED';

export interface ExperimentView {
  id: string;
  spec: ExperimentSpec;
  status: ExperimentStatus;
  createdAt: number;
  createdBy: string | null;
  startedAt: number | null;
  stoppedAt: number | null;
  shippedVariant: string | null;
}

interface Behaviour {
  impressions: number;
  clicks: number;
  addToCarts: number;
  purchases: number;
  revenue: number;
}

interface Unit extends Behaviour {
  variant: number;
  exposedAt: number;
  pre: Behaviour;
}

interface ExperimentState extends ExperimentView {
  assigner: (unit: string) => Assignment | null;
  /** BANDIT experiments: the arms' counts and traffic shares. */
  bandit: BanditArms | null;
  units: Map<string, Unit>;
  /** Units per variant, kept as units arrive (the SRM check runs after every batch). */
  counts: number[];
  /** Set once the SRM alert was raised (one per experiment). */
  srmAlerted: boolean;
  /** INTERLEAVE experiments: their per-user credit (src/outcomes/interleaving.ts); `units` stays empty. */
  interleaving?: InterleavingTally;
  /** A/B experiments: the primary metric's p-values at each hour boundary while it ran (see `ExperimentLook`). */
  looks: ExperimentLook[];
  /** The next hour boundary (record time) at which a look is taken. */
  nextLookAt: number;
  /**
   * A/B experiments with `spending`: each variant's group-sequential test against control, folded at the looks
   * and at the stop (null for control, and without `spending`).
   */
  groupSequential: (GroupSequentialState | null)[] | null;
  /** A/B experiments: impressions and attributed outcomes read so far, and the count at which guardrails are next checked. */
  activity: number;
  nextGuardrailCheck: number;
  /** Guardrail alerts raised: `variant \0 metric` (one per experiment, variant and metric). */
  guardrailAlerted: Set<string>;
}

/**
 * A guardrail whose always-valid non-inferiority test says FAIL: treatment is worse than control on the metric by
 * more than the margin (src/experiments/guardrail.ts). Raised once per experiment, variant and metric.
 */
export interface GuardrailFailure {
  experimentId: string;
  variant: string;
  guardrail: GuardrailSpec;
  /** Users of the treatment and of control. */
  users: [number, number];
  /** The metric's mean in treatment and in control. */
  means: [number, number];
  /** Relative lift (treatment / control - 1). */
  estimate: number;
  /** Always-valid p-value of "within the margin". */
  inferiorityPValue: number;
}

/** Users each arm needs before a failing guardrail raises an alert (the plug-in variance of a few users is too rough). */
export const GUARDRAIL_ALERT_MIN_UNITS = 100;

/**
 * What the results showed at one instant of an A/B experiment: per treatment, the primary metric's
 * fixed-horizon and sequential p-values. Taken at every hour boundary of record time (when the first record
 * past it is read), so gateways reading the same log hold the same history, and a restart rebuilds it.
 * The console draws the sequential p-value over time from it: an analyst sees that looking every hour is
 * safe with the sequential p-value and not with the fixed-horizon one.
 */
export interface ExperimentLook {
  at: number;
  /** Units (users) per variant at that instant, in the spec's order. */
  users: number[];
  treatments: {
    name: string;
    pValue: number | null;
    sequentialPValue: number | null;
    /** With `spending`: the group-sequential information fraction and |z| boundary of this look, and whether the test had rejected by it. */
    groupSequentialInformationFraction?: number;
    groupSequentialBoundary?: number | null;
    groupSequentialRejected?: boolean;
  }[];
}

/** A treatment's group-sequential test as results show it (the state without its working density). */
export type GroupSequentialSummary = Omit<GroupSequentialState, 'density'>;

const LOOK_EVERY_MS = 3_600_000;
/** Past this many looks the history is thinned to every second one (about 80 days of hourly looks). */
const MAX_LOOKS = 2_000;

export interface ExperimentResults {
  metric: ExperimentMetric;
  /** Units (users) per variant, in the spec's order. */
  users: number[];
  analysis: ExperimentAnalysis;
  /** Variance reduction was possible (every variant has pre-exposure behaviour that varies). */
  cuped: boolean;
  /**
   * The primary metric of an A/B test with `spending`: per variant (null for control), the group-sequential test as
   * of the last look (hourly, and the final one at the stop). Null for other metrics and without `spending`.
   */
  groupSequential: (GroupSequentialSummary | null)[] | null;
}

/**
 * A weighted variant of the running experiment as the recommender needs it: the key its users' requests carry
 * (`RecommendRequest.variantBlend`) and the blend's weights, in the record's part order.
 */
export interface VariantBlend {
  key: string;
  weights: Record<string, number>;
}

/** A variant as serving needs it: its strategy and, for a weighted blend, the key of the blend built for it. */
export interface ServedVariant {
  name: string;
  strategy: string;
  blendKey?: string;
}

/** What the running experiment serves one request (`ExperimentBook.assign`). */
export interface ExperimentAssignment {
  experimentId: string;
  /** The variant (an interleaving: INTERLEAVED, its two variants in `teams`). */
  variant: string;
  strategy: string;
  /** A weighted blend variant: the key of the blend built for it. */
  blendKey?: string;
  /** A BANDIT: the probability with which this request's arm was drawn. */
  propensity?: number;
  /** A BANDIT by segment: the segment whose arms drew it (absent: the user has none), logged on the impression. */
  segment?: string;
  /** An INTERLEAVE: both variants, whose lists are merged. */
  teams?: readonly ServedVariant[];
}

export interface AppliedExperimentRecord {
  record: ExperimentEvent;
  /** False when the lifecycle did not allow it (skipped). */
  applied: boolean;
  reason?: string;
}

const none = (): Behaviour => ({ impressions: 0, clicks: 0, addToCarts: 0, purchases: 0, revenue: 0 });

export class ExperimentBook {
  private readonly experiments = new Map<string, ExperimentState>();
  /** Record ids seen (a redelivered record is applied once). */
  private readonly records = new Set<string>();
  /** Every actor's behaviour so far, for the CUPED covariate at their first exposure. */
  private readonly history = new Map<string, Behaviour>();
  private shipped: { experimentId: string; strategy: string; blend?: Record<string, number> } | null = null;

  constructor(
    private readonly hooks: {
      /** A variant was shipped: its strategy, and a weighted variant's blend weights, become the default. */
      onShipped?(strategy: string, experimentId: string, blend?: Readonly<Record<string, number>>): void;
      /**
       * The running experiment's weighted variants changed (it started, or it stopped or shipped): the blends to
       * build once for its requests (none when nothing weighted runs).
       */
      onVariantBlends?(blends: readonly VariantBlend[]): void;
      onRecord?(r: AppliedExperimentRecord): void;
      /** The longest attribution window (a bandit forgets which lists it rewarded after it); 7 days when absent. */
      rewardHorizonMs?: number;
    } = {},
  ) {}

  // ---- the lifecycle ------------------------------------------------------------------------------

  apply(e: ExperimentEvent): void {
    if (this.records.has(e.id)) return;
    this.records.add(e.id);
    const reason = this.refusal(e);
    if (reason === null) this.transition(e);
    this.hooks.onRecord?.({ record: e, applied: reason === null, ...(reason !== null ? { reason } : {}) });
  }

  /** Why the lifecycle does not allow this record now (null: it does). Mutations check the same before appending. */
  refusal(e: Pick<ExperimentEvent, 'experimentId' | 'action' | 'variant'>): string | null {
    const x = this.experiments.get(e.experimentId);
    switch (e.action) {
      case 'create':
        return x ? `experiment ${e.experimentId} exists already` : null;
      case 'start': {
        if (!x) return `no experiment ${e.experimentId}`;
        if (x.status !== 'DRAFT') return `experiment ${e.experimentId} is ${x.status}; only a DRAFT experiment starts`;
        const running = this.running();
        return running ? `experiment ${running.id} is running; stop it first (one experiment at a time)` : null;
      }
      case 'stop':
        if (!x) return `no experiment ${e.experimentId}`;
        return x.status === 'RUNNING' ? null : `experiment ${e.experimentId} is ${x.status}; only a RUNNING experiment stops`;
      case 'ship':
        if (!x) return `no experiment ${e.experimentId}`;
        if (x.status !== 'RUNNING' && x.status !== 'STOPPED') return `experiment ${e.experimentId} is ${x.status}; ship from RUNNING or STOPPED`;
        return x.spec.variants.some((v) => v.name === e.variant) ? null : `experiment ${e.experimentId} has no variant ${e.variant}`;
    }
  }

  private transition(e: ExperimentEvent): void {
    if (e.action === 'create') {
      const spec = e.spec!;
      this.experiments.set(e.experimentId, {
        id: e.experimentId,
        spec,
        status: 'DRAFT',
        createdAt: e.timestamp,
        createdBy: e.by ?? null,
        startedAt: null,
        stoppedAt: null,
        shippedVariant: null,
        assigner: createAssigner({ salt: spec.salt, traffic: spec.traffic, variants: spec.variants }),
        bandit: spec.type === 'BANDIT' ? new BanditArms(spec, this.hooks.rewardHorizonMs ?? 7 * 86_400_000) : null,
        units: new Map(),
        counts: spec.variants.map(() => 0),
        srmAlerted: false,
        ...(spec.type === 'INTERLEAVE' ? { interleaving: new InterleavingTally(spec) } : {}),
        looks: [],
        nextLookAt: Number.POSITIVE_INFINITY,
        groupSequential:
          spec.spending !== undefined && (spec.type ?? 'AB') === 'AB'
            ? spec.variants.map((v) => (v.name === spec.control ? null : INITIAL_GROUP_SEQUENTIAL_STATE))
            : null,
        activity: 0,
        nextGuardrailCheck: 0,
        guardrailAlerted: new Set(),
      });
      return;
    }
    const x = this.experiments.get(e.experimentId)!;
    const wasRunning = x.status === 'RUNNING';
    // The end of the experiment is the plan's final analysis: it spends whatever alpha is left.
    if (wasRunning && e.action !== 'start') this.groupSequentialLook(x, true);
    if (e.action === 'start') {
      x.status = 'RUNNING';
      x.startedAt = e.timestamp;
      x.nextLookAt = Math.floor(e.timestamp / LOOK_EVERY_MS) * LOOK_EVERY_MS + LOOK_EVERY_MS;
    } else if (e.action === 'stop') {
      x.status = 'STOPPED';
      x.stoppedAt = e.timestamp;
    } else {
      if (x.status === 'RUNNING') x.stoppedAt = e.timestamp;
      x.status = 'SHIPPED';
      x.shippedVariant = e.variant!;
      const v = x.spec.variants.find((w) => w.name === e.variant)!;
      const blend = v.blend && weightsOf(v.blend);
      this.shipped = { experimentId: x.id, strategy: v.strategy, ...(blend ? { blend } : {}) };
      this.hooks.onShipped?.(v.strategy, x.id, blend);
    }
    if (e.action === 'start' || wasRunning) this.hooks.onVariantBlends?.(this.variantBlends());
  }

  /** The running experiment's weighted variants, with the keys `assign` hands its requests. */
  variantBlends(): VariantBlend[] {
    const x = [...this.experiments.values()].find((y) => y.status === 'RUNNING');
    return (x?.spec.variants ?? []).flatMap((v) => (v.blend ? [{ key: variantBlendKey(x!.id, v.name), weights: weightsOf(v.blend) }] : []));
  }

  running(): ExperimentView | undefined {
    for (const x of this.experiments.values()) if (x.status === 'RUNNING') return view(x);
    return undefined;
  }

  list(): ExperimentView[] {
    return [...this.experiments.values()].map(view);
  }

  get(id: string): ExperimentView | undefined {
    const x = this.experiments.get(id);
    return x ? view(x) : undefined;
  }

  /** The strategy (and blend weights) the last shipped variant made the default, if any. */
  shippedDefault(): { experimentId: string; strategy: string; blend?: Record<string, number> } | null {
    return this.shipped;
  }

  hasRecord(id: string): boolean {
    return this.records.has(id);
  }

  /**
   * The running experiment's variant for this user (a userId or "session:<id>"), or null: not in it (its
   * traffic share) or none running. Stateless (salted hash), so every gateway answers the same.
   *
   * In a BANDIT experiment the salted hash still decides who is in it (its traffic), but the variant is drawn
   * per request from the arms' traffic shares with `random` (one uniform number in [0, 1)), and `propensity`
   * is the drawn arm's share: the probability with which this list's arm was chosen. Per request rather than
   * sticky per user: a sticky arm would make every later list of the user depend on the posterior at their
   * first visit (propensities would be per user, and the traffic could move only as new users arrive), whereas
   * a draw per list makes each served list one independent decision with a known probability, which is the
   * unit off-policy evaluation weighs and lets the allocation follow the posterior at once. The price: a user
   * may see different strategies from one request to the next, and an arm's list may earn a click prepared by
   * another arm's earlier list (carry-over); for strategies of one shop's recommendations we accept that.
   */
  assign(unit: string, random: () => number = Math.random, segment?: string): ExperimentAssignment | null {
    for (const x of this.experiments.values()) {
      if (x.status !== 'RUNNING') continue;
      const a = x.assigner(unit);
      if (!a) return null;
      // Interleaving: every user in the traffic gets both variants' lists merged (the ranges only decide who is in).
      if (x.interleaving) return { experimentId: x.id, variant: INTERLEAVED, strategy: INTERLEAVED, teams: x.spec.variants.map((v) => served(x.id, v)) };
      if (x.bandit) {
        const c = x.bandit.choose(random(), segment);
        const { name, ...v } = served(x.id, x.spec.variants[c.index]!);
        return { experimentId: x.id, variant: name, ...v, propensity: c.propensity, ...(x.bandit.bySegment && segment !== undefined ? { segment } : {}) };
      }
      const { name, ...v } = served(x.id, x.spec.variants[a.index]!);
      return { experimentId: x.id, variant: name, ...v };
    }
    return null;
  }

  /** The running experiment is a bandit by segment: `assign` wants the user's segment. */
  needsSegment(): boolean {
    for (const x of this.experiments.values()) if (x.status === 'RUNNING') return x.bandit?.bySegment === true;
    return false;
  }

  /** A BANDIT experiment's arms (counts, posteriors, traffic shares); undefined for others. */
  bandit(experimentId: string): BanditView | undefined {
    return this.experiments.get(experimentId)?.bandit?.view();
  }

  // ---- per-user data ------------------------------------------------------------------------------

  /** A newly counted impression shown to `actor` (undefined: anonymous, no unit). */
  onImpression(e: ImpressionEvent, actor: string | undefined): void {
    this.lookIfDue(e.timestamp);
    if (actor === undefined) return;
    if (e.experimentId !== undefined && e.variant !== undefined) {
      const x = this.experiments.get(e.experimentId);
      const variant = x ? x.spec.variants.findIndex((v) => v.name === e.variant) : -1;
      // An interleaving's exposure is an interleaved list (its entries carry teams); any other list of it credits nothing.
      if (x?.interleaving) {
        if (e.items[0]?.team !== undefined) x.interleaving.impression(actor, e.timestamp);
      } else if (x && variant >= 0) {
        x.bandit?.onImpression(e);
        x.activity++;
        const key = unitKey(x, actor, e.variant);
        let unit = x.units.get(key);
        if (!unit) {
          x.units.set(key, (unit = { ...none(), variant, exposedAt: e.timestamp, pre: { ...(this.history.get(actor) ?? none()) } }));
          x.counts[variant]!++;
        }
        unit.impressions++;
      }
    }
    this.behaviour(actor).impressions++;
  }

  /** A newly counted outcome of `actor` (any attribution, or none). */
  onOutcome(actor: string, type: 'CLICK' | 'ADD_TO_CART' | 'PURCHASE', revenue: number, attributed: AttributionRecord | null): void {
    if (attributed?.experimentId) {
      const x = this.experiments.get(attributed.experimentId);
      if (x?.interleaving) {
        if (attributed.team !== undefined) x.interleaving.credit(actor, attributed.team, type, attributed.revenue);
      } else if (x) {
        x.bandit?.onOutcome(attributed);
        const unit = x.units.get(unitKey(x, actor, attributed.variant ?? ''));
        if (unit) {
          count(unit, type, attributed.revenue);
          x.activity++;
        }
      }
    }
    count(this.behaviour(actor), type, revenue);
  }

  forgetActors(actors: readonly string[]): void {
    for (const a of actors) {
      this.history.delete(a);
      for (const x of this.experiments.values()) {
        x.interleaving?.forget(a);
        for (const v of x.bandit ? x.spec.variants : [null]) {
          const key = v ? unitKey(x, a, v.name) : a;
          const unit = x.units.get(key);
          if (!unit) continue;
          x.units.delete(key);
          x.counts[unit.variant]!--;
        }
      }
    }
  }

  /** The looks of an A/B experiment so far, oldest first (empty for others). */
  looks(experimentId: string): readonly ExperimentLook[] {
    return this.experiments.get(experimentId)?.looks ?? [];
  }

  /** Takes the running A/B experiment's look at each hour boundary that record time `t` has passed. */
  private lookIfDue(t: number): void {
    for (const x of this.experiments.values()) {
      if (x.status !== 'RUNNING' || x.interleaving || x.bandit || t < x.nextLookAt) continue;
      const at = Math.floor(t / LOOK_EVERY_MS) * LOOK_EVERY_MS;
      x.nextLookAt = at + LOOK_EVERY_MS;
      this.takeLook(x, at);
    }
  }

  /**
   * Takes a look at the running A/B experiment now, outside the hourly schedule: for a book alone in its process (the
   * simulator's analyst, who looks once a simulated day). Gateways that share a log must not call it: their looks,
   * and so their group-sequential tests, would differ. False when the experiment is not a running A/B test.
   */
  look(experimentId: string, at: number): boolean {
    const x = this.experiments.get(experimentId);
    if (!x || x.status !== 'RUNNING' || x.interleaving || x.bandit) return false;
    this.takeLook(x, at);
    return true;
  }

  private takeLook(x: ExperimentState, at: number): void {
    if (x.units.size === 0) return;
    // one results() for both (each sorts every unit): the look's analysis, then the group-sequential fold of it
    const r = this.results(x.id)!;
    this.groupSequentialLook(x, false, r);
    const folded = groupSequentialView(x);
    x.looks.push({
      at,
      users: r.users,
      treatments: r.analysis.variants.flatMap((v, i) => {
        if (v.name === x.spec.control) return [];
        const g = folded?.[i];
        return [
          {
            name: v.name,
            pValue: v.absolute?.pValue ?? null,
            sequentialPValue: v.sequential?.pValue ?? null,
            ...(g
              ? { groupSequentialInformationFraction: g.informationFraction, groupSequentialBoundary: g.boundary, groupSequentialRejected: g.rejected }
              : {}),
          },
        ];
      }),
    });
    if (x.looks.length > MAX_LOOKS) x.looks = x.looks.filter((_l, i) => i % 2 === 1);
  }

  /**
   * Folds this instant into each treatment's group-sequential test: z of the primary metric's absolute difference,
   * information fraction = its information (1 / squared standard error) over what the plan needs to detect
   * `minimumDetectableEffect` with 80 % power (information-based monitoring: users who come back keep adding
   * information, so the share of users seen would overstate it; measured in EXPERIMENTS.md). With several
   * treatments each test runs at alpha / (treatments) (Bonferroni: the spending tests have no Holm step-down here).
   */
  private groupSequentialLook(x: ExperimentState, final: boolean, results?: ExperimentResults): void {
    const tests = x.groupSequential;
    if (!tests || x.units.size === 0) return;
    const r = results ?? this.results(x.id)!;
    const alpha = 0.05 / (x.spec.variants.length - 1);
    const planned = plannedInformation(x.spec.minimumDetectableEffect, alpha);
    r.analysis.variants.forEach((v, i) => {
      const state = tests[i];
      if (!state || !v.absolute || !(v.absolute.standardError > 0)) return;
      const fraction = 1 / (v.absolute.standardError * v.absolute.standardError) / planned;
      tests[i] = groupSequentialLook(state, v.absolute.statistic, fraction, { alpha, spending: x.spec.spending!, final });
    });
  }

  private behaviour(actor: string): Behaviour {
    let b = this.history.get(actor);
    if (!b) this.history.set(actor, (b = none()));
    return b;
  }

  // ---- results ------------------------------------------------------------------------------------

  /** Units per variant of each running experiment, for the sample-ratio check. */
  sampleRatios(): { experimentId: string; users: number[]; srm: SrmResult }[] {
    const out: { experimentId: string; users: number[]; srm: SrmResult }[] = [];
    for (const x of this.experiments.values()) {
      // An interleaved experiment has one group (everyone sees both variants), and a bandit's shares move by
      // design: neither has a fixed split to check.
      if (x.status !== 'RUNNING' || x.srmAlerted || x.interleaving || x.bandit) continue;
      const users = [...x.counts];
      const total = users.reduce((a, b) => a + b, 0);
      // The chi-square approximation needs about 5 expected units per variant.
      if (x.spec.variants.some((v) => v.share * total < 5)) continue;
      out.push({
        experimentId: x.id,
        users,
        srm: sampleRatioMismatch(
          users,
          x.spec.variants.map((v) => v.share),
        ),
      });
    }
    return out;
  }

  /**
   * The guardrails of running A/B experiments that fail their always-valid non-inferiority test and have not
   * alerted yet, marked as alerted. Checked when the experiment's impressions and attributed outcomes have grown by
   * max(1, 0.5 %) since the last check (a rule on the records read, like the bandit's snapshots, which bounds the
   * cost to about 200 analyses per guardrail over an experiment's life); the always-valid test allows any schedule
   * of looks. Each arm needs GUARDRAIL_ALERT_MIN_UNITS users first.
   */
  takeGuardrailFailures(): GuardrailFailure[] {
    const out: GuardrailFailure[] = [];
    for (const x of this.experiments.values()) {
      if (x.status !== 'RUNNING' || x.interleaving || x.bandit || x.spec.guardrailMetrics.length === 0 || x.activity < x.nextGuardrailCheck) continue;
      x.nextGuardrailCheck = x.activity + Math.max(1, Math.floor(x.activity / 200));
      const control = x.spec.variants.findIndex((v) => v.name === x.spec.control);
      for (const g of guardrailsOf(x.spec)) {
        const r = this.results(x.id, g.metric)!;
        r.analysis.variants.forEach((v, i) => {
          const key = `${v.name}\u0000${g.metric}`;
          if (v.guardrail?.sequential?.verdict !== 'FAIL' || x.guardrailAlerted.has(key)) return;
          if (r.users[i]! < GUARDRAIL_ALERT_MIN_UNITS || r.users[control]! < GUARDRAIL_ALERT_MIN_UNITS) return;
          x.guardrailAlerted.add(key);
          out.push({
            experimentId: x.id,
            variant: v.name,
            guardrail: g,
            users: [r.users[i]!, r.users[control]!],
            means: [v.summary.mean, r.analysis.variants[control]!.summary.mean],
            estimate: v.guardrail.fixed?.estimate ?? Number.NaN,
            inferiorityPValue: v.guardrail.sequential.inferiorityPValue,
          });
        });
      }
    }
    return out;
  }

  markSrmAlerted(experimentId: string): void {
    const x = this.experiments.get(experimentId);
    if (x) x.srmAlerted = true;
  }

  /** An INTERLEAVE experiment's preference test (undefined: no such experiment, or an A/B one). */
  interleavingResults(experimentId: string, metric?: ExperimentMetric): InterleavingResults | undefined {
    return this.experiments.get(experimentId)?.interleaving?.results(metric);
  }

  results(experimentId: string, metric?: ExperimentMetric): ExperimentResults | undefined {
    const x = this.experiments.get(experimentId);
    if (!x) return undefined;
    const m = metric ?? x.spec.primaryMetric;
    const byVariant: Unit[][] = x.spec.variants.map(() => []);
    // Units in key order, not arrival order: a floating-point sum depends on the order of its terms, and each
    // gateway reads the same units from the log in its own interleaving of partitions. Only a canonical order
    // gives every gateway the same bits: the same verdict at a boundary, the same group-sequential state.
    for (const key of [...x.units.keys()].sort()) {
      const u = x.units.get(key)!;
      byVariant[u.variant]!.push(u);
    }
    const inputs = byVariant.map((units, i) => ({ name: x.spec.variants[i]!.name, units }));
    let cuped = true;
    let variants: VariantInput[];
    if (m === 'CTR') {
      // Clicks per impression with the user as the unit: a ratio metric (delta method); CUPED on the pre-period ratio.
      const rows = inputs.map((v) => v.units.map((u) => [u.clicks, u.impressions, u.pre.clicks, u.pre.impressions]));
      cuped = rows.every((r) => r.length >= 2 && varies(r.map((row) => row[3]!)));
      variants = inputs.map((v, i) =>
        cuped
          ? { name: v.name, ratio: multiMomentsOf(rows[i]!, 4) }
          : {
              name: v.name,
              ratio: coMomentsOf(
                v.units.map((u) => u.impressions),
                v.units.map((u) => u.clicks),
              ),
            },
      );
    } else {
      const value = metricOf(m);
      const ys = inputs.map((v) => v.units.map((u) => value(u)));
      const xs = inputs.map((v) => v.units.map((u) => value(u.pre)));
      cuped = xs.every((x) => x.length >= 2 && varies(x));
      variants = inputs.map((v, i) => ({ name: v.name, metric: cuped ? coMomentsOf(xs[i]!, ys[i]!) : momentsOf(ys[i]!) }));
    }
    const control = x.spec.variants.findIndex((v) => v.name === x.spec.control);
    // A guardrail metric of an A/B test is also tested for non-inferiority (a bandit's results are descriptive).
    const guardrail = x.bandit || x.interleaving ? undefined : guardrailsOf(x.spec).find((g) => g.metric === m);
    const analysis = analyzeExperiment(variants, {
      control,
      ...(x.bandit ? {} : { shares: x.spec.variants.map((v) => v.share) }),
      sequential: { tau: x.spec.minimumDetectableEffect },
      ...(guardrail ? { guardrail: { margin: guardrail.margin, direction: guardrail.direction } } : {}),
    });
    const groupSequential = m === x.spec.primaryMetric ? groupSequentialView(x) : null;
    return { metric: m, users: byVariant.map((u) => u.length), analysis, cuped, groupSequential };
  }
}

/**
 * Each guardrail metric with its margin and direction: the spec's own entry, else (a metric listed without one, or a
 * record written before guardrails had margins) DEFAULT_GUARDRAIL_MARGIN with higher is better.
 */
export function guardrailsOf(spec: Pick<ExperimentSpec, 'guardrailMetrics' | 'guardrails'>): GuardrailSpec[] {
  return spec.guardrailMetrics.map(
    (metric) => spec.guardrails?.find((g) => g.metric === metric) ?? { metric, margin: DEFAULT_GUARDRAIL_MARGIN, direction: 'HIGHER_IS_BETTER' },
  );
}

/** The key of a weighted variant's blend: its experiment and its name (an experiment's spec never changes). */
function variantBlendKey(experimentId: string, variant: string): string {
  return JSON.stringify([experimentId, variant]);
}

function served(experimentId: string, v: ExperimentVariantSpec): ServedVariant {
  return { name: v.name, strategy: v.strategy, ...(v.blend ? { blendKey: variantBlendKey(experimentId, v.name) } : {}) };
}

/** A blend's parts as the recommender takes them: weights by part name, in the record's order. */
export function weightsOf(parts: readonly BlendPartSpec[]): Record<string, number> {
  return Object.fromEntries(parts.map((p) => [p.strategy, p.weight]));
}

/** Each treatment's group-sequential state as reported (without its continuation density); null without a spending function. */
function groupSequentialView(x: ExperimentState) {
  return x.groupSequential ? x.groupSequential.map((g) => (g ? (({ density: _density, ...summary }) => summary)(g) : null)) : null;
}

/** The per-unit key: the user, or in a BANDIT (where one user meets several arms) the user and the arm. */
function unitKey(x: ExperimentState, actor: string, variant: string): string {
  return x.bandit ? `${actor}\u0000${variant}` : actor;
}

function view(x: ExperimentState): ExperimentView {
  return {
    id: x.id,
    spec: x.spec,
    status: x.status,
    createdAt: x.createdAt,
    createdBy: x.createdBy,
    startedAt: x.startedAt,
    stoppedAt: x.stoppedAt,
    shippedVariant: x.shippedVariant,
  };
}

function count(b: Behaviour, type: 'CLICK' | 'ADD_TO_CART' | 'PURCHASE', revenue: number): void {
  if (type === 'CLICK') b.clicks++;
  else if (type === 'ADD_TO_CART') b.addToCarts++;
  else {
    b.purchases++;
    b.revenue += revenue;
  }
}

/** The per-user value of a mean metric. */
function metricOf(m: Exclude<ExperimentMetric, 'CTR'>): (b: Behaviour) => number {
  switch (m) {
    case 'CLICKS_PER_USER':
      return (b) => b.clicks;
    case 'ADD_TO_CARTS_PER_USER':
      return (b) => b.addToCarts;
    case 'CONVERSION':
      return (b) => (b.purchases > 0 ? 1 : 0);
    case 'REVENUE_PER_USER':
      return (b) => b.revenue;
  }
}

function varies(values: readonly number[]): boolean {
  return values.length >= 2 && sampleVariance(momentsOf(values)) > 0;
}
