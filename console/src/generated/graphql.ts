/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** Narrows anomalies (all conditions must hold). */
export type AnomalyFilter = {
  acknowledged?: boolean | null | undefined;
  /** The anomaly entity, or the user / item it is linked to. */
  entityIds?: Array<string | number> | null | undefined;
  kinds?: Array<AnomalyKind> | null | undefined;
  /** Only this severity and above. */
  minSeverity?: Severity | null | undefined;
};

/** What the streaming detectors noticed. */
export type AnomalyKind =
  /** A burst of views/clicks from one user or session; its interactions stop shaping recommendations while flagged. */
  | 'BOT_ACTIVITY'
  /** A running A/B experiment's variant is worse than control on a guardrail metric by more than the guardrail's margin (always-valid one-sided test, p < 0.05; at least 100 users an arm). Once per experiment, variant and metric; the entity is the experiment, the evidence names the variant and the metric. */
  | 'GUARDRAIL_FAILURE'
  /** An order's value far from the customer's (or the shop's) usual orders. */
  | 'ORDER_VALUE_OUTLIER'
  /** A unit price far from the item's recent prices. */
  | 'PRICE_ANOMALY'
  /** Units far from the item's and the customer's usual quantities (median/MAD), or a cancellation of such a line. */
  | 'QUANTITY_OUTLIER'
  /** A running experiment's users per variant differ from its configured shares (chi-square p < 0.001): assignment or exposure logging is broken and its results are not to be trusted. The entity is the experiment. */
  | 'SAMPLE_RATIO_MISMATCH'
  /** Event count per bucket far below the baseline. */
  | 'TRAFFIC_DROP'
  /** Event count per bucket far above the exponentially weighted baseline (overall or per item). */
  | 'TRAFFIC_SPIKE';

/** A free catalog attribute. */
export type AttributeInput = {
  key: string;
  value: string;
};

/** One part of a blend and its weight. */
export type BlendPartInput = {
  /** A strategy that can be a blend part: local-ease, item-knn, rp3beta, user-knn or als. */
  strategy: string;
  /** Above 0. Each part's scores are scaled to its best score for the user, then weighted: only the ratios of the weights matter. */
  weight: number;
};

export type CreateExperimentInput = {
  /** BANDIT only: keep the arms' counts per customer segment (the user's segment when a list is served), so each segment converges to its own best arm (`bandit.segments`); users without a segment share one pool. False when omitted. */
  banditBySegment?: boolean | null | undefined;
  /** The variant the others are compared with; the first one when omitted. */
  control?: string | null | undefined;
  /** BANDIT only: every arm's minimum share of the requests, in (0, 1/number of variants]; 0.05 when omitted. */
  explorationFloor?: number | null | undefined;
  /** Watched alongside the primary metric (reported with the same statistics); none when omitted. */
  guardrailMetrics?: Array<ExperimentMetric> | null | undefined;
  /** Guardrail metrics with their margins and directions (joined with guardrailMetrics, whose metrics get a 2 % margin, higher is better). Each treatment gets a one-sided non-inferiority verdict per guardrail; a FAIL of the always-valid test raises a GUARDRAIL_FAILURE anomaly. */
  guardrails?: Array<GuardrailInput> | null | undefined;
  /** The smallest absolute effect on the primary metric worth detecting (e.g. 0.02 clicks per list): the sequential test's mixture is tuned to it before any data is seen. */
  minimumDetectableEffect: number;
  /** Shown in results and alerts. */
  name: string;
  primaryMetric: ExperimentMetric;
  /** A/B only: also run a group-sequential test on the primary metric with this alpha-spending function, planned at the information that detects minimumDetectableEffect with 80 % power. It spends all of its 5 % over the plan at the hourly looks, the stop being the final analysis: more power than the always-valid p-value, and final once the plan is complete. None when omitted. */
  spending?: SpendingFunction | null | undefined;
  /** Fraction of users that enter the experiment (the others get the default), in (0, 1]; 1 when omitted. */
  traffic?: number | null | undefined;
  /** AB when omitted. INTERLEAVE takes exactly two variants. BANDIT: shares are not used for allocation (it starts uniform and follows the posteriors), the arms must serve different lists (different strategies, or blends whose weights are not in proportion), and the primary metric must be a yes/no outcome per list (CTR and CLICKS_PER_USER: a click; ADD_TO_CARTS_PER_USER; CONVERSION: a purchase). */
  type?: ExperimentKind | null | undefined;
  /** Two to ten variants. */
  variants: Array<ExperimentVariantInput>;
};

/** A behaviour event from a frontend or shop backend. */
export type EventInput = {
  /** Client-chosen unique id; sending the same id again is a no-op. */
  id: string | number;
  itemId: string | number;
  /** Unit price. */
  price?: number | null | undefined;
  /** Units; required for PURCHASE. */
  quantity?: number | null | undefined;
  /** The `servedId` of the list the item was picked from (CLICK, ADD_TO_CART, PURCHASE): the outcome is credited to that list. Without it, the user's latest list showing the item within the attribution window is credited. */
  servedId?: string | number | null | undefined;
  /** Anonymous session id, for shoppers not logged in. */
  sessionId?: string | number | null | undefined;
  /** When it happened; defaults to the time of receipt. */
  timestamp?: string | null | undefined;
  type: EventType;
  /** Known customer id; give this or sessionId. */
  userId?: string | number | null | undefined;
};

/** What a shopper did to an item. */
export type EventType =
  | 'ADD_TO_CART'
  | 'CLICK'
  | 'PURCHASE'
  | 'REMOVE_FROM_CART'
  | 'VIEW';

/** How an experiment compares its variants and allocates its traffic. */
export type ExperimentKind =
  /** A/B test: fixed shares per variant, each user's variant by a salted hash of their id (sticky, the same on every gateway); variants compared on per-user metrics. */
  | 'AB'
  /** Thompson sampling per request over the variants' strategies: traffic moves toward the arm whose lists earn the primary metric's outcome, each arm keeping at least the exploration floor; every list logs the probability its arm was drawn with. */
  | 'BANDIT'
  /** Team-draft interleaving of exactly two variants: every user in the traffic gets one list merged from both, each outcome is credited to the variant that contributed the item, and the result is the share of users preferring treatment (`results.interleaving`). Shares only set who enters (with traffic); the primary metric chooses what is credited (clicks for CTR and CLICKS_PER_USER). */
  | 'INTERLEAVE';

/** What an experiment is judged on, per user (the randomisation unit), from outcomes attributed to its lists. */
export type ExperimentMetric =
  /** Attributed add-to-carts per exposed user. */
  | 'ADD_TO_CARTS_PER_USER'
  /** Attributed clicks per exposed user. */
  | 'CLICKS_PER_USER'
  /** Share of exposed users with at least one attributed purchase. */
  | 'CONVERSION'
  /** Clicks per served list (a ratio metric over users: delta method). */
  | 'CTR'
  /** Attributed revenue per exposed user. */
  | 'REVENUE_PER_USER';

/** DRAFT (created) -> RUNNING (start) -> STOPPED (stop); SHIPPED (ship, from RUNNING or STOPPED): its variant is the default. */
export type ExperimentStatus =
  | 'DRAFT'
  | 'RUNNING'
  | 'SHIPPED'
  | 'STOPPED';

export type ExperimentVariantInput = {
  /** With strategy blend: this variant's own parts and weights (each part once, weights above 0); shipping the variant makes them every gateway's default blend. Omitted: the gateway's default blend. */
  blend?: Array<BlendPartInput> | null | undefined;
  /** Unique within the experiment, e.g. "control". */
  name: string;
  /** Share of the experiment's traffic; the shares sum to 1. */
  share: number;
  /** The recommendation strategy this variant serves (one of the gateway's strategies). */
  strategy: string;
};

/** Which way a guardrail metric gets worse. Every ExperimentMetric is a rate or revenue: higher is better, unless an experiment's purpose says otherwise. */
export type GuardrailDirection =
  | 'HIGHER_IS_BETTER'
  | 'LOWER_IS_BETTER';

/** A guardrail metric with its non-inferiority margin: the metric may get worse by at most `margin`, relative to control. */
export type GuardrailInput = {
  /** HIGHER_IS_BETTER when omitted. */
  direction?: GuardrailDirection | null | undefined;
  /** Tolerated relative degradation in (0, 1], e.g. 0.02 for 2 %; 0.02 when omitted. */
  margin?: number | null | undefined;
  metric: ExperimentMetric;
};

/** The outcome of a guardrail's one-sided non-inferiority test (EXPERIMENTS.md, "Guardrails"). */
export type GuardrailVerdict =
  /** Worse than the margin: even the opposite one-sided 95 % bound is beyond it. */
  | 'FAIL'
  /** The data cannot tell yet (the interval straddles the margin), or too few users. */
  | 'INCONCLUSIVE'
  /** Non-inferior: the one-sided 95 % bound of the relative change is on the safe side of the margin. */
  | 'PASS';

/** Narrows an item listing. */
export type ItemFilter = {
  categories?: Array<string> | null | undefined;
  /** Case-insensitive substring of the id or title. */
  search?: string | null | undefined;
};

/** A catalog entry to create or replace. */
export type ItemInput = {
  attributes?: Array<AttributeInput> | null | undefined;
  category?: string | null | undefined;
  id: string | number;
  price?: number | null | undefined;
  title: string;
};

