import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ArrayMaxSize, ArrayMinSize, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { GraphQLDateTime } from 'graphql-scalars';

export enum ExperimentMetric {
  CTR = 'CTR',
  CLICKS_PER_USER = 'CLICKS_PER_USER',
  ADD_TO_CARTS_PER_USER = 'ADD_TO_CARTS_PER_USER',
  CONVERSION = 'CONVERSION',
  REVENUE_PER_USER = 'REVENUE_PER_USER',
}
registerEnumType(ExperimentMetric, {
  name: 'ExperimentMetric',
  description: 'What an experiment is judged on, per user (the randomisation unit), from outcomes attributed to its lists.',
  valuesConfig: {
    CTR: { description: 'Clicks per served list (a ratio metric over users: delta method).' },
    CLICKS_PER_USER: { description: 'Attributed clicks per exposed user.' },
    ADD_TO_CARTS_PER_USER: { description: 'Attributed add-to-carts per exposed user.' },
    CONVERSION: { description: 'Share of exposed users with at least one attributed purchase.' },
    REVENUE_PER_USER: { description: 'Attributed revenue per exposed user.' },
  },
});

export enum ExperimentKind {
  AB = 'AB',
  INTERLEAVE = 'INTERLEAVE',
  BANDIT = 'BANDIT',
}
registerEnumType(ExperimentKind, {
  name: 'ExperimentKind',
  description: 'How an experiment compares its variants and allocates its traffic.',
  valuesConfig: {
    AB: {
      description:
        "A/B test: fixed shares per variant, each user's variant by a salted hash of their id (sticky, the same on every gateway); variants compared on per-user metrics.",
    },
    INTERLEAVE: {
      description:
        'Team-draft interleaving of exactly two variants: every user in the traffic gets one list merged from both, each outcome is credited to the variant that contributed the item, and the result is the share of users preferring treatment (`results.interleaving`). Shares only set who enters (with traffic); the primary metric chooses what is credited (clicks for CTR and CLICKS_PER_USER).',
    },
    BANDIT: {
      description:
        "Thompson sampling per request over the variants' strategies: traffic moves toward the arm whose lists earn the primary metric's outcome, each arm keeping at least the exploration floor; every list logs the probability its arm was drawn with.",
    },
  },
});

export enum GuardrailDirection {
  HIGHER_IS_BETTER = 'HIGHER_IS_BETTER',
  LOWER_IS_BETTER = 'LOWER_IS_BETTER',
}
registerEnumType(GuardrailDirection, {
  name: 'GuardrailDirection',
  description:
    "Which way a guardrail metric gets worse. Every ExperimentMetric is a rate or revenue: higher is better, unless an experiment's purpose says otherwise.",
});

export enum GuardrailVerdict {
  PASS = 'PASS',
  FAIL = 'FAIL',
  INCONCLUSIVE = 'INCONCLUSIVE',
}
registerEnumType(GuardrailVerdict, {
  name: 'GuardrailVerdict',
  description: 'The outcome of a guardrail\'s one-sided non-inferiority test (EXPERIMENTS.md, "Guardrails").',
  valuesConfig: {
    PASS: { description: 'Non-inferior: the one-sided 95 % bound of the relative change is on the safe side of the margin.' },
    FAIL: { description: 'Worse than the margin: even the opposite one-sided 95 % bound is beyond it.' },
    INCONCLUSIVE: { description: 'The data cannot tell yet (the interval straddles the margin), or too few users.' },
  },
});

export enum SpendingFunction {
  OBRIEN_FLEMING = 'OBRIEN_FLEMING',
  POCOCK = 'POCOCK',
}
registerEnumType(SpendingFunction, {
  name: 'SpendingFunction',
  description: 'How a planned A/B test spends its 5 % over the planned users (EXPERIMENTS.md, "Group-sequential test").',
  valuesConfig: {
    OBRIEN_FLEMING: { description: "Lan-DeMets O'Brien-Fleming type: almost nothing early, a final boundary near the fixed-horizon 1.96." },
    POCOCK: { description: 'Lan-DeMets Pocock type: nearly the same boundary at every look; stops earlier, less power at the end.' },
  },
});

export enum ExperimentStatus {
  DRAFT = 'DRAFT',
  RUNNING = 'RUNNING',
  STOPPED = 'STOPPED',
  SHIPPED = 'SHIPPED',
}
registerEnumType(ExperimentStatus, {
  name: 'ExperimentStatus',
  description: 'DRAFT (created) -> RUNNING (start) -> STOPPED (stop); SHIPPED (ship, from RUNNING or STOPPED): its variant is the default.',
});

