/**
 * The event contract: what every producer (GraphQL `trackEvents`, the importer, Kafka) hands to the
 * event log, and what ingestion applies to the graph. Versioned so that old log entries stay readable
 * when the shape grows: a reader accepts every version up to READABLE_SCHEMA_VERSION. A record is written
 * with the lowest version that describes it (`schemaVersionOf`): EVENT_SCHEMA_VERSION for every record but
 * the few that carry a field an older reader would misread, so that a gateway one version behind (a rolling
 * upgrade on Kafka) still reads everything it can and refuses only what it cannot read right.
 */
import type { SpendingFunction } from '../experiments/group-sequential';

export const EVENT_SCHEMA_VERSION = 1;

/**
 * The highest version this gateway reads. Version 2: an experiment variant may carry blend weights
 * (`ExperimentVariantSpec.blend`); a version-1 reader drops unknown fields, so it would serve the gateway's
 * default blend under that variant's name and mix two weightings in one variant's results. Version 3: a bandit
 * by segment (`ExperimentSpec.banditBySegment`), which an older reader would run as one pooled bandit.
 */
export const READABLE_SCHEMA_VERSION = 3;

export const INTERACTION_TYPES = ['VIEW', 'CLICK', 'ADD_TO_CART', 'REMOVE_FROM_CART', 'PURCHASE'] as const;
export type InteractionType = (typeof INTERACTION_TYPES)[number];

/** A behaviour event: one user (or anonymous session) did something to one item at one time. */
export interface InteractionEvent {
  kind: 'interaction';
  /** Schema version of this record. */
  v: number;
  /** Producer-chosen id; applying the same id twice counts once. */
  id: string;
  type: InteractionType;
  /** Known customer; at least one of userId and sessionId is set. */
  userId?: string;
  /** Anonymous session, for shoppers who are not logged in. */
  sessionId?: string;
  itemId: string;
  /** Milliseconds since the epoch (UTC). */
  timestamp: number;
  /** Units; PURCHASE, ADD_TO_CART and REMOVE_FROM_CART only. */
  quantity?: number;
  /** Unit price in the shop's currency; PURCHASE (and optionally carts). */
  price?: number;
  /**
   * The served list (an impression's id) the item was picked from, for CLICK, ADD_TO_CART and PURCHASE:
   * the outcome is attributed to that list (src/outcomes/attribution.ts).
   */
  servedId?: string;
}

/** A catalog upsert: creates or replaces an item's descriptive fields. */
export interface ItemUpsertEvent {
  kind: 'item';
  v: number;
  id: string;
  itemId: string;
  title: string;
  category?: string;
  price?: number;
  attributes?: Record<string, string>;
  timestamp: number;
}

/** Where a served list was shown: the GraphQL field that answered. */
export const SERVED_SURFACES = ['recommendations', 'similarItems', 'recommendationsChanged'] as const;
export type ServedSurface = (typeof SERVED_SURFACES)[number];

/** One entry of a served list. */
export interface ServedEntry {
  itemId: string;
  /** 1-based rank in the list as served. */
  position: number;
  /**
   * Probability with which the serving policy showed this item here: 1 for a deterministic ranking, below 1
   * where the policy is randomised (exploration), so that other policies can be evaluated offline (IPS).
   * In a BANDIT experiment every entry of a list carries the same number: the probability with which the
   * bandit chose this list's arm for this request (the arm's traffic share at that moment, exploration floor
   * included). It is a list-level propensity, P(this arm's list was served), not the marginal probability of
   * the item at this position (another arm's list may show it too): off-policy estimates over lists use it as
   * is (`flywheel evaluate-policy`). In an A/B experiment the variant is fixed per user (salted hash), so
   * the list is deterministic for its user and the propensity is 1.
   */
  propensity: number;
  /**
   * In an interleaved list (an INTERLEAVE experiment): the variant whose strategy contributed this entry, to
   * which an outcome on it is credited. Absent everywhere else (and in records written before interleaving).
   */
  team?: string;
}