/** Business rules applied to a recommendation list. */
export type RecommendationFilter = {
  /** Only recommend items in these categories. */
  categories?: Array<string> | null | undefined;
  /** Never recommend these items. */
  excludeItemIds?: Array<string | number> | null | undefined;
  /** Allow items the user already bought (repeat-purchase shops). Default false. */
  includePurchased?: boolean | null | undefined;
  /** Diversity: at most this many items from one category. */
  maxPerCategory?: number | null | undefined;
  /** Only items priced at most this (items without a price are left out). */
  maxPrice?: number | null | undefined;
  /** Only items priced at least this (items without a price are left out). */
  minPrice?: number | null | undefined;
};

/** INFO < WARNING < CRITICAL. */
export type Severity =
  | 'CRITICAL'
  | 'INFO'
  | 'WARNING';

/** How a planned A/B test spends its 5 % over the planned users (EXPERIMENTS.md, "Group-sequential test"). */
export type SpendingFunction =
  /** Lan-DeMets O'Brien-Fleming type: almost nothing early, a final boundary near the fixed-horizon 1.96. */
  | 'OBRIEN_FLEMING'
  /** Lan-DeMets Pocock type: nearly the same boundary at every look; stops earlier, less power at the end. */
  | 'POCOCK';

export type RefreshSegmentsMutationVariables = Exact<{ [key: string]: never; }>;


export type RefreshSegmentsMutation = { refreshSegments: { k: number, silhouette: number, customers: number, durationMs: number, asOf: string, segments: Array<{ id: string, name: string, size: number }> } };

export type EraseUserMutationVariables = Exact<{
  id: string | number;
}>;


export type EraseUserMutation = { eraseUser: { userId: string, found: boolean, actors: Array<string>, interactionsRemoved: number, itemsAffected: number, segmentMemberships: number, anomaliesRemoved: number, anomaliesRedacted: number, eventsRemoved: number, deadLettersRemoved: number, logStrategy: string, erasedAt: string } };

export type SegmentsQueryVariables = Exact<{ [key: string]: never; }>;


export type SegmentsQuery = { segments: Array<{ id: string, name: string, size: number, share: number, averageOrderValue: number, centroid: { recency: number, frequency: number, monetary: number }, nextPeriod: { periodDays: number, since: string, until: string, customers: number, buyers: number, rate: number, baseRate: number } | null, topCategories: Array<{ category: string, customers: number, revenue: number }>, topItems: Array<{ id: string, title: string }> }> };

export type SegmentMembersQueryVariables = Exact<{
  id: string | number;
  first?: number;
  after?: string | null | undefined;
}>;


export type SegmentMembersQuery = { segment: { id: string, name: string, size: number, users: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, lastSeenAt: string } }> } } | null };

export type AnomaliesQueryVariables = Exact<{
  filter?: AnomalyFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type AnomaliesQuery = { anomalies: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, kind: AnomalyKind, severity: Severity, entityType: string, entityId: string, score: number, detectedAt: string, message: string, acknowledged: boolean } }> } };

export type AcknowledgeAnomalyMutationVariables = Exact<{
  id: string | number;
}>;


export type AcknowledgeAnomalyMutation = { acknowledgeAnomaly: { id: string, acknowledged: boolean } };

export type DeadLettersQueryVariables = Exact<{
  first?: number;
}>;


export type DeadLettersQuery = { deadLetters: Array<{ seq: number, at: string, source: string, reason: string, raw: string }> };

export type OutcomeMetricsQueryVariables = Exact<{
  strategy?: string | null | undefined;
  experimentId?: string | number | null | undefined;
  since?: string | null | undefined;
  until?: string | null | undefined;
}>;


export type OutcomeMetricsQuery = { outcomeMetrics: Array<{ strategy: string, experimentId: string | null, variant: string | null, impressions: number, itemsShown: number, users: number, clicks: number, addToCarts: number, purchases: number, revenue: number, clickThroughRate: number | null, itemClickThroughRate: number | null, addToCartRate: number | null, purchaseRate: number | null, revenuePerList: number | null, revenuePerUser: number | null, buckets: Array<{ start: string, impressions: number, clicks: number, addToCarts: number, purchases: number, revenue: number }> }> };

export type ExperimentsQueryVariables = Exact<{ [key: string]: never; }>;


export type ExperimentsQuery = { experiments: Array<{ id: string, name: string, type: ExperimentKind, status: ExperimentStatus, traffic: number, control: string, primaryMetric: ExperimentMetric, guardrailMetrics: Array<ExperimentMetric>, startedAt: string | null, stoppedAt: string | null, shippedVariant: string | null, variants: Array<{ name: string, share: number, strategy: string, blend: Array<{ strategy: string, weight: number }> | null }>, guardrails: Array<{ metric: ExperimentMetric, margin: number, direction: GuardrailDirection }> }> };

export type ExperimentResultsQueryVariables = Exact<{
  id: string | number;
}>;


export type ExperimentResultsQuery = { experiment: { id: string, name: string, status: ExperimentStatus, type: ExperimentKind, results: { sampleRatioMismatch: boolean, srmPValue: number | null, interleaving: { metric: ExperimentMetric, control: string, treatment: string, users: number, creditedControl: number, creditedTreatment: number, wins: number, losses: number, ties: number, preferenceShare: number | null, pValue: number, creditDifferenceSequentialPValue: number | null, ci: { lower: number, upper: number }, creditDifference: { estimate: number, pValue: number, ci: { lower: number, upper: number } } | null } | null, primary: { metric: ExperimentMetric, variants: Array<{ name: string, strategy: string, users: number, mean: number, variance: number, adjustedPValue: number | null, sequentialPValue: number | null, adjustedSequentialPValue: number | null, cupedVarianceRatio: number | null, absolute: { estimate: number, standardError: number, pValue: number, ci: { lower: number, upper: number } } | null, relative: { estimate: number, pValue: number, ci: { lower: number, upper: number } } | null, sequentialCi: { lower: number, upper: number } | null, cupedAbsolute: { estimate: number, ci: { lower: number, upper: number } } | null, groupSequential: { rejected: boolean, rejectedAtLook: number | null, informationFraction: number, alphaSpent: number, boundary: number | null, z: number | null, complete: boolean } | null }> }, guardrails: Array<{ metric: ExperimentMetric, variants: Array<{ name: string, users: number, mean: number, sequentialPValue: number | null, absolute: { estimate: number, pValue: number } | null, guardrail: { margin: number, direction: GuardrailDirection, estimate: number | null, bound: number | null, pValue: number | null, verdict: GuardrailVerdict, sequentialPValue: number | null, sequentialInferiorityPValue: number | null, sequentialVerdict: GuardrailVerdict } | null }> }> } } | null };

export type ExperimentBanditQueryVariables = Exact<{
  id: string | number;
}>;


export type ExperimentBanditQuery = { experiment: { id: string, name: string, type: ExperimentKind, status: ExperimentStatus, explorationFloor: number | null, banditBySegment: boolean, bandit: { explorationFloor: number, reward: string, bySegment: boolean, arms: Array<{ variant: string, strategy: string, pulls: number, successes: number, posteriorMean: number, probabilityBest: number, trafficShare: number }>, segments: Array<{ segment: string | null, arms: Array<{ variant: string, pulls: number, successes: number, posteriorMean: number, trafficShare: number }> }> } | null } | null };

export type CreateExperimentMutationVariables = Exact<{
  input: CreateExperimentInput;
}>;


export type CreateExperimentMutation = { createExperiment: { id: string, status: ExperimentStatus, guardrails: Array<{ metric: ExperimentMetric, margin: number, direction: GuardrailDirection }> } };

export type StartExperimentMutationVariables = Exact<{
  id: string | number;
}>;


export type StartExperimentMutation = { startExperiment: { id: string, status: ExperimentStatus, startedAt: string | null } };

export type StopExperimentMutationVariables = Exact<{
  id: string | number;
}>;


export type StopExperimentMutation = { stopExperiment: { id: string, status: ExperimentStatus, stoppedAt: string | null } };

export type ShipVariantMutationVariables = Exact<{
  id: string | number;
  variant: string;
}>;


export type ShipVariantMutation = { shipVariant: { id: string, status: ExperimentStatus, shippedVariant: string | null } };

export type ConsoleStatusFieldsFragment = { at: string, status: string, ready: boolean, ingestLag: number, eventsAccepted: number, eventsIngested: number, eventsRejected: number, users: number, items: number, categories: number, edges: number, flaggedBots: number, webSocketConnections: number, eventLoopDelayMs: number, uptimeSeconds: number };

export type ConsoleAnomalyFieldsFragment = { id: string, kind: AnomalyKind, severity: Severity, entityType: string, entityId: string, score: number, detectedAt: string, message: string, acknowledged: boolean };

export type ConsoleViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleViewerQuery = { viewer: { role: string, subject: string | null, authenticated: boolean } };

export type ConsoleOverviewQueryVariables = Exact<{
  since?: string | null | undefined;
}>;