@InputType('BlendPartInput', { description: 'One part of a blend and its weight.' })
export class BlendPartInput {
  @Field({ description: 'A strategy that can be a blend part: local-ease, item-knn, rp3beta, user-knn or als.' })
  @MaxLength(100)
  strategy!: string;

  @Field(() => Float, {
    description: "Above 0. Each part's scores are scaled to its best score for the user, then weighted: only the ratios of the weights matter.",
  })
  weight!: number;
}

@InputType('ExperimentVariantInput')
export class ExperimentVariantInput {
  @Field({ description: 'Unique within the experiment, e.g. "control".' })
  @MaxLength(100)
  name!: string;

  @Field(() => Float, { description: "Share of the experiment's traffic; the shares sum to 1." })
  @Min(0)
  @Max(1)
  share!: number;

  @Field({ description: "The recommendation strategy this variant serves (one of the gateway's strategies)." })
  @MaxLength(100)
  strategy!: string;

  @Field(() => [BlendPartInput], {
    nullable: true,
    description:
      "With strategy blend: this variant's own parts and weights (each part once, weights above 0); shipping the variant makes them every gateway's default blend. Omitted: the gateway's default blend.",
  })
  @ValidateNested({ each: true })
  blend?: BlendPartInput[];
}

@InputType('GuardrailInput', {
  description: 'A guardrail metric with its non-inferiority margin: the metric may get worse by at most `margin`, relative to control.',
})
export class GuardrailInput {
  @Field(() => ExperimentMetric)
  metric!: ExperimentMetric;

  @Field(() => Float, { nullable: true, description: 'Tolerated relative degradation in (0, 1], e.g. 0.02 for 2 %; 0.02 when omitted.' })
  margin?: number;

  @Field(() => GuardrailDirection, { nullable: true, description: 'HIGHER_IS_BETTER when omitted.' })
  direction?: GuardrailDirection;
}

@InputType('CreateExperimentInput')
export class CreateExperimentInput {
  @Field({ description: 'Shown in results and alerts.' })
  @MaxLength(200)
  name!: string;

  @Field(() => [ExperimentVariantInput], { description: 'Two to ten variants.' })
  @ArrayMinSize(2)
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  variants!: ExperimentVariantInput[];

  @Field({ nullable: true, description: 'The variant the others are compared with; the first one when omitted.' })
  @MaxLength(100)
  control?: string;

  // Nullable with the default applied by the resolver, not `Float! = 1`: graphql-jit's variable coercion
  // does not fill input-field defaults (it reports the field missing).
  @Field(() => Float, { nullable: true, description: 'Fraction of users that enter the experiment (the others get the default), in (0, 1]; 1 when omitted.' })
  @Min(0)
  @Max(1)
  traffic?: number;

  @Field(() => ExperimentMetric)
  primaryMetric!: ExperimentMetric;

  @Field(() => ExperimentKind, {
    nullable: true,
    description:
      'AB when omitted. INTERLEAVE takes exactly two variants. BANDIT: shares are not used for allocation (it starts uniform and follows the posteriors), the arms must serve different lists (different strategies, or blends whose weights are not in proportion), and the primary metric must be a yes/no outcome per list (CTR and CLICKS_PER_USER: a click; ADD_TO_CARTS_PER_USER; CONVERSION: a purchase).',
  })
  type?: ExperimentKind;

  @Field(() => Float, {
    nullable: true,
    description: "BANDIT only: every arm's minimum share of the requests, in (0, 1/number of variants]; 0.05 when omitted.",
  })
  explorationFloor?: number;

  @Field({
    nullable: true,
    description:
      "BANDIT only: keep the arms' counts per customer segment (the user's segment when a list is served), so each segment converges to its own best arm (`bandit.segments`); users without a segment share one pool. False when omitted.",
  })
  banditBySegment?: boolean;

  @Field(() => [ExperimentMetric], {
    nullable: true,
    description: 'Watched alongside the primary metric (reported with the same statistics); none when omitted.',
  })
  @ArrayMaxSize(5)
  guardrailMetrics?: ExperimentMetric[];

  @Field(() => [GuardrailInput], {
    nullable: true,
    description:
      'Guardrail metrics with their margins and directions (joined with guardrailMetrics, whose metrics get a 2 % margin, higher is better). Each treatment gets a one-sided non-inferiority verdict per guardrail; a FAIL of the always-valid test raises a GUARDRAIL_FAILURE anomaly.',
  })
  @ArrayMaxSize(5)
  @ValidateNested({ each: true })
  guardrails?: GuardrailInput[];