/**
 * An impression: a list the gateway served (written by the gateway itself, never by clients). It travels
 * through the same log as behaviour, so it is durable, replayable and erased with the user, but it is not
 * shopper behaviour: the graph, the recommender and the detectors do not apply it (`isGraphEvent`).
 * Outcomes (clicks, carts, purchases) are attributed to it (src/outcomes/).
 */
export interface ImpressionEvent {
  kind: 'impression';
  v: number;
  /** The served list's id (`servedId` in GraphQL): opaque, unique, chosen by the gateway. */
  id: string;
  /** Whom it was shown to, when known (similar-item lists may be anonymous). */
  userId?: string;
  sessionId?: string;
  surface: ServedSurface;
  /** The strategy that ranked the list. */
  strategy: string;
  /** The experiment and variant that chose the strategy, when the user was in one. */
  experimentId?: string;
  variant?: string;
  /**
   * A BANDIT with `banditBySegment`: the customer segment whose arms' counts drew this list's arm (absent: the
   * user had no segment, the pool of unsegmented users). Its outcomes count toward that segment's arms.
   */
  segment?: string;
  /** The item a similar-items list was for. */
  anchorItemId?: string;
  items: ServedEntry[];
  timestamp: number;
}

/** What an experiment's results are judged on, per user (the randomisation unit). */
export const EXPERIMENT_METRICS = ['CTR', 'CLICKS_PER_USER', 'ADD_TO_CARTS_PER_USER', 'CONVERSION', 'REVENUE_PER_USER'] as const;
export type ExperimentMetric = (typeof EXPERIMENT_METRICS)[number];

/**
 * How an experiment compares its variants: `AB` splits users between them by a salted hash, sticky (the
 * default, and what a spec without `type` is); `INTERLEAVE` shows every user in its traffic one list merged
 * from exactly two variants (team-draft) and credits each outcome to the variant that contributed the item
 * (src/experiments/interleaving.ts); `BANDIT` chooses a variant per request by Thompson sampling
 * (src/outcomes/bandit.ts).
 */
export const EXPERIMENT_TYPES = ['AB', 'INTERLEAVE', 'BANDIT'] as const;
export type ExperimentKind = (typeof EXPERIMENT_TYPES)[number];

export interface ExperimentVariantSpec {
  name: string;
  /** Share of the experiment's traffic; the shares sum to 1. */
  share: number;
  /** The recommendation strategy this variant serves. */
  strategy: string;
  /**
   * With strategy `blend` only: the parts and weights of this variant's blend, in place of the gateway's
   * default blend (absent: the default blend as each gateway has it). Records carrying it are version 2.
   */
  blend?: BlendPartSpec[];
}

export const GUARDRAIL_DIRECTIONS = ['HIGHER_IS_BETTER', 'LOWER_IS_BETTER'] as const;
export type GuardrailDirection = (typeof GUARDRAIL_DIRECTIONS)[number];

/** A guardrail metric's margin (e.g. 0.02: treatment may be at most 2 % worse than control) and which way is worse. */
export interface GuardrailSpec {
  metric: ExperimentMetric;
  /** Tolerated relative degradation, in (0, 1]. */
  margin: number;
  direction: GuardrailDirection;
}

/** The margin of a guardrail metric given without one: 2 % relative. */
export const DEFAULT_GUARDRAIL_MARGIN = 0.02;

/** One part of a blend (a strategy that scores, e.g. `item-knn`) and its weight, above 0. */
export interface BlendPartSpec {
  strategy: string;
  weight: number;
}