export type ConsoleOverviewQuery = { gatewayStatus: { at: string, status: string, ready: boolean, ingestLag: number, eventsAccepted: number, eventsIngested: number, eventsRejected: number, users: number, items: number, categories: number, edges: number, flaggedBots: number, webSocketConnections: number, eventLoopDelayMs: number, uptimeSeconds: number }, anomalyCounts: Array<{ day: string, kind: AnomalyKind, severity: Severity, count: number }>, segments: Array<{ id: string, name: string, size: number }> };

export type ConsoleStatusUpdatesSubscriptionVariables = Exact<{
  intervalMs?: number;
}>;


export type ConsoleStatusUpdatesSubscription = { gatewayStatusUpdates: { at: string, status: string, ready: boolean, ingestLag: number, eventsAccepted: number, eventsIngested: number, eventsRejected: number, users: number, items: number, categories: number, edges: number, flaggedBots: number, webSocketConnections: number, eventLoopDelayMs: number, uptimeSeconds: number } };

export type ConsoleAnomaliesQueryVariables = Exact<{
  filter?: AnomalyFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
  since?: string | null | undefined;
}>;


export type ConsoleAnomaliesQuery = { anomalies: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, kind: AnomalyKind, severity: Severity, entityType: string, entityId: string, score: number, detectedAt: string, message: string, acknowledged: boolean } }> }, anomalyCounts: Array<{ day: string, kind: AnomalyKind, severity: Severity, count: number }> };

export type ConsoleAnomalyFeedSubscriptionVariables = Exact<{
  filter?: AnomalyFilter | null | undefined;
}>;


export type ConsoleAnomalyFeedSubscription = { anomalyDetected: { id: string, kind: AnomalyKind, severity: Severity, entityType: string, entityId: string, score: number, detectedAt: string, message: string, acknowledged: boolean } };

export type ConsoleAcknowledgeAnomalyMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleAcknowledgeAnomalyMutation = { acknowledgeAnomaly: { id: string, acknowledged: boolean } };

export type ConsoleSegmentsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleSegmentsQuery = { segments: Array<{ id: string, name: string, size: number, share: number, averageOrderValue: number, centroid: { recency: number, frequency: number, monetary: number }, nextPeriod: { periodDays: number, since: string, until: string, customers: number, buyers: number, rate: number, baseRate: number } | null, topCategories: Array<{ category: string, customers: number, revenue: number }>, topItems: Array<{ id: string, title: string, category: string | null }> }> };

export type ConsoleSegmentMembersQueryVariables = Exact<{
  id: string | number;
  first?: number;
  after?: string | null | undefined;
}>;


export type ConsoleSegmentMembersQuery = { segment: { id: string, name: string, users: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, eventCount: number, itemCount: number, lastSeenAt: string } }> } } | null };

export type ConsoleRefreshSegmentsMutationVariables = Exact<{ [key: string]: never; }>;


export type ConsoleRefreshSegmentsMutation = { refreshSegments: { k: number, customers: number, silhouette: number, durationMs: number } };

export type ConsoleShopperQueryVariables = Exact<{
  id: string | number;
  history?: number;
  analyst?: boolean;
}>;


export type ConsoleShopperQuery = { user: { id: string, anonymous: boolean, eventCount: number, itemCount: number, firstSeenAt: string, lastSeenAt: string, flaggedAsBot?: boolean, segment: { id: string, name: string } | null, anomalies?: Array<{ id: string, kind: AnomalyKind, severity: Severity, entityType: string, entityId: string, score: number, detectedAt: string, message: string, acknowledged: boolean }>, recentInteractions: Array<{ lastType: EventType, firstSeenAt: string, lastSeenAt: string, weight: number, quantity: number, revenue: number, counts: { views: number, clicks: number, addToCarts: number, removeFromCarts: number, purchases: number }, item: { id: string, title: string, category: string | null } }> } | null };

export type ConsoleRecommendationsQueryVariables = Exact<{
  userId: string | number;
  strategy?: string | null | undefined;
  first?: number;
}>;


export type ConsoleRecommendationsQuery = { recommendations: Array<{ score: number, reason: string, item: { id: string, title: string, category: string | null, price: number | null } }> };

export type ConsoleItemQueryVariables = Exact<{
  id: string | number;
  analyst?: boolean;
}>;


export type ConsoleItemQuery = { item: { id: string, title: string, category: string | null, price: number | null, inCatalog: boolean, userCount: number, attributes: Array<{ key: string, value: string }>, categoryDetails: { name: string, itemCount: number } | null, similar: Array<{ score: number, reason: string, item: { id: string, title: string, category: string | null } }>, anomalies?: Array<{ id: string, kind: AnomalyKind, severity: Severity, entityType: string, entityId: string, score: number, detectedAt: string, message: string, acknowledged: boolean }> } | null };

export type ConsoleItemSearchQueryVariables = Exact<{
  search?: string | null | undefined;
  first?: number;
}>;


export type ConsoleItemSearchQuery = { items: { totalCount: number, edges: Array<{ node: { id: string, title: string, category: string | null, price: number | null, userCount: number } }> } };

export type ConsoleDataQualityQueryVariables = Exact<{
  first?: number;
  since?: string | null | undefined;
}>;


export type ConsoleDataQualityQuery = { eventTypeCounts: Array<{ day: string, type: string, count: number }>, deadLetters: Array<{ seq: number, at: string, source: string, reason: string }>, gatewayStatus: { at: string, status: string, ready: boolean, ingestLag: number, eventsAccepted: number, eventsIngested: number, eventsRejected: number, users: number, items: number, categories: number, edges: number, flaggedBots: number, webSocketConnections: number, eventLoopDelayMs: number, uptimeSeconds: number } };

export type ConsoleItemNeighbourhoodQueryVariables = Exact<{
  id: string | number;
  analyst?: boolean;
}>;


export type ConsoleItemNeighbourhoodQuery = { item: { id: string, title: string, category: string | null, similar: Array<{ score: number, item: { id: string, title: string, category: string | null } }>, recentInteractions?: Array<{ userId: string, lastType: EventType, weight: number }> } | null };

export type ConsoleUserNeighbourhoodQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleUserNeighbourhoodQuery = { user: { id: string, recentInteractions: Array<{ lastType: EventType, weight: number, item: { id: string, title: string, category: string | null } }> } | null };

export type ConsoleCategoryItemsQueryVariables = Exact<{
  category: string;
  first?: number;
}>;


export type ConsoleCategoryItemsQuery = { items: { edges: Array<{ node: { id: string, title: string, category: string | null } }> } };

export type ConsoleLiftFieldsFragment = { estimate: number, standardError: number, pValue: number, ci: { lower: number, upper: number } };

export type ConsoleVariantResultFieldsFragment = { name: string, strategy: string, users: number, mean: number, adjustedPValue: number | null, sequentialPValue: number | null, adjustedSequentialPValue: number | null, cupedVarianceRatio: number | null, absolute: { estimate: number, standardError: number, pValue: number, ci: { lower: number, upper: number } } | null, relative: { estimate: number, standardError: number, pValue: number, ci: { lower: number, upper: number } } | null, sequentialCi: { lower: number, upper: number } | null, cupedAbsolute: { estimate: number, standardError: number, pValue: number, ci: { lower: number, upper: number } } | null, groupSequential: { rejected: boolean, rejectedAtLook: number | null, looks: number, informationFraction: number, boundary: number | null, z: number | null, complete: boolean } | null };

export type ConsoleBanditArmFieldsFragment = { variant: string, strategy: string, pulls: number, successes: number, posteriorMean: number, probabilityBest: number, trafficShare: number };

export type ConsoleExperimentFieldsFragment = { id: string, name: string, type: ExperimentKind, status: ExperimentStatus, explorationFloor: number | null, control: string, primaryMetric: ExperimentMetric, guardrailMetrics: Array<ExperimentMetric>, minimumDetectableEffect: number, spending: SpendingFunction | null, traffic: number, createdAt: string, createdBy: string | null, startedAt: string | null, stoppedAt: string | null, shippedVariant: string | null, guardrails: Array<{ metric: ExperimentMetric, margin: number, direction: GuardrailDirection }>, variants: Array<{ name: string, share: number, strategy: string, blend: Array<{ strategy: string, weight: number }> | null }> };

export type ConsoleExperimentsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleExperimentsQuery = { experiments: Array<{ id: string, name: string, type: ExperimentKind, status: ExperimentStatus, explorationFloor: number | null, control: string, primaryMetric: ExperimentMetric, guardrailMetrics: Array<ExperimentMetric>, minimumDetectableEffect: number, spending: SpendingFunction | null, traffic: number, createdAt: string, createdBy: string | null, startedAt: string | null, stoppedAt: string | null, shippedVariant: string | null, guardrails: Array<{ metric: ExperimentMetric, margin: number, direction: GuardrailDirection }>, variants: Array<{ name: string, share: number, strategy: string, blend: Array<{ strategy: string, weight: number }> | null }> }> };