  @Field(() => Float, {
    description:
      "The smallest absolute effect on the primary metric worth detecting (e.g. 0.02 clicks per list): the sequential test's mixture is tuned to it before any data is seen.",
  })
  minimumDetectableEffect!: number;

  @Field(() => SpendingFunction, {
    nullable: true,
    description:
      'A/B only: also run a group-sequential test on the primary metric with this alpha-spending function, planned at the information that detects minimumDetectableEffect with 80 % power. It spends all of its 5 % over the plan at the hourly looks, the stop being the final analysis: more power than the always-valid p-value, and final once the plan is complete. None when omitted.',
  })
  spending?: SpendingFunction;
}

@ObjectType('BlendPart', { simpleResolvers: true, description: 'One part of a blend and its weight.' })
export class BlendPartType {
  @Field()
  strategy!: string;

  @Field(() => Float)
  weight!: number;
}

@ObjectType('ExperimentVariant', { simpleResolvers: true })
export class ExperimentVariantType {
  @Field()
  name!: string;

  @Field(() => Float)
  share!: number;

  @Field()
  strategy!: string;

  @Field(() => [BlendPartType], {
    nullable: true,
    description: "A weighted blend variant's parts and weights (strategy blend); null: the strategy as the gateway serves it by name.",
  })
  blend!: BlendPartType[] | null;
}

@ObjectType('Interval', { simpleResolvers: true, description: 'A two-sided interval.' })
export class IntervalType {
  @Field(() => Float)
  lower!: number;

  @Field(() => Float)
  upper!: number;
}

@ObjectType('Lift', { simpleResolvers: true, description: 'A difference against control with its test.' })
export class LiftType {
  @Field(() => Float, { description: 'Point estimate: treatment - control (absolute) or treatment / control - 1 (relative).' })
  estimate!: number;

  @Field(() => Float)
  standardError!: number;

  @Field(() => IntervalType, { description: '95 % confidence interval (Welch t; delta method for the relative lift).' })
  ci!: IntervalType;

  @Field(() => Float, { description: 'Two-sided p-value (Welch t test).' })
  pValue!: number;
}

@ObjectType('Guardrail', { simpleResolvers: true, description: 'A guardrail metric and its non-inferiority margin.' })
export class GuardrailType {
  @Field(() => ExperimentMetric)
  metric!: ExperimentMetric;

  @Field(() => Float, { description: 'Tolerated relative degradation (0.02: at most 2 % worse than control).' })
  margin!: number;

  @Field(() => GuardrailDirection)
  direction!: GuardrailDirection;
}

@ObjectType('GuardrailResult', {
  simpleResolvers: true,
  description:
    'A treatment\'s non-inferiority test on a guardrail metric: is its relative change against control on the safe side of -margin (+margin when lower is better)? One-sided, at 5 %; fixed-horizon and always-valid (EXPERIMENTS.md, "Guardrails").',
})
export class GuardrailResultType {
  @Field(() => Float)
  margin!: number;

  @Field(() => GuardrailDirection)
  direction!: GuardrailDirection;

  @Field(() => Float, { nullable: true, description: 'Relative change treatment / control - 1 (delta method); null when not computable yet.' })
  estimate!: number | null;

  @Field(() => Float, { nullable: true })
  standardError!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'One-sided 95 % confidence bound of the relative change on the harmful side (the lower bound when higher is better).',
  })
  bound!: number | null;

  @Field(() => Float, { nullable: true, description: 'One-sided p-value of "worse than the margin" (fixed horizon, Student t): valid at one planned look.' })
  pValue!: number | null;

  @Field(() => GuardrailVerdict, { description: 'From the fixed-horizon test: PASS when pValue < 0.05, FAIL when the opposite test rejects.' })
  verdict!: GuardrailVerdict;

  @Field(() => Float, { nullable: true, description: 'Always-valid (one-sided mSPRT) p-value of "worse than the margin": safe to read at any time.' })
  sequentialPValue!: number | null;

  @Field(() => Float, { nullable: true, description: 'Always-valid p-value of "within the margin": below 0.05 the guardrail fails (and alerts).' })
  sequentialInferiorityPValue!: number | null;

  @Field(() => GuardrailVerdict, { description: 'From the always-valid test; its FAIL raises the GUARDRAIL_FAILURE anomaly.' })
  sequentialVerdict!: GuardrailVerdict;
}

@ObjectType('GroupSequentialResult', {
  simpleResolvers: true,
  description:
    'A treatment\'s group-sequential test on the primary metric of a planned A/B test, as of its last look (EXPERIMENTS.md, "Group-sequential test").',
})
export class GroupSequentialResultType {
  @Field(() => Boolean, { description: 'The test rejected "no difference" at a look; the verdict stands from then on.' })
  rejected!: boolean;

  @Field(() => Int, { nullable: true, description: 'The look (1-based) at which it rejected.' })
  rejectedAtLook!: number | null;

  @Field(() => Int, { description: 'Looks that spent alpha so far.' })
  looks!: number;

  @Field(() => Float, {
    description:
      "Information so far (1 / the absolute lift's squared standard error) over the plan's, at the last look (1 once the plan is complete or stopped).",
  })
  informationFraction!: number;

  @Field(() => Float, { description: 'Alpha spent so far (0.05 in all once complete; less with several treatments, each at 0.05 / treatments).' })
  alphaSpent!: number;

  @Field(() => Float, { nullable: true, description: '|z| boundary of the last look; null where that look spent nothing.' })
  boundary!: number | null;

  @Field(() => Float, { nullable: true, description: 'z statistic of the absolute lift at the last look.' })
  z!: number | null;

  @Field(() => Boolean, { description: 'All of alpha is spent (the plan is complete, or the experiment stopped): the verdict is final.' })
  complete!: boolean;
}

@ObjectType('VariantResult', { simpleResolvers: true, description: "One variant's results on one metric (src/experiments, formulas in EXPERIMENTS.md)." })
export class VariantResultType {
  @Field()
  name!: string;

  @Field()
  strategy!: string;

  @Field(() => Int, { description: 'Exposed users.' })
  users!: number;

  @Field(() => Float, { description: "The metric's mean (for CTR the ratio of sums)." })
  mean!: number;

  @Field(() => Float, { description: 'Per-user variance (for CTR that of the linearised values).' })
  variance!: number;

  @Field(() => LiftType, { nullable: true, description: 'Absolute lift against control; null for control or with too few users.' })
  absolute!: LiftType | null;

  @Field(() => LiftType, { nullable: true, description: 'Relative lift against control (delta method).' })
  relative!: LiftType | null;

  @Field(() => Float, { nullable: true, description: 'Holm-adjusted p-value of the absolute lift across the treatments.' })
  adjustedPValue!: number | null;

  @Field(() => Float, { nullable: true, description: 'Always-valid (mSPRT) p-value of the absolute lift: safe to look at any time.' })
  sequentialPValue!: number | null;

  @Field(() => Float, { nullable: true, description: 'Holm-adjusted sequential p-value across the treatments.' })
  adjustedSequentialPValue!: number | null;

  @Field(() => IntervalType, { nullable: true, description: 'Always-valid 95 % interval of the absolute lift.' })
  sequentialCi!: IntervalType | null;

  @Field(() => LiftType, {
    nullable: true,
    description: "Absolute lift with CUPED (the users' same behaviour before exposure as covariate); null when not computable.",
  })
  cupedAbsolute!: LiftType | null;

  @Field(() => Float, { nullable: true, description: 'Variance with CUPED / without: the interval is sqrt of it as wide.' })
  cupedVarianceRatio!: number | null;

  @Field(() => GuardrailResultType, {
    nullable: true,
    description:
      "On a guardrail metric of an A/B test: this treatment's non-inferiority test against control; null for control, the primary metric, bandits and interleavings.",
  })
  guardrail!: GuardrailResultType | null;

  @Field(() => GroupSequentialResultType, {
    nullable: true,
    description: 'The primary metric of an A/B test with a spending function: the group-sequential test against control; null for control and otherwise.',
  })
  groupSequential!: GroupSequentialResultType | null;
}

@ObjectType('MetricResults', { simpleResolvers: true })
export class MetricResultsType {
  @Field(() => ExperimentMetric)
  metric!: ExperimentMetric;

  @Field(() => [VariantResultType])
  variants!: VariantResultType[];
}

@ObjectType('InterleavingResults', {
  simpleResolvers: true,
  description:
    'An INTERLEAVE experiment on its primary metric: per user, the outcomes credited to each side; a user prefers the side credited with more (ties count for neither). Sign test and Clopper-Pearson interval (EXPERIMENTS.md, "Interleaving").',
})
export class InterleavingResultsType {
  @Field(() => ExperimentMetric)
  metric!: ExperimentMetric;

  @Field({ description: 'The control variant.' })
  control!: string;

  @Field({ description: 'The other variant.' })
  treatment!: string;

  @Field(() => Int, { description: 'Users shown at least one interleaved list.' })
  users!: number;

  @Field(() => Float, { description: "The metric's outcomes credited to control's entries (clicks, add-to-carts, purchases, or revenue)." })
  creditedControl!: number;

  @Field(() => Float, { description: "The metric's outcomes credited to treatment's entries." })
  creditedTreatment!: number;

  @Field(() => Int, { description: 'Users credited with more for treatment than for control.' })
  wins!: number;

  @Field(() => Int, { description: 'Users credited with more for control.' })
  losses!: number;

  @Field(() => Int, { description: 'Users credited equally (most often nothing on either side).' })
  ties!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'wins / (wins + losses): the share of users with a preference who prefer treatment; null before the first.',
  })
  preferenceShare!: number | null;

  @Field(() => IntervalType, { description: '95 % Clopper-Pearson interval of the preference share ([0, 1] before the first preference).' })
  ci!: IntervalType;

  @Field(() => Float, { description: 'Two-sided exact sign test of "no preference" (share = 0.5).' })
  pValue!: number;

  @Field(() => LiftType, {
    nullable: true,
    description:
      'Mean per-user credit difference (treatment - control, ties included) with its paired t-test and 95 % interval: weighs how strongly users prefer a side; null below two users.',
  })
  creditDifference!: LiftType | null;

  @Field(() => Float, {
    nullable: true,
    description:
      "Always-valid (mSPRT) p-value of the mean per-user credit difference: safe to read at every look, unlike creditDifference's t-test p-value (the mixture's scales come from the experiment's minimumDetectableEffect); null where creditDifference is.",
  })
  creditDifferenceSequentialPValue!: number | null;
}

@ObjectType('ExperimentResults', { simpleResolvers: true, description: 'Computed from the live per-user data at the time of the query.' })
export class ExperimentResultsType {
  @Field(() => MetricResultsType)
  primary!: MetricResultsType;

  @Field(() => [MetricResultsType])
  guardrails!: MetricResultsType[];

  @Field(() => Float, { nullable: true, description: 'Sample-ratio-mismatch chi-square p-value of users per variant against the shares.' })
  srmPValue!: number | null;

  @Field({ description: 'srmPValue < 0.001: assignment or exposure logging is broken; do not trust the results.' })
  sampleRatioMismatch!: boolean;

  @Field(() => InterleavingResultsType, {
    nullable: true,
    description:
      'INTERLEAVE experiments: the preference between the two variants (primary and guardrails then carry no per-variant users: nobody was split). Null for an A/B test.',
  })
  interleaving!: InterleavingResultsType | null;

  @Field(() => [ExperimentLookType], {
    description:
      "A/B experiments: what the primary metric's results showed at every hour boundary while the experiment ran (record time), oldest first; thinned past 2,000 looks. The sequential p-value stays valid however often it is read; the fixed-horizon one does not. Empty for interleavings and bandits.",
  })
  looks!: ExperimentLookType[];
}

@ObjectType('ExperimentLookTreatment', { simpleResolvers: true, description: "One treatment's p-values at a look." })
export class ExperimentLookTreatmentType {
  @Field()
  name!: string;

  @Field(() => Float, { nullable: true, description: 'Fixed-horizon (Welch) p-value against control: valid only at one planned look.' })
  pValue!: number | null;

  @Field(() => Float, { nullable: true, description: 'Always-valid (mSPRT) p-value against control: valid at every look.' })
  sequentialPValue!: number | null;

  @Field(() => Float, { nullable: true, description: "With a spending function: the group-sequential test's information fraction at this look." })
  groupSequentialInformationFraction!: number | null;

  @Field(() => Float, { nullable: true, description: "With a spending function: this look's group-sequential |z| boundary (null where it spent nothing)." })
  groupSequentialBoundary!: number | null;

  @Field(() => Boolean, { nullable: true, description: 'With a spending function: whether the group-sequential test had rejected by this look.' })
  groupSequentialRejected!: boolean | null;
}

@ObjectType('ExperimentLook', { simpleResolvers: true, description: "An experiment's results at one instant (an hour boundary)." })
export class ExperimentLookType {
  @Field(() => GraphQLDateTime)
  at!: Date;

  @Field(() => [Int], { description: "Users per variant then, in the experiment's variant order." })
  users!: number[];

  @Field(() => [ExperimentLookTreatmentType])
  treatments!: ExperimentLookTreatmentType[];
}

@ObjectType('BanditArm', {
  simpleResolvers: true,
  description: "One arm (variant) of a BANDIT experiment, from the log's impressions and attributed outcomes.",
})
export class BanditArmType {
  @Field()
  variant!: string;

  @Field()
  strategy!: string;

  @Field(() => Int, { description: 'Lists served by this arm.' })
  pulls!: number;

  @Field(() => Int, { description: "Lists of this arm that earned the reward (at least one attributed outcome of the primary metric's kind)." })
  successes!: number;

  @Field(() => Float, { description: 'Beta posterior of the reward rate (uniform prior): 1 + successes.' })
  alpha!: number;

  @Field(() => Float, { description: 'Beta posterior: 1 + pulls - successes.' })
  beta!: number;

  @Field(() => Float, { description: 'alpha / (alpha + beta).' })
  posteriorMean!: number;

  @Field(() => Float, { description: 'Probability that this arm has the highest reward rate, under the posteriors the current shares come from.' })
  probabilityBest!: number;

  @Field(() => Float, { description: "This arm's share of the experiment's requests now (the propensity its next list is logged with)." })
  trafficShare!: number;
}

@ObjectType('BanditSegment', { simpleResolvers: true, description: "One customer segment's arms in a BANDIT by segment." })
export class BanditSegmentType {
  @Field(() => String, { nullable: true, description: 'The segment id (as in `segments`); null: users without a segment.' })
  segment!: string | null;

  @Field(() => [BanditArmType], { description: "This segment's arms: its lists, successes, posteriors, and the shares its users' lists are drawn with." })
  arms!: BanditArmType[];
}

@ObjectType('BanditState', { simpleResolvers: true, description: "A BANDIT experiment's arms now: counts, posteriors and traffic shares." })
export class BanditStateType {
  @Field(() => Float)
  explorationFloor!: number;

  @Field({ description: 'The outcome that makes a served list a success: CLICK, ADD_TO_CART or PURCHASE.' })
  reward!: string;

  @Field(() => [BanditArmType], {
    description:
      "The arms. For a bandit by segment, the totals over its segments, with the probability of being best and the share a pooled bandit would give them (descriptive: lists are drawn from `segments`' shares).",
  })
  arms!: BanditArmType[];

  @Field({ description: "The arms' counts are kept per customer segment." })
  bySegment!: boolean;

  @Field(() => [BanditSegmentType], {
    description: 'A bandit by segment: each segment seen so far, with its own arms (users without a segment last); empty otherwise.',
  })
  segments!: BanditSegmentType[];
}

@ObjectType('Experiment', {
  simpleResolvers: true,
  description: 'An A/B test (or an interleaving, or a bandit) of recommendation strategies, durable in the event log and shared by every gateway.',
})
export class ExperimentType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => ExperimentStatus)
  status!: ExperimentStatus;

  @Field(() => ExperimentKind, { description: 'AB, INTERLEAVE (see `results.interleaving`) or BANDIT (see `bandit`).' })
  type!: ExperimentKind;

  @Field(() => Float, { nullable: true, description: "BANDIT: every arm's minimum share of the requests; null for AB." })
  explorationFloor!: number | null;

  @Field({ description: "BANDIT: the arms' counts are kept per customer segment; false otherwise." })
  banditBySegment!: boolean;

  @Field(() => Float)
  traffic!: number;

  @Field()
  control!: string;

  @Field(() => [ExperimentVariantType])
  variants!: ExperimentVariantType[];

  @Field(() => ExperimentMetric)
  primaryMetric!: ExperimentMetric;

  @Field(() => [ExperimentMetric])
  guardrailMetrics!: ExperimentMetric[];

  @Field(() => [GuardrailType], { description: 'Each guardrail metric with its margin and direction (the metrics of guardrailMetrics, in order).' })
  guardrails!: GuardrailType[];

  @Field(() => Float)
  minimumDetectableEffect!: number;

  @Field(() => SpendingFunction, { nullable: true, description: 'A/B tests with a group-sequential test: its alpha-spending function.' })
  spending!: SpendingFunction | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => String, { nullable: true })
  createdBy!: string | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  startedAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  stoppedAt!: Date | null;

  @Field(() => String, { nullable: true })
  shippedVariant!: string | null;
}