export interface ExperimentSpec {
  name: string;
  /** AB when absent (every record written before this field was an A/B test). */
  type?: ExperimentKind;
  /** BANDIT only (and required there): every arm's minimum share of the experiment's requests, in (0, 1/K]. */
  explorationFloor?: number;
  /**
   * BANDIT only: the arms' counts are kept per customer segment (the user's segment when the list is served, logged
   * on the impression), so each segment converges to its own best arm. Version 3: an older reader would run one
   * bandit for everyone under the same experiment.
   */
  banditBySegment?: boolean;
  /** Assignment salt (src/experiments/assignment.ts): a new one per experiment keeps experiments independent. */
  salt: string;
  /** Fraction of users that enter the experiment, in (0, 1]. */
  traffic: number;
  variants: ExperimentVariantSpec[];
  /** The variant the others are compared with. */
  control: string;
  primaryMetric: ExperimentMetric;
  guardrailMetrics: ExperimentMetric[];
  /**
   * Each guardrail metric's non-inferiority test: tolerated relative degradation and direction (one entry per metric
   * of `guardrailMetrics`, at most). A guardrail metric without an entry, and every guardrail of a record written
   * before this field, is tested with DEFAULT_GUARDRAIL_MARGIN, higher is better. Version 1: a reader without it
   * computes no guardrail verdicts, and misreads nothing it does compute.
   */
  guardrails?: GuardrailSpec[];
  /** Effect size (absolute, on the primary metric's scale) the sequential test is tuned to: its mixture's tau, fixed before any data. */
  minimumDetectableEffect: number;
  /**
   * A/B only: with it, the primary metric also gets the group-sequential test (src/experiments/group-sequential.ts)
   * with this alpha-spending function, planned at the information that detects `minimumDetectableEffect` with 80 %
   * power. A reader without the field computes no such test and misreads nothing it does compute (no version bump).
   */
  spending?: SpendingFunction;
}

/**
 * An experiment's lifecycle, as records in the event log: durable, and read by every gateway in log order
 * (on Kafka, through each one's fan-out consumer and its start-up read), so all gateways agree on which
 * experiment runs and with which variants. Not behaviour (`isGraphEvent`), not about a person.
 */
export interface ExperimentEvent {
  kind: 'experiment';
  v: number;
  /** This record's id. */
  id: string;
  experimentId: string;
  action: 'create' | 'start' | 'stop' | 'ship';
  /** With `create`. */
  spec?: ExperimentSpec;
  /** With `ship`: the variant whose strategy becomes the default. */
  variant?: string;
  /** Who did it (the caller's subject), for the audit trail. */
  by?: string;
  timestamp: number;
}

export type FlywheelEvent = InteractionEvent | ItemUpsertEvent | ImpressionEvent | ExperimentEvent;

/**
 * The version a record is written with: 2 for an experiment's creation whose variants carry blend weights
 * (what a version-1 reader would misread), EVENT_SCHEMA_VERSION for everything else.
 */
export function schemaVersionOf(record: { spec?: ExperimentSpec }): number {
  if (record.spec?.banditBySegment) return 3;
  return record.spec?.variants.some((v) => v.blend !== undefined) ? 2 : EVENT_SCHEMA_VERSION;
}

/** What the graph (and the recommender, which mirrors it) applies: behaviour and the catalog. */
export type GraphEvent = InteractionEvent | ItemUpsertEvent;

/**
 * The one rule for which records shape the graph: every consumer of the log that changes the graph or
 * the models (both graph backends, the live recommender, the detectors) goes through it, so a new record
 * kind that is not behaviour (impressions) cannot leak into edges, counts or findings.
 */
export function isGraphEvent(e: FlywheelEvent): e is GraphEvent {
  return e.kind === 'interaction' || e.kind === 'item';
}

/** The batch without records the graph does not apply; the same array when there are none (the common case). */
export function graphEvents(events: readonly FlywheelEvent[]): readonly GraphEvent[] {
  for (let i = 0; i < events.length; i++) if (!isGraphEvent(events[i]!)) return events.filter(isGraphEvent);
  return events as readonly GraphEvent[];
}

/**
 * The person a record is about, or undefined (catalog upserts, anonymous similar-item lists): what erasure
 * removes with the user and what the Kafka log keys by, for interactions and impressions alike.
 */
export function eventActor(e: FlywheelEvent): string | undefined {
  if (e.kind === 'item' || e.kind === 'experiment') return undefined;
  if (e.userId === undefined && e.sessionId === undefined) return undefined;
  return actorId(e);
}

/** The graph identity of whoever acted: a customer, or an anonymous session prefixed so ids never clash. */
export function actorId(e: { userId?: string; sessionId?: string }): string {
  return e.userId ?? `session:${e.sessionId}`;
}