export type ConsoleExperimentQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleExperimentQuery = { experiment: { id: string, name: string, type: ExperimentKind, status: ExperimentStatus, explorationFloor: number | null, control: string, primaryMetric: ExperimentMetric, guardrailMetrics: Array<ExperimentMetric>, minimumDetectableEffect: number, spending: SpendingFunction | null, traffic: number, createdAt: string, createdBy: string | null, startedAt: string | null, stoppedAt: string | null, shippedVariant: string | null, bandit: { reward: string, bySegment: boolean, arms: Array<{ variant: string, strategy: string, pulls: number, successes: number, posteriorMean: number, probabilityBest: number, trafficShare: number }>, segments: Array<{ segment: string | null, arms: Array<{ variant: string, strategy: string, pulls: number, successes: number, posteriorMean: number, probabilityBest: number, trafficShare: number }> }> } | null, results: { sampleRatioMismatch: boolean, srmPValue: number | null, interleaving: { metric: ExperimentMetric, control: string, treatment: string, users: number, creditedControl: number, creditedTreatment: number, wins: number, losses: number, ties: number, preferenceShare: number | null, pValue: number, creditDifferenceSequentialPValue: number | null, ci: { lower: number, upper: number }, creditDifference: { estimate: number, standardError: number, pValue: number, ci: { lower: number, upper: number } } | null } | null, primary: { metric: ExperimentMetric, variants: Array<{ name: string, strategy: string, users: number, mean: number, adjustedPValue: number | null, sequentialPValue: number | null, adjustedSequentialPValue: number | null, cupedVarianceRatio: number | null, absolute: { estimate: number, standardError: number, pValue: number, ci: { lower: number, upper: number } } | null, relative: { estimate: number, standardError: number, pValue: number, ci: { lower: number, upper: number } } | null, sequentialCi: { lower: number, upper: number } | null, cupedAbsolute: { estimate: number, standardError: number, pValue: number, ci: { lower: number, upper: number } } | null, groupSequential: { rejected: boolean, rejectedAtLook: number | null, looks: number, informationFraction: number, boundary: number | null, z: number | null, complete: boolean } | null }> }, guardrails: Array<{ metric: ExperimentMetric, variants: Array<{ name: string, strategy: string, users: number, mean: number, adjustedPValue: number | null, sequentialPValue: number | null, adjustedSequentialPValue: number | null, cupedVarianceRatio: number | null, guardrail: { margin: number, direction: GuardrailDirection, estimate: number | null, bound: number | null, pValue: number | null, verdict: GuardrailVerdict, sequentialPValue: number | null, sequentialInferiorityPValue: number | null, sequentialVerdict: GuardrailVerdict } | null, absolute: { estimate: number, standardError: number, pValue: number, ci: { lower: number, upper: number } } | null, relative: { estimate: number, standardError: number, pValue: number, ci: { lower: number, upper: number } } | null, sequentialCi: { lower: number, upper: number } | null, cupedAbsolute: { estimate: number, standardError: number, pValue: number, ci: { lower: number, upper: number } } | null, groupSequential: { rejected: boolean, rejectedAtLook: number | null, looks: number, informationFraction: number, boundary: number | null, z: number | null, complete: boolean } | null }> }>, looks: Array<{ at: string, treatments: Array<{ name: string, pValue: number | null, sequentialPValue: number | null, groupSequentialBoundary: number | null, groupSequentialRejected: boolean | null }> }> }, guardrails: Array<{ metric: ExperimentMetric, margin: number, direction: GuardrailDirection }>, variants: Array<{ name: string, share: number, strategy: string, blend: Array<{ strategy: string, weight: number }> | null }> } | null };

export type ConsoleCreateExperimentMutationVariables = Exact<{
  input: CreateExperimentInput;
}>;


export type ConsoleCreateExperimentMutation = { createExperiment: { id: string, name: string, type: ExperimentKind, status: ExperimentStatus, explorationFloor: number | null, control: string, primaryMetric: ExperimentMetric, guardrailMetrics: Array<ExperimentMetric>, minimumDetectableEffect: number, spending: SpendingFunction | null, traffic: number, createdAt: string, createdBy: string | null, startedAt: string | null, stoppedAt: string | null, shippedVariant: string | null, guardrails: Array<{ metric: ExperimentMetric, margin: number, direction: GuardrailDirection }>, variants: Array<{ name: string, share: number, strategy: string, blend: Array<{ strategy: string, weight: number }> | null }> } };

export type ConsoleStartExperimentMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleStartExperimentMutation = { startExperiment: { id: string, name: string, type: ExperimentKind, status: ExperimentStatus, explorationFloor: number | null, control: string, primaryMetric: ExperimentMetric, guardrailMetrics: Array<ExperimentMetric>, minimumDetectableEffect: number, spending: SpendingFunction | null, traffic: number, createdAt: string, createdBy: string | null, startedAt: string | null, stoppedAt: string | null, shippedVariant: string | null, guardrails: Array<{ metric: ExperimentMetric, margin: number, direction: GuardrailDirection }>, variants: Array<{ name: string, share: number, strategy: string, blend: Array<{ strategy: string, weight: number }> | null }> } };

export type ConsoleStopExperimentMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleStopExperimentMutation = { stopExperiment: { id: string, name: string, type: ExperimentKind, status: ExperimentStatus, explorationFloor: number | null, control: string, primaryMetric: ExperimentMetric, guardrailMetrics: Array<ExperimentMetric>, minimumDetectableEffect: number, spending: SpendingFunction | null, traffic: number, createdAt: string, createdBy: string | null, startedAt: string | null, stoppedAt: string | null, shippedVariant: string | null, guardrails: Array<{ metric: ExperimentMetric, margin: number, direction: GuardrailDirection }>, variants: Array<{ name: string, share: number, strategy: string, blend: Array<{ strategy: string, weight: number }> | null }> } };

export type ConsoleShipVariantMutationVariables = Exact<{
  experimentId: string | number;
  variant: string;
}>;


export type ConsoleShipVariantMutation = { shipVariant: { id: string, name: string, type: ExperimentKind, status: ExperimentStatus, explorationFloor: number | null, control: string, primaryMetric: ExperimentMetric, guardrailMetrics: Array<ExperimentMetric>, minimumDetectableEffect: number, spending: SpendingFunction | null, traffic: number, createdAt: string, createdBy: string | null, startedAt: string | null, stoppedAt: string | null, shippedVariant: string | null, guardrails: Array<{ metric: ExperimentMetric, margin: number, direction: GuardrailDirection }>, variants: Array<{ name: string, share: number, strategy: string, blend: Array<{ strategy: string, weight: number }> | null }> } };

export type ConsoleOutcomesQueryVariables = Exact<{
  since?: string | null | undefined;
}>;


export type ConsoleOutcomesQuery = { outcomeMetrics: Array<{ strategy: string, experimentId: string | null, variant: string | null, impressions: number, users: number, clicks: number, purchases: number, revenue: number, clickThroughRate: number | null, purchaseRate: number | null, buckets: Array<{ start: string, impressions: number, clicks: number, purchases: number }> }> };

export type RecommendationsQueryVariables = Exact<{
  userId?: string | number;
  first?: number | null | undefined;
  filter?: RecommendationFilter | null | undefined;
}>;


export type RecommendationsQuery = { recommendations: Array<{ score: number, reason: string, item: { id: string, title: string, category: string | null, price: number | null, categoryDetails: { name: string, itemCount: number } | null } }> };

export type SimilarItemsQueryVariables = Exact<{
  itemId?: string | number;
  first?: number | null | undefined;
}>;


export type SimilarItemsQuery = { similarItems: Array<{ score: number, reason: string, item: { id: string, title: string } }> };

export type UserHistoryQueryVariables = Exact<{
  id?: string | number;
}>;


export type UserHistoryQuery = { user: { id: string, anonymous: boolean, eventCount: number, lastSeenAt: string, recentInteractions: Array<{ lastType: EventType, weight: number, lastSeenAt: string, counts: { views: number, clicks: number, addToCarts: number, purchases: number }, item: { id: string, title: string } }> } | null };

export type CatalogQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: ItemFilter | null | undefined;
}>;


export type CatalogQuery = { items: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, title: string, category: string | null, price: number | null } }> } };

export type TrackEventsMutationVariables = Exact<{
  events?: Array<EventInput> | EventInput;
}>;


export type TrackEventsMutation = { trackEvents: { accepted: number, duplicates: number, rejected: Array<{ index: number, id: string | null, reason: string }> } };

export type UpsertItemsMutationVariables = Exact<{
  items: Array<ItemInput> | ItemInput;
}>;


export type UpsertItemsMutation = { upsertItems: { upserted: number, rejected: Array<{ index: number, reason: string }> } };

export type RecommendationsChangedSubscriptionVariables = Exact<{
  userId?: string | number;
  first?: number | null | undefined;
}>;


export type RecommendationsChangedSubscription = { recommendationsChanged: Array<{ score: number, reason: string, item: { id: string, title: string } }> };

export type AnomalyDetectedSubscriptionVariables = Exact<{
  filter?: AnomalyFilter | null | undefined;
}>;


export type AnomalyDetectedSubscription = { anomalyDetected: { id: string, kind: AnomalyKind, severity: Severity, entityType: string, entityId: string, score: number, detectedAt: string, message: string, acknowledged: boolean, evidence: string | null } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const ConsoleStatusFieldsFragmentDoc = new TypedDocumentString(`
    fragment ConsoleStatusFields on GatewayStatus {
  at
  status
  ready
  ingestLag
  eventsAccepted
  eventsIngested
  eventsRejected
  users
  items
  categories
  edges
  flaggedBots
  webSocketConnections
  eventLoopDelayMs
  uptimeSeconds
}
    `, {"fragmentName":"ConsoleStatusFields"}) as unknown as TypedDocumentString<ConsoleStatusFieldsFragment, unknown>;
export const ConsoleAnomalyFieldsFragmentDoc = new TypedDocumentString(`
    fragment ConsoleAnomalyFields on Anomaly {
  id
  kind
  severity
  entityType
  entityId
  score
  detectedAt
  message
  acknowledged
}
    `, {"fragmentName":"ConsoleAnomalyFields"}) as unknown as TypedDocumentString<ConsoleAnomalyFieldsFragment, unknown>;
export const ConsoleLiftFieldsFragmentDoc = new TypedDocumentString(`
    fragment ConsoleLiftFields on Lift {
  estimate
  standardError
  pValue
  ci {
    lower
    upper
  }
}
    `, {"fragmentName":"ConsoleLiftFields"}) as unknown as TypedDocumentString<ConsoleLiftFieldsFragment, unknown>;
export const ConsoleVariantResultFieldsFragmentDoc = new TypedDocumentString(`
    fragment ConsoleVariantResultFields on VariantResult {
  name
  strategy
  users
  mean
  absolute {
    ...ConsoleLiftFields
  }
  relative {
    ...ConsoleLiftFields
  }
  adjustedPValue
  sequentialPValue
  adjustedSequentialPValue
  sequentialCi {
    lower
    upper
  }
  cupedAbsolute {
    ...ConsoleLiftFields
  }
  cupedVarianceRatio
  groupSequential {
    rejected
    rejectedAtLook
    looks
    informationFraction
    boundary
    z
    complete
  }
}
    fragment ConsoleLiftFields on Lift {
  estimate
  standardError
  pValue
  ci {
    lower
    upper
  }
}`, {"fragmentName":"ConsoleVariantResultFields"}) as unknown as TypedDocumentString<ConsoleVariantResultFieldsFragment, unknown>;
export const ConsoleBanditArmFieldsFragmentDoc = new TypedDocumentString(`
    fragment ConsoleBanditArmFields on BanditArm {
  variant
  strategy
  pulls
  successes
  posteriorMean
  probabilityBest
  trafficShare
}
    `, {"fragmentName":"ConsoleBanditArmFields"}) as unknown as TypedDocumentString<ConsoleBanditArmFieldsFragment, unknown>;
export const ConsoleExperimentFieldsFragmentDoc = new TypedDocumentString(`
    fragment ConsoleExperimentFields on Experiment {
  id
  name
  type
  status
  type
  explorationFloor
  control
  primaryMetric
  guardrailMetrics
  guardrails {
    metric
    margin
    direction
  }
  minimumDetectableEffect
  spending
  traffic
  createdAt
  createdBy
  startedAt
  stoppedAt
  shippedVariant
  variants {
    name
    share
    strategy
    blend {
      strategy
      weight
    }
  }
}
    `, {"fragmentName":"ConsoleExperimentFields"}) as unknown as TypedDocumentString<ConsoleExperimentFieldsFragment, unknown>;
export const RefreshSegmentsDocument = new TypedDocumentString(`
    mutation RefreshSegments {
  refreshSegments {
    k
    silhouette
    customers
    durationMs
    asOf
    segments {
      id
      name
      size
    }
  }
}
    `, {"hash":"sha256:a88373ea055743478e4c81ce4895f8f8a1f001033c9a6cd9523c0cab688d7fcf"}) as unknown as TypedDocumentString<RefreshSegmentsMutation, RefreshSegmentsMutationVariables>;
export const EraseUserDocument = new TypedDocumentString(`
    mutation EraseUser($id: ID!) {
  eraseUser(id: $id) {
    userId
    found
    actors
    interactionsRemoved
    itemsAffected
    segmentMemberships
    anomaliesRemoved
    anomaliesRedacted
    eventsRemoved
    deadLettersRemoved
    logStrategy
    erasedAt
  }
}
    `, {"hash":"sha256:783dd63895e76ef1cf05a10819e9e73a15aab3ea9b4d47c8d77f36e044cd34b0"}) as unknown as TypedDocumentString<EraseUserMutation, EraseUserMutationVariables>;
export const SegmentsDocument = new TypedDocumentString(`
    query Segments {
  segments {
    id
    name
    size
    share
    averageOrderValue
    centroid {
      recency
      frequency
      monetary
    }
    nextPeriod {
      periodDays
      since
      until
      customers
      buyers
      rate
      baseRate
    }
    topCategories(first: 3) {
      category
      customers
      revenue
    }
    topItems(first: 5) {
      id
      title
    }
  }
}
    `, {"hash":"sha256:f5ab89615a4fa78806bce083994ca1fb96e1ad9716a49ff0a9102f6b6b10587d"}) as unknown as TypedDocumentString<SegmentsQuery, SegmentsQueryVariables>;
export const SegmentMembersDocument = new TypedDocumentString(`
    query SegmentMembers($id: ID!, $first: Int! = 20, $after: String) {
  segment(id: $id) {
    id
    name
    size
    users(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          lastSeenAt
        }
      }
    }
  }
}
    `, {"hash":"sha256:c8442533cf189c7bff897928f5045ef649b7ad4407ca6bccef0f00048644ef0d"}) as unknown as TypedDocumentString<SegmentMembersQuery, SegmentMembersQueryVariables>;
export const AnomaliesDocument = new TypedDocumentString(`
    query Anomalies($filter: AnomalyFilter, $first: Int = 20, $after: String) {
  anomalies(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      cursor
      node {
        id
        kind
        severity
        entityType
        entityId
        score
        detectedAt
        message
        acknowledged
      }
    }
  }
}
    `, {"hash":"sha256:535ddaac75d47b30a235fb5f3f9a6e413b7c16be9ca65ec1e8bf777c14a9811c"}) as unknown as TypedDocumentString<AnomaliesQuery, AnomaliesQueryVariables>;
export const AcknowledgeAnomalyDocument = new TypedDocumentString(`
    mutation AcknowledgeAnomaly($id: ID!) {
  acknowledgeAnomaly(id: $id) {
    id
    acknowledged
  }
}
    `, {"hash":"sha256:fc6097d18a41aac52b1712eee59f36c9b22a0d9842812bab297055d4cba8be08"}) as unknown as TypedDocumentString<AcknowledgeAnomalyMutation, AcknowledgeAnomalyMutationVariables>;
export const DeadLettersDocument = new TypedDocumentString(`
    query DeadLetters($first: Int! = 20) {
  deadLetters(first: $first) {
    seq
    at
    source
    reason
    raw
  }
}
    `, {"hash":"sha256:8cc74e5588017f24e68eac77c0794f962a2be16c18e9335ed66027a7316189a4"}) as unknown as TypedDocumentString<DeadLettersQuery, DeadLettersQueryVariables>;
export const OutcomeMetricsDocument = new TypedDocumentString(`
    query OutcomeMetrics($strategy: String, $experimentId: ID, $since: DateTime, $until: DateTime) {
  outcomeMetrics(
    strategy: $strategy
    experimentId: $experimentId
    since: $since
    until: $until
  ) {
    strategy
    experimentId
    variant
    impressions
    itemsShown
    users
    clicks
    addToCarts
    purchases
    revenue
    clickThroughRate
    itemClickThroughRate
    addToCartRate
    purchaseRate
    revenuePerList
    revenuePerUser
    buckets {
      start
      impressions
      clicks
      addToCarts
      purchases
      revenue
    }
  }
}
    `, {"hash":"sha256:1e2ce74a675ebf736fadd4ec002e93525daaf8645afc34b9b16c4b9c15741db0"}) as unknown as TypedDocumentString<OutcomeMetricsQuery, OutcomeMetricsQueryVariables>;
export const ExperimentsDocument = new TypedDocumentString(`
    query Experiments {
  experiments {
    id
    name
    type
    status
    traffic
    control
    variants {
      name
      share
      strategy
      blend {
        strategy
        weight
      }
    }
    primaryMetric
    guardrailMetrics
    guardrails {
      metric
      margin
      direction
    }
    startedAt
    stoppedAt
    shippedVariant
  }
}
    `, {"hash":"sha256:97bb22481a6d2ba1ff13ee8720db421832415edf8279e7282ef9f16c289cd5ac"}) as unknown as TypedDocumentString<ExperimentsQuery, ExperimentsQueryVariables>;
export const ExperimentResultsDocument = new TypedDocumentString(`
    query ExperimentResults($id: ID!) {
  experiment(id: $id) {
    id
    name
    status
    type
    results {
      sampleRatioMismatch
      srmPValue
      interleaving {
        metric
        control
        treatment
        users
        creditedControl
        creditedTreatment
        wins
        losses
        ties
        preferenceShare
        ci {
          lower
          upper
        }
        pValue
        creditDifference {
          estimate
          pValue
          ci {
            lower
            upper
          }
        }
        creditDifferenceSequentialPValue
      }
      primary {
        metric
        variants {
          name
          strategy
          users
          mean
          variance
          absolute {
            estimate
            standardError
            pValue
            ci {
              lower
              upper
            }
          }
          relative {
            estimate
            pValue
            ci {
              lower
              upper
            }
          }
          adjustedPValue
          sequentialPValue
          adjustedSequentialPValue
          sequentialCi {
            lower
            upper
          }
          cupedAbsolute {
            estimate
            ci {
              lower
              upper
            }
          }
          cupedVarianceRatio
          groupSequential {
            rejected
            rejectedAtLook
            informationFraction
            alphaSpent
            boundary
            z
            complete
          }
        }
      }
      guardrails {
        metric
        variants {
          name
          users
          mean
          absolute {
            estimate
            pValue
          }
          sequentialPValue
          guardrail {
            margin
            direction
            estimate
            bound
            pValue
            verdict
            sequentialPValue
            sequentialInferiorityPValue
            sequentialVerdict
          }
        }
      }
    }
  }
}
    `, {"hash":"sha256:9109853831a237edd556d6f177a9fdd0f606f657fdd7a21582ada9d1c375fcc4"}) as unknown as TypedDocumentString<ExperimentResultsQuery, ExperimentResultsQueryVariables>;
export const ExperimentBanditDocument = new TypedDocumentString(`
    query ExperimentBandit($id: ID!) {
  experiment(id: $id) {
    id
    name
    type
    status
    explorationFloor
    banditBySegment
    bandit {
      explorationFloor
      reward
      arms {
        variant
        strategy
        pulls
        successes
        posteriorMean
        probabilityBest
        trafficShare
      }
      bySegment
      segments {
        segment
        arms {
          variant
          pulls
          successes
          posteriorMean
          trafficShare
        }
      }
    }
  }
}
    `, {"hash":"sha256:301a629d3702998fca5cd7467a06d07708d55c9c9d9f75da63a1283ef0f53e93"}) as unknown as TypedDocumentString<ExperimentBanditQuery, ExperimentBanditQueryVariables>;
export const CreateExperimentDocument = new TypedDocumentString(`
    mutation CreateExperiment($input: CreateExperimentInput!) {
  createExperiment(input: $input) {
    id
    status
    guardrails {
      metric
      margin
      direction
    }
  }
}
    `, {"hash":"sha256:3362208f7cdc8ab01eac874652803dde5ab10364c202303c7285a0d997136799"}) as unknown as TypedDocumentString<CreateExperimentMutation, CreateExperimentMutationVariables>;
export const StartExperimentDocument = new TypedDocumentString(`
    mutation StartExperiment($id: ID!) {
  startExperiment(id: $id) {
    id
    status
    startedAt
  }
}
    `, {"hash":"sha256:51a25f57e84cb3084f39245ff74a61dfad649df0acc40744edf56d87feabde30"}) as unknown as TypedDocumentString<StartExperimentMutation, StartExperimentMutationVariables>;
export const StopExperimentDocument = new TypedDocumentString(`
    mutation StopExperiment($id: ID!) {
  stopExperiment(id: $id) {
    id
    status
    stoppedAt
  }
}
    `, {"hash":"sha256:f7ef445d504a508ddc5631d9d444ce6f1aad2857f16e8632a650cc2b5ff14212"}) as unknown as TypedDocumentString<StopExperimentMutation, StopExperimentMutationVariables>;
export const ShipVariantDocument = new TypedDocumentString(`
    mutation ShipVariant($id: ID!, $variant: String!) {
  shipVariant(experimentId: $id, variant: $variant) {
    id
    status
    shippedVariant
  }
}
    `, {"hash":"sha256:c9d125c97f64572622953582db1cea19d38305549851e90081bb041a8c6934ae"}) as unknown as TypedDocumentString<ShipVariantMutation, ShipVariantMutationVariables>;
export const ConsoleViewerDocument = new TypedDocumentString(`
    query ConsoleViewer {
  viewer {
    role
    subject
    authenticated
  }
}
    `, {"hash":"sha256:ea5e3b8f6d55c16d7677b18519481c335518d95bc4adb957fee91e57c97ebad3"}) as unknown as TypedDocumentString<ConsoleViewerQuery, ConsoleViewerQueryVariables>;
export const ConsoleOverviewDocument = new TypedDocumentString(`
    query ConsoleOverview($since: DateTime) {
  gatewayStatus {
    ...ConsoleStatusFields
  }
  anomalyCounts(since: $since) {
    day
    kind
    severity
    count
  }
  segments {
    id
    name
    size
  }
}
    fragment ConsoleStatusFields on GatewayStatus {
  at
  status
  ready
  ingestLag
  eventsAccepted
  eventsIngested
  eventsRejected
  users
  items
  categories
  edges
  flaggedBots
  webSocketConnections
  eventLoopDelayMs
  uptimeSeconds
}`, {"hash":"sha256:94ebb859f5b4491e2462dafed95eab0cf8fa8686cf8c441b4f199ad73390cccf"}) as unknown as TypedDocumentString<ConsoleOverviewQuery, ConsoleOverviewQueryVariables>;
export const ConsoleStatusUpdatesDocument = new TypedDocumentString(`
    subscription ConsoleStatusUpdates($intervalMs: Int! = 1000) {
  gatewayStatusUpdates(intervalMs: $intervalMs) {
    ...ConsoleStatusFields
  }
}
    fragment ConsoleStatusFields on GatewayStatus {
  at
  status
  ready
  ingestLag
  eventsAccepted
  eventsIngested
  eventsRejected
  users
  items
  categories
  edges
  flaggedBots
  webSocketConnections
  eventLoopDelayMs
  uptimeSeconds
}`, {"hash":"sha256:7a473e63a6bd0af69bb5e48baa39a1216b7abd37226d8bb6a13d30f48a06d616"}) as unknown as TypedDocumentString<ConsoleStatusUpdatesSubscription, ConsoleStatusUpdatesSubscriptionVariables>;
export const ConsoleAnomaliesDocument = new TypedDocumentString(`
    query ConsoleAnomalies($filter: AnomalyFilter, $first: Int = 50, $after: String, $since: DateTime) {
  anomalies(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        ...ConsoleAnomalyFields
      }
    }
  }
  anomalyCounts(filter: $filter, since: $since) {
    day
    kind
    severity
    count
  }
}
    fragment ConsoleAnomalyFields on Anomaly {
  id
  kind
  severity
  entityType
  entityId
  score
  detectedAt
  message
  acknowledged
}`, {"hash":"sha256:29c5cc757700ff1e41c890312dbd565513f6cd43743d55f0dd00c5bd1f35c129"}) as unknown as TypedDocumentString<ConsoleAnomaliesQuery, ConsoleAnomaliesQueryVariables>;
export const ConsoleAnomalyFeedDocument = new TypedDocumentString(`
    subscription ConsoleAnomalyFeed($filter: AnomalyFilter) {
  anomalyDetected(filter: $filter) {
    ...ConsoleAnomalyFields
  }
}
    fragment ConsoleAnomalyFields on Anomaly {
  id
  kind
  severity
  entityType
  entityId
  score
  detectedAt
  message
  acknowledged
}`, {"hash":"sha256:b0fc8382e5fde151b4d81b8d8467cab33402b0184dea1447b0ebd072639a462a"}) as unknown as TypedDocumentString<ConsoleAnomalyFeedSubscription, ConsoleAnomalyFeedSubscriptionVariables>;
export const ConsoleAcknowledgeAnomalyDocument = new TypedDocumentString(`
    mutation ConsoleAcknowledgeAnomaly($id: ID!) {
  acknowledgeAnomaly(id: $id) {
    id
    acknowledged
  }
}
    `, {"hash":"sha256:12e983e30f724f18fc8572f47f22d56264c12d64abd6373bc0a938f5a7400bb8"}) as unknown as TypedDocumentString<ConsoleAcknowledgeAnomalyMutation, ConsoleAcknowledgeAnomalyMutationVariables>;
export const ConsoleSegmentsDocument = new TypedDocumentString(`
    query ConsoleSegments {
  segments {
    id
    name
    size
    share
    averageOrderValue
    centroid {
      recency
      frequency
      monetary
    }
    nextPeriod {
      periodDays
      since
      until
      customers
      buyers
      rate
      baseRate
    }
    topCategories(first: 5) {
      category
      customers
      revenue
    }
    topItems(first: 5) {
      id
      title
      category
    }
  }
}
    `, {"hash":"sha256:36c6487477a18e00dbc839ec502cdc0327dc155851dc205dd2b69bac17d3b8c8"}) as unknown as TypedDocumentString<ConsoleSegmentsQuery, ConsoleSegmentsQueryVariables>;
export const ConsoleSegmentMembersDocument = new TypedDocumentString(`
    query ConsoleSegmentMembers($id: ID!, $first: Int! = 20, $after: String) {
  segment(id: $id) {
    id
    name
    users(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          eventCount
          itemCount
          lastSeenAt
        }
      }
    }
  }
}
    `, {"hash":"sha256:1bd5a1e7e82f4069f3c578e486bf1bf13555479b76738082b73a4b4157e49949"}) as unknown as TypedDocumentString<ConsoleSegmentMembersQuery, ConsoleSegmentMembersQueryVariables>;
export const ConsoleRefreshSegmentsDocument = new TypedDocumentString(`
    mutation ConsoleRefreshSegments {
  refreshSegments {
    k
    customers
    silhouette
    durationMs
  }
}
    `, {"hash":"sha256:e8f88c5d9190971dbf1b3c1140a82f125efaaa33671ceabb95b67047fc1088d2"}) as unknown as TypedDocumentString<ConsoleRefreshSegmentsMutation, ConsoleRefreshSegmentsMutationVariables>;
export const ConsoleShopperDocument = new TypedDocumentString(`
    query ConsoleShopper($id: ID!, $history: Int! = 50, $analyst: Boolean! = true) {
  user(id: $id) {
    id
    anonymous
    eventCount
    itemCount
    firstSeenAt
    lastSeenAt
    flaggedAsBot @include(if: $analyst)
    segment {
      id
      name
    }
    anomalies(first: 10) @include(if: $analyst) {
      ...ConsoleAnomalyFields
    }
    recentInteractions(first: $history) {
      lastType
      firstSeenAt
      lastSeenAt
      weight
      quantity
      revenue
      counts {
        views
        clicks
        addToCarts
        removeFromCarts
        purchases
      }
      item {
        id
        title
        category
      }
    }
  }
}
    fragment ConsoleAnomalyFields on Anomaly {
  id
  kind
  severity
  entityType
  entityId
  score
  detectedAt
  message
  acknowledged
}`, {"hash":"sha256:5398e5e1175f764a09c78f0afadcda467c50c7274783dd4aaf0f610f096f16ab"}) as unknown as TypedDocumentString<ConsoleShopperQuery, ConsoleShopperQueryVariables>;
export const ConsoleRecommendationsDocument = new TypedDocumentString(`
    query ConsoleRecommendations($userId: ID!, $strategy: String, $first: Int! = 8) {
  recommendations(userId: $userId, strategy: $strategy, first: $first) {
    score
    reason
    item {
      id
      title
      category
      price
    }
  }
}
    `, {"hash":"sha256:8d18dfefb620165bde29958a478f79c6508b2156d2085738f9d9d623aaa47eaa"}) as unknown as TypedDocumentString<ConsoleRecommendationsQuery, ConsoleRecommendationsQueryVariables>;
export const ConsoleItemDocument = new TypedDocumentString(`
    query ConsoleItem($id: ID!, $analyst: Boolean! = true) {
  item(id: $id) {
    id
    title
    category
    price
    inCatalog
    userCount
    attributes {
      key
      value
    }
    categoryDetails {
      name
      itemCount
    }
    similar(first: 8) {
      score
      reason
      item {
        id
        title
        category
      }
    }
    anomalies(first: 5) @include(if: $analyst) {
      ...ConsoleAnomalyFields
    }
  }
}
    fragment ConsoleAnomalyFields on Anomaly {
  id
  kind
  severity
  entityType
  entityId
  score
  detectedAt
  message
  acknowledged
}`, {"hash":"sha256:01130e6699445d7356ab26d6b899ddc3b257b7a8d030c89b559cddb851a967d8"}) as unknown as TypedDocumentString<ConsoleItemQuery, ConsoleItemQueryVariables>;
export const ConsoleItemSearchDocument = new TypedDocumentString(`
    query ConsoleItemSearch($search: String, $first: Int! = 20) {
  items(filter: {search: $search}, first: $first) {
    totalCount
    edges {
      node {
        id
        title
        category
        price
        userCount
      }
    }
  }
}
    `, {"hash":"sha256:66a5189215a36118e5ed67acb5bb3ebc3bcb6bd62c3f034d0e56d3fd4e7c381f"}) as unknown as TypedDocumentString<ConsoleItemSearchQuery, ConsoleItemSearchQueryVariables>;
export const ConsoleDataQualityDocument = new TypedDocumentString(`
    query ConsoleDataQuality($first: Int! = 200, $since: DateTime) {
  eventTypeCounts(since: $since) {
    day
    type
    count
  }
  deadLetters(first: $first) {
    seq
    at
    source
    reason
  }
  gatewayStatus {
    ...ConsoleStatusFields
  }
}
    fragment ConsoleStatusFields on GatewayStatus {
  at
  status
  ready
  ingestLag
  eventsAccepted
  eventsIngested
  eventsRejected
  users
  items
  categories
  edges
  flaggedBots
  webSocketConnections
  eventLoopDelayMs
  uptimeSeconds
}`, {"hash":"sha256:ed83ac35f425c70a2cdc87af0c40ae093f36f1d99d0033886ebf6ea38944c5ae"}) as unknown as TypedDocumentString<ConsoleDataQualityQuery, ConsoleDataQualityQueryVariables>;
export const ConsoleItemNeighbourhoodDocument = new TypedDocumentString(`
    query ConsoleItemNeighbourhood($id: ID!, $analyst: Boolean! = true) {
  item(id: $id) {
    id
    title
    category
    similar(first: 5) {
      score
      item {
        id
        title
        category
      }
    }
    recentInteractions(first: 8) @include(if: $analyst) {
      userId
      lastType
      weight
    }
  }
}
    `, {"hash":"sha256:8d5354fdb47b1e157743316618c89a1b3cbdc642bbbf6286a9cd41ea265242c4"}) as unknown as TypedDocumentString<ConsoleItemNeighbourhoodQuery, ConsoleItemNeighbourhoodQueryVariables>;
export const ConsoleUserNeighbourhoodDocument = new TypedDocumentString(`
    query ConsoleUserNeighbourhood($id: ID!) {
  user(id: $id) {
    id
    recentInteractions(first: 8) {
      lastType
      weight
      item {
        id
        title
        category
      }
    }
  }
}
    `, {"hash":"sha256:d1b56f878acaf85b7d0450674439c4b8b85ef32c83dd59564bc4826948a49ee4"}) as unknown as TypedDocumentString<ConsoleUserNeighbourhoodQuery, ConsoleUserNeighbourhoodQueryVariables>;
export const ConsoleCategoryItemsDocument = new TypedDocumentString(`
    query ConsoleCategoryItems($category: String!, $first: Int! = 8) {
  items(filter: {categories: [$category]}, first: $first) {
    edges {
      node {
        id
        title
        category
      }
    }
  }
}
    `, {"hash":"sha256:af048d7744bc215b64177d7139f50822feeea42abd7dbee4b3ed99cf2a5c320f"}) as unknown as TypedDocumentString<ConsoleCategoryItemsQuery, ConsoleCategoryItemsQueryVariables>;
export const ConsoleExperimentsDocument = new TypedDocumentString(`
    query ConsoleExperiments {
  experiments {
    ...ConsoleExperimentFields
  }
}
    fragment ConsoleExperimentFields on Experiment {
  id
  name
  type
  status
  type
  explorationFloor
  control
  primaryMetric
  guardrailMetrics
  guardrails {
    metric
    margin
    direction
  }
  minimumDetectableEffect
  spending
  traffic
  createdAt
  createdBy
  startedAt
  stoppedAt
  shippedVariant
  variants {
    name
    share
    strategy
    blend {
      strategy
      weight
    }
  }
}`, {"hash":"sha256:467c498213a6dba16efc6c13f403cd8f08a3faabbc2a470df26dec7948d228ba"}) as unknown as TypedDocumentString<ConsoleExperimentsQuery, ConsoleExperimentsQueryVariables>;
export const ConsoleExperimentDocument = new TypedDocumentString(`
    query ConsoleExperiment($id: ID!) {
  experiment(id: $id) {
    ...ConsoleExperimentFields
    bandit {
      reward
      bySegment
      arms {
        ...ConsoleBanditArmFields
      }
      segments {
        segment
        arms {
          ...ConsoleBanditArmFields
        }
      }
    }
    results {
      sampleRatioMismatch
      srmPValue
      interleaving {
        metric
        control
        treatment
        users
        creditedControl
        creditedTreatment
        wins
        losses
        ties
        preferenceShare
        ci {
          lower
          upper
        }
        pValue
        creditDifference {
          ...ConsoleLiftFields
        }
        creditDifferenceSequentialPValue
      }
      primary {
        metric
        variants {
          ...ConsoleVariantResultFields
        }
      }
      guardrails {
        metric
        variants {
          ...ConsoleVariantResultFields
          guardrail {
            margin
            direction
            estimate
            bound
            pValue
            verdict
            sequentialPValue
            sequentialInferiorityPValue
            sequentialVerdict
          }
        }
      }
      looks {
        at
        treatments {
          name
          pValue
          sequentialPValue
          groupSequentialBoundary
          groupSequentialRejected
        }
      }
    }
  }
}
    fragment ConsoleLiftFields on Lift {
  estimate
  standardError
  pValue
  ci {
    lower
    upper
  }
}
fragment ConsoleVariantResultFields on VariantResult {
  name
  strategy
  users
  mean
  absolute {
    ...ConsoleLiftFields
  }
  relative {
    ...ConsoleLiftFields
  }
  adjustedPValue
  sequentialPValue
  adjustedSequentialPValue
  sequentialCi {
    lower
    upper
  }
  cupedAbsolute {
    ...ConsoleLiftFields
  }
  cupedVarianceRatio
  groupSequential {
    rejected
    rejectedAtLook
    looks
    informationFraction
    boundary
    z
    complete
  }
}
fragment ConsoleBanditArmFields on BanditArm {
  variant
  strategy
  pulls
  successes
  posteriorMean
  probabilityBest
  trafficShare
}
fragment ConsoleExperimentFields on Experiment {
  id
  name
  type
  status
  type
  explorationFloor
  control
  primaryMetric
  guardrailMetrics
  guardrails {
    metric
    margin
    direction
  }
  minimumDetectableEffect
  spending
  traffic
  createdAt
  createdBy
  startedAt
  stoppedAt
  shippedVariant
  variants {
    name
    share
    strategy
    blend {
      strategy
      weight
    }
  }
}`, {"hash":"sha256:6bf5f18618ea52db768d35058c9431094b47c6c6bd7be4eeab4dfb8d805d7153"}) as unknown as TypedDocumentString<ConsoleExperimentQuery, ConsoleExperimentQueryVariables>;
export const ConsoleCreateExperimentDocument = new TypedDocumentString(`
    mutation ConsoleCreateExperiment($input: CreateExperimentInput!) {
  createExperiment(input: $input) {
    ...ConsoleExperimentFields
  }
}
    fragment ConsoleExperimentFields on Experiment {
  id
  name
  type
  status
  type
  explorationFloor
  control
  primaryMetric
  guardrailMetrics
  guardrails {
    metric
    margin
    direction
  }
  minimumDetectableEffect
  spending
  traffic
  createdAt
  createdBy
  startedAt
  stoppedAt
  shippedVariant
  variants {
    name
    share
    strategy
    blend {
      strategy
      weight
    }
  }
}`, {"hash":"sha256:4e9e0650124085239bdd0235130efcc50fbafc1391f2c12cd3638b67ea27c49c"}) as unknown as TypedDocumentString<ConsoleCreateExperimentMutation, ConsoleCreateExperimentMutationVariables>;
export const ConsoleStartExperimentDocument = new TypedDocumentString(`
    mutation ConsoleStartExperiment($id: ID!) {
  startExperiment(id: $id) {
    ...ConsoleExperimentFields
  }
}
    fragment ConsoleExperimentFields on Experiment {
  id
  name
  type
  status
  type
  explorationFloor
  control
  primaryMetric
  guardrailMetrics
  guardrails {
    metric
    margin
    direction
  }
  minimumDetectableEffect
  spending
  traffic
  createdAt
  createdBy
  startedAt
  stoppedAt
  shippedVariant
  variants {
    name
    share
    strategy
    blend {
      strategy
      weight
    }
  }
}`, {"hash":"sha256:f9695f19a6a7cd60630894c60c2d1184d4d849f330e3715a0ed22a547a35bd21"}) as unknown as TypedDocumentString<ConsoleStartExperimentMutation, ConsoleStartExperimentMutationVariables>;
export const ConsoleStopExperimentDocument = new TypedDocumentString(`
    mutation ConsoleStopExperiment($id: ID!) {
  stopExperiment(id: $id) {
    ...ConsoleExperimentFields
  }
}
    fragment ConsoleExperimentFields on Experiment {
  id
  name
  type
  status
  type
  explorationFloor
  control
  primaryMetric
  guardrailMetrics
  guardrails {
    metric
    margin
    direction
  }
  minimumDetectableEffect
  spending
  traffic
  createdAt
  createdBy
  startedAt
  stoppedAt
  shippedVariant
  variants {
    name
    share
    strategy
    blend {
      strategy
      weight
    }
  }
}`, {"hash":"sha256:6b218400dae8eadef14bad8e9446081c9ac47a8715685df36838e39ad60a3fe9"}) as unknown as TypedDocumentString<ConsoleStopExperimentMutation, ConsoleStopExperimentMutationVariables>;
export const ConsoleShipVariantDocument = new TypedDocumentString(`
    mutation ConsoleShipVariant($experimentId: ID!, $variant: String!) {
  shipVariant(experimentId: $experimentId, variant: $variant) {
    ...ConsoleExperimentFields
  }
}
    fragment ConsoleExperimentFields on Experiment {
  id
  name
  type
  status
  type
  explorationFloor
  control
  primaryMetric
  guardrailMetrics
  guardrails {
    metric
    margin
    direction
  }
  minimumDetectableEffect
  spending
  traffic
  createdAt
  createdBy
  startedAt
  stoppedAt
  shippedVariant
  variants {
    name
    share
    strategy
    blend {
      strategy
      weight
    }
  }
}`, {"hash":"sha256:4cb45ab0f01d0d27486a1d710f8d53dca3821bdc797996b47dee2abddf3d2bda"}) as unknown as TypedDocumentString<ConsoleShipVariantMutation, ConsoleShipVariantMutationVariables>;
export const ConsoleOutcomesDocument = new TypedDocumentString(`
    query ConsoleOutcomes($since: DateTime) {
  outcomeMetrics(since: $since) {
    strategy
    experimentId
    variant
    impressions
    users
    clicks
    purchases
    revenue
    clickThroughRate
    purchaseRate
    buckets {
      start
      impressions
      clicks
      purchases
    }
  }
}
    `, {"hash":"sha256:779325d7524fb9c946dab25609b349b5408766a1c24e9fdf5d0e3103d80ce9c0"}) as unknown as TypedDocumentString<ConsoleOutcomesQuery, ConsoleOutcomesQueryVariables>;
export const RecommendationsDocument = new TypedDocumentString(`
    query Recommendations($userId: ID! = "demo-user-1", $first: Int = 10, $filter: RecommendationFilter) {
  recommendations(userId: $userId, first: $first, filter: $filter) {
    score
    reason
    item {
      id
      title
      category
      price
      categoryDetails {
        name
        itemCount
      }
    }
  }
}
    `, {"hash":"sha256:2aba627f79ad7ce2f08b768250eda7892ce0e14bb0fd454b372f31b8ad45b0cc"}) as unknown as TypedDocumentString<RecommendationsQuery, RecommendationsQueryVariables>;
export const SimilarItemsDocument = new TypedDocumentString(`
    query SimilarItems($itemId: ID! = "item-001", $first: Int = 5) {
  similarItems(itemId: $itemId, first: $first) {
    score
    reason
    item {
      id
      title
    }
  }
}
    `, {"hash":"sha256:1c6c67430ccec038cdd89b296c9d6146eec98d7d594f29b4393f71105ecc33f2"}) as unknown as TypedDocumentString<SimilarItemsQuery, SimilarItemsQueryVariables>;
export const UserHistoryDocument = new TypedDocumentString(`
    query UserHistory($id: ID! = "demo-user-1") {
  user(id: $id) {
    id
    anonymous
    eventCount
    lastSeenAt
    recentInteractions(first: 5) {
      lastType
      weight
      lastSeenAt
      counts {
        views
        clicks
        addToCarts
        purchases
      }
      item {
        id
        title
      }
    }
  }
}
    `, {"hash":"sha256:f9f9aca488678941a34ee48560edfcd68535aa3fb5e0be1802905e069f142cf8"}) as unknown as TypedDocumentString<UserHistoryQuery, UserHistoryQueryVariables>;
export const CatalogDocument = new TypedDocumentString(`
    query Catalog($first: Int = 20, $after: String, $filter: ItemFilter) {
  items(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      cursor
      node {
        id
        title
        category
        price
      }
    }
  }
}
    `, {"hash":"sha256:bb3ca4a06bad09aa0407489b1507537ad4c4fbe1f0d34748fd1903cb8d968681"}) as unknown as TypedDocumentString<CatalogQuery, CatalogQueryVariables>;
export const TrackEventsDocument = new TypedDocumentString(`
    mutation TrackEvents($events: [EventInput!]! = [{id: "graphiql-1", type: CLICK, userId: "demo-user-1", itemId: "item-042"}]) {
  trackEvents(events: $events) {
    accepted
    duplicates
    rejected {
      index
      id
      reason
    }
  }
}
    `, {"hash":"sha256:d9856463db9c8fbdf55bdf9f90853456e2fe344a91d227c3d7f9516ae612d795"}) as unknown as TypedDocumentString<TrackEventsMutation, TrackEventsMutationVariables>;
export const UpsertItemsDocument = new TypedDocumentString(`
    mutation UpsertItems($items: [ItemInput!]!) {
  upsertItems(items: $items) {
    upserted
    rejected {
      index
      reason
    }
  }
}
    `, {"hash":"sha256:2ed0afb906bde8a192f50a189b6a0dc7679425d3f49f79cf1ae87d820d4d737b"}) as unknown as TypedDocumentString<UpsertItemsMutation, UpsertItemsMutationVariables>;
export const RecommendationsChangedDocument = new TypedDocumentString(`
    subscription RecommendationsChanged($userId: ID! = "demo-user-1", $first: Int = 5) {
  recommendationsChanged(userId: $userId, first: $first) {
    score
    reason
    item {
      id
      title
    }
  }
}
    `, {"hash":"sha256:5b4d21eb49d0e8bad6956595d155e9a890cd643453df40f277199a0897dcbb52"}) as unknown as TypedDocumentString<RecommendationsChangedSubscription, RecommendationsChangedSubscriptionVariables>;
export const AnomalyDetectedDocument = new TypedDocumentString(`
    subscription AnomalyDetected($filter: AnomalyFilter = {minSeverity: WARNING}) {
  anomalyDetected(filter: $filter) {
    id
    kind
    severity
    entityType
    entityId
    score
    detectedAt
    message
    acknowledged
    evidence
  }
}
    `, {"hash":"sha256:c401d26e8d8d9a32571078a0f27403c2e96c9c774d5ef2c68fff218ae9e5fe7a"}) as unknown as TypedDocumentString<AnomalyDetectedSubscription, AnomalyDetectedSubscriptionVariables>;