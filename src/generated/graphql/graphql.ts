/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
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

export type CreateExperimentInput = {
  /** The variant the others are compared with; the first one when omitted. */
  control?: string | null | undefined;
  /** Watched alongside the primary metric (reported with the same statistics); none when omitted. */
  guardrailMetrics?: Array<ExperimentMetric> | null | undefined;
  /** The smallest absolute effect on the primary metric worth detecting (e.g. 0.02 clicks per list): the sequential test's mixture is tuned to it before any data is seen. */
  minimumDetectableEffect: number;
  /** Shown in results and alerts. */
  name: string;
  primaryMetric: ExperimentMetric;
  /** Fraction of users that enter the experiment (the others get the default), in (0, 1]; 1 when omitted. */
  traffic?: number | null | undefined;
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
  /** Unique within the experiment, e.g. "control". */
  name: string;
  /** Share of the experiment's traffic; the shares sum to 1. */
  share: number;
  /** The recommendation strategy this variant serves (one of the gateway's strategies). */
  strategy: string;
};

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

export type RefreshSegmentsMutationVariables = Exact<{ [key: string]: never; }>;


export type RefreshSegmentsMutation = { refreshSegments: { k: number, silhouette: number, customers: number, durationMs: number, asOf: string, segments: Array<{ id: string, name: string, size: number }> } };

export type EraseUserMutationVariables = Exact<{
  id: string | number;
}>;


export type EraseUserMutation = { eraseUser: { userId: string, found: boolean, actors: Array<string>, interactionsRemoved: number, itemsAffected: number, segmentMemberships: number, anomaliesRemoved: number, anomaliesRedacted: number, eventsRemoved: number, deadLettersRemoved: number, logStrategy: string, erasedAt: string } };

export type SegmentsQueryVariables = Exact<{ [key: string]: never; }>;


export type SegmentsQuery = { segments: Array<{ id: string, name: string, size: number, share: number, averageOrderValue: number, centroid: { recency: number, frequency: number, monetary: number }, topCategories: Array<{ category: string, customers: number, revenue: number }>, topItems: Array<{ id: string, title: string }> }> };

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


export type ExperimentsQuery = { experiments: Array<{ id: string, name: string, status: ExperimentStatus, traffic: number, control: string, primaryMetric: ExperimentMetric, guardrailMetrics: Array<ExperimentMetric>, startedAt: string | null, stoppedAt: string | null, shippedVariant: string | null, variants: Array<{ name: string, share: number, strategy: string }> }> };

export type ExperimentResultsQueryVariables = Exact<{
  id: string | number;
}>;


export type ExperimentResultsQuery = { experiment: { id: string, name: string, status: ExperimentStatus, results: { sampleRatioMismatch: boolean, srmPValue: number | null, primary: { metric: ExperimentMetric, variants: Array<{ name: string, strategy: string, users: number, mean: number, variance: number, adjustedPValue: number | null, sequentialPValue: number | null, adjustedSequentialPValue: number | null, cupedVarianceRatio: number | null, absolute: { estimate: number, standardError: number, pValue: number, ci: { lower: number, upper: number } } | null, relative: { estimate: number, pValue: number, ci: { lower: number, upper: number } } | null, sequentialCi: { lower: number, upper: number } | null, cupedAbsolute: { estimate: number, ci: { lower: number, upper: number } } | null }> }, guardrails: Array<{ metric: ExperimentMetric, variants: Array<{ name: string, users: number, mean: number, sequentialPValue: number | null, absolute: { estimate: number, pValue: number } | null }> }> } } | null };

export type CreateExperimentMutationVariables = Exact<{
  input: CreateExperimentInput;
}>;


export type CreateExperimentMutation = { createExperiment: { id: string, status: ExperimentStatus } };

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


export const RefreshSegmentsDocument = {"__meta__":{"hash":"sha256:a88373ea055743478e4c81ce4895f8f8a1f001033c9a6cd9523c0cab688d7fcf"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RefreshSegments"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"refreshSegments"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"k"}},{"kind":"Field","name":{"kind":"Name","value":"silhouette"}},{"kind":"Field","name":{"kind":"Name","value":"customers"}},{"kind":"Field","name":{"kind":"Name","value":"durationMs"}},{"kind":"Field","name":{"kind":"Name","value":"asOf"}},{"kind":"Field","name":{"kind":"Name","value":"segments"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"size"}}]}}]}}]}}]} as unknown as DocumentNode<RefreshSegmentsMutation, RefreshSegmentsMutationVariables>;
export const EraseUserDocument = {"__meta__":{"hash":"sha256:783dd63895e76ef1cf05a10819e9e73a15aab3ea9b4d47c8d77f36e044cd34b0"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"EraseUser"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"eraseUser"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"userId"}},{"kind":"Field","name":{"kind":"Name","value":"found"}},{"kind":"Field","name":{"kind":"Name","value":"actors"}},{"kind":"Field","name":{"kind":"Name","value":"interactionsRemoved"}},{"kind":"Field","name":{"kind":"Name","value":"itemsAffected"}},{"kind":"Field","name":{"kind":"Name","value":"segmentMemberships"}},{"kind":"Field","name":{"kind":"Name","value":"anomaliesRemoved"}},{"kind":"Field","name":{"kind":"Name","value":"anomaliesRedacted"}},{"kind":"Field","name":{"kind":"Name","value":"eventsRemoved"}},{"kind":"Field","name":{"kind":"Name","value":"deadLettersRemoved"}},{"kind":"Field","name":{"kind":"Name","value":"logStrategy"}},{"kind":"Field","name":{"kind":"Name","value":"erasedAt"}}]}}]}}]} as unknown as DocumentNode<EraseUserMutation, EraseUserMutationVariables>;
export const SegmentsDocument = {"__meta__":{"hash":"sha256:318f175e7efe2c4d91e48b91114465d37765e0564e0e80f308548f9655895a15"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Segments"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"segments"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"share"}},{"kind":"Field","name":{"kind":"Name","value":"averageOrderValue"}},{"kind":"Field","name":{"kind":"Name","value":"centroid"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"recency"}},{"kind":"Field","name":{"kind":"Name","value":"frequency"}},{"kind":"Field","name":{"kind":"Name","value":"monetary"}}]}},{"kind":"Field","name":{"kind":"Name","value":"topCategories"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"3"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"category"}},{"kind":"Field","name":{"kind":"Name","value":"customers"}},{"kind":"Field","name":{"kind":"Name","value":"revenue"}}]}},{"kind":"Field","name":{"kind":"Name","value":"topItems"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}}]}}]}}]}}]} as unknown as DocumentNode<SegmentsQuery, SegmentsQueryVariables>;
export const SegmentMembersDocument = {"__meta__":{"hash":"sha256:c8442533cf189c7bff897928f5045ef649b7ad4407ca6bccef0f00048644ef0d"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SegmentMembers"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},"defaultValue":{"kind":"IntValue","value":"20"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"segment"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"size"}},{"kind":"Field","name":{"kind":"Name","value":"users"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeenAt"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<SegmentMembersQuery, SegmentMembersQueryVariables>;
export const AnomaliesDocument = {"__meta__":{"hash":"sha256:535ddaac75d47b30a235fb5f3f9a6e413b7c16be9ca65ec1e8bf777c14a9811c"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Anomalies"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"AnomalyFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"20"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"anomalies"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"entityType"}},{"kind":"Field","name":{"kind":"Name","value":"entityId"}},{"kind":"Field","name":{"kind":"Name","value":"score"}},{"kind":"Field","name":{"kind":"Name","value":"detectedAt"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"acknowledged"}}]}}]}}]}}]}}]} as unknown as DocumentNode<AnomaliesQuery, AnomaliesQueryVariables>;
export const AcknowledgeAnomalyDocument = {"__meta__":{"hash":"sha256:fc6097d18a41aac52b1712eee59f36c9b22a0d9842812bab297055d4cba8be08"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AcknowledgeAnomaly"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"acknowledgeAnomaly"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"acknowledged"}}]}}]}}]} as unknown as DocumentNode<AcknowledgeAnomalyMutation, AcknowledgeAnomalyMutationVariables>;
export const DeadLettersDocument = {"__meta__":{"hash":"sha256:8cc74e5588017f24e68eac77c0794f962a2be16c18e9335ed66027a7316189a4"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DeadLetters"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},"defaultValue":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deadLetters"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"raw"}}]}}]}}]} as unknown as DocumentNode<DeadLettersQuery, DeadLettersQueryVariables>;
export const OutcomeMetricsDocument = {"__meta__":{"hash":"sha256:1e2ce74a675ebf736fadd4ec002e93525daaf8645afc34b9b16c4b9c15741db0"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"OutcomeMetrics"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"strategy"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"experimentId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"since"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"until"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"outcomeMetrics"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"strategy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"strategy"}}},{"kind":"Argument","name":{"kind":"Name","value":"experimentId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"experimentId"}}},{"kind":"Argument","name":{"kind":"Name","value":"since"},"value":{"kind":"Variable","name":{"kind":"Name","value":"since"}}},{"kind":"Argument","name":{"kind":"Name","value":"until"},"value":{"kind":"Variable","name":{"kind":"Name","value":"until"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"strategy"}},{"kind":"Field","name":{"kind":"Name","value":"experimentId"}},{"kind":"Field","name":{"kind":"Name","value":"variant"}},{"kind":"Field","name":{"kind":"Name","value":"impressions"}},{"kind":"Field","name":{"kind":"Name","value":"itemsShown"}},{"kind":"Field","name":{"kind":"Name","value":"users"}},{"kind":"Field","name":{"kind":"Name","value":"clicks"}},{"kind":"Field","name":{"kind":"Name","value":"addToCarts"}},{"kind":"Field","name":{"kind":"Name","value":"purchases"}},{"kind":"Field","name":{"kind":"Name","value":"revenue"}},{"kind":"Field","name":{"kind":"Name","value":"clickThroughRate"}},{"kind":"Field","name":{"kind":"Name","value":"itemClickThroughRate"}},{"kind":"Field","name":{"kind":"Name","value":"addToCartRate"}},{"kind":"Field","name":{"kind":"Name","value":"purchaseRate"}},{"kind":"Field","name":{"kind":"Name","value":"revenuePerList"}},{"kind":"Field","name":{"kind":"Name","value":"revenuePerUser"}},{"kind":"Field","name":{"kind":"Name","value":"buckets"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"start"}},{"kind":"Field","name":{"kind":"Name","value":"impressions"}},{"kind":"Field","name":{"kind":"Name","value":"clicks"}},{"kind":"Field","name":{"kind":"Name","value":"addToCarts"}},{"kind":"Field","name":{"kind":"Name","value":"purchases"}},{"kind":"Field","name":{"kind":"Name","value":"revenue"}}]}}]}}]}}]} as unknown as DocumentNode<OutcomeMetricsQuery, OutcomeMetricsQueryVariables>;
export const ExperimentsDocument = {"__meta__":{"hash":"sha256:a3e6c0ce532e9c9e1b0c620edec675041444e773cb2f69872b1e9c49451c0766"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Experiments"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"experiments"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"traffic"}},{"kind":"Field","name":{"kind":"Name","value":"control"}},{"kind":"Field","name":{"kind":"Name","value":"variants"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"share"}},{"kind":"Field","name":{"kind":"Name","value":"strategy"}}]}},{"kind":"Field","name":{"kind":"Name","value":"primaryMetric"}},{"kind":"Field","name":{"kind":"Name","value":"guardrailMetrics"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"stoppedAt"}},{"kind":"Field","name":{"kind":"Name","value":"shippedVariant"}}]}}]}}]} as unknown as DocumentNode<ExperimentsQuery, ExperimentsQueryVariables>;
export const ExperimentResultsDocument = {"__meta__":{"hash":"sha256:4df60e1c194fb0e95ac6460cae6bb94084b49d7e3fea20e11a6c2fd8bc3faa69"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ExperimentResults"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"experiment"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"results"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sampleRatioMismatch"}},{"kind":"Field","name":{"kind":"Name","value":"srmPValue"}},{"kind":"Field","name":{"kind":"Name","value":"primary"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"metric"}},{"kind":"Field","name":{"kind":"Name","value":"variants"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"strategy"}},{"kind":"Field","name":{"kind":"Name","value":"users"}},{"kind":"Field","name":{"kind":"Name","value":"mean"}},{"kind":"Field","name":{"kind":"Name","value":"variance"}},{"kind":"Field","name":{"kind":"Name","value":"absolute"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"estimate"}},{"kind":"Field","name":{"kind":"Name","value":"standardError"}},{"kind":"Field","name":{"kind":"Name","value":"pValue"}},{"kind":"Field","name":{"kind":"Name","value":"ci"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"lower"}},{"kind":"Field","name":{"kind":"Name","value":"upper"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"relative"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"estimate"}},{"kind":"Field","name":{"kind":"Name","value":"pValue"}},{"kind":"Field","name":{"kind":"Name","value":"ci"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"lower"}},{"kind":"Field","name":{"kind":"Name","value":"upper"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"adjustedPValue"}},{"kind":"Field","name":{"kind":"Name","value":"sequentialPValue"}},{"kind":"Field","name":{"kind":"Name","value":"adjustedSequentialPValue"}},{"kind":"Field","name":{"kind":"Name","value":"sequentialCi"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"lower"}},{"kind":"Field","name":{"kind":"Name","value":"upper"}}]}},{"kind":"Field","name":{"kind":"Name","value":"cupedAbsolute"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"estimate"}},{"kind":"Field","name":{"kind":"Name","value":"ci"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"lower"}},{"kind":"Field","name":{"kind":"Name","value":"upper"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"cupedVarianceRatio"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"guardrails"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"metric"}},{"kind":"Field","name":{"kind":"Name","value":"variants"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"users"}},{"kind":"Field","name":{"kind":"Name","value":"mean"}},{"kind":"Field","name":{"kind":"Name","value":"absolute"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"estimate"}},{"kind":"Field","name":{"kind":"Name","value":"pValue"}}]}},{"kind":"Field","name":{"kind":"Name","value":"sequentialPValue"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<ExperimentResultsQuery, ExperimentResultsQueryVariables>;
export const CreateExperimentDocument = {"__meta__":{"hash":"sha256:f8dc6846640660df7587b7599ca18d57b47028e0666899f658db757df0d7c833"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateExperiment"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateExperimentInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createExperiment"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<CreateExperimentMutation, CreateExperimentMutationVariables>;
export const StartExperimentDocument = {"__meta__":{"hash":"sha256:51a25f57e84cb3084f39245ff74a61dfad649df0acc40744edf56d87feabde30"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"StartExperiment"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"startExperiment"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}}]}}]}}]} as unknown as DocumentNode<StartExperimentMutation, StartExperimentMutationVariables>;
export const StopExperimentDocument = {"__meta__":{"hash":"sha256:f7ef445d504a508ddc5631d9d444ce6f1aad2857f16e8632a650cc2b5ff14212"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"StopExperiment"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"stopExperiment"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"stoppedAt"}}]}}]}}]} as unknown as DocumentNode<StopExperimentMutation, StopExperimentMutationVariables>;
export const ShipVariantDocument = {"__meta__":{"hash":"sha256:c9d125c97f64572622953582db1cea19d38305549851e90081bb041a8c6934ae"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ShipVariant"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"variant"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"shipVariant"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"experimentId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"variant"},"value":{"kind":"Variable","name":{"kind":"Name","value":"variant"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"shippedVariant"}}]}}]}}]} as unknown as DocumentNode<ShipVariantMutation, ShipVariantMutationVariables>;
export const RecommendationsDocument = {"__meta__":{"hash":"sha256:2aba627f79ad7ce2f08b768250eda7892ce0e14bb0fd454b372f31b8ad45b0cc"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Recommendations"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"userId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},"defaultValue":{"kind":"StringValue","value":"demo-user-1","block":false}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"10"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"RecommendationFilter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"recommendations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"userId"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"score"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"item"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"category"}},{"kind":"Field","name":{"kind":"Name","value":"price"}},{"kind":"Field","name":{"kind":"Name","value":"categoryDetails"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"itemCount"}}]}}]}}]}}]}}]} as unknown as DocumentNode<RecommendationsQuery, RecommendationsQueryVariables>;
export const SimilarItemsDocument = {"__meta__":{"hash":"sha256:1c6c67430ccec038cdd89b296c9d6146eec98d7d594f29b4393f71105ecc33f2"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SimilarItems"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"itemId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},"defaultValue":{"kind":"StringValue","value":"item-001","block":false}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"similarItems"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"itemId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"itemId"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"score"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"item"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}}]}}]}}]}}]} as unknown as DocumentNode<SimilarItemsQuery, SimilarItemsQueryVariables>;
export const UserHistoryDocument = {"__meta__":{"hash":"sha256:f9f9aca488678941a34ee48560edfcd68535aa3fb5e0be1802905e069f142cf8"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"UserHistory"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},"defaultValue":{"kind":"StringValue","value":"demo-user-1","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"user"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"anonymous"}},{"kind":"Field","name":{"kind":"Name","value":"eventCount"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeenAt"}},{"kind":"Field","name":{"kind":"Name","value":"recentInteractions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"lastType"}},{"kind":"Field","name":{"kind":"Name","value":"weight"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeenAt"}},{"kind":"Field","name":{"kind":"Name","value":"counts"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"views"}},{"kind":"Field","name":{"kind":"Name","value":"clicks"}},{"kind":"Field","name":{"kind":"Name","value":"addToCarts"}},{"kind":"Field","name":{"kind":"Name","value":"purchases"}}]}},{"kind":"Field","name":{"kind":"Name","value":"item"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}}]}}]}}]}}]}}]} as unknown as DocumentNode<UserHistoryQuery, UserHistoryQueryVariables>;
export const CatalogDocument = {"__meta__":{"hash":"sha256:bb3ca4a06bad09aa0407489b1507537ad4c4fbe1f0d34748fd1903cb8d968681"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Catalog"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"20"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ItemFilter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"items"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"category"}},{"kind":"Field","name":{"kind":"Name","value":"price"}}]}}]}}]}}]}}]} as unknown as DocumentNode<CatalogQuery, CatalogQueryVariables>;
export const TrackEventsDocument = {"__meta__":{"hash":"sha256:d9856463db9c8fbdf55bdf9f90853456e2fe344a91d227c3d7f9516ae612d795"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"TrackEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"events"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"EventInput"}}}}},"defaultValue":{"kind":"ListValue","values":[{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"id"},"value":{"kind":"StringValue","value":"graphiql-1","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"type"},"value":{"kind":"EnumValue","value":"CLICK"}},{"kind":"ObjectField","name":{"kind":"Name","value":"userId"},"value":{"kind":"StringValue","value":"demo-user-1","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"itemId"},"value":{"kind":"StringValue","value":"item-042","block":false}}]}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"trackEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"events"},"value":{"kind":"Variable","name":{"kind":"Name","value":"events"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accepted"}},{"kind":"Field","name":{"kind":"Name","value":"duplicates"}},{"kind":"Field","name":{"kind":"Name","value":"rejected"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}}]}}]}}]}}]} as unknown as DocumentNode<TrackEventsMutation, TrackEventsMutationVariables>;
export const UpsertItemsDocument = {"__meta__":{"hash":"sha256:2ed0afb906bde8a192f50a189b6a0dc7679425d3f49f79cf1ae87d820d4d737b"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpsertItems"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"items"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ItemInput"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"upsertItems"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"items"},"value":{"kind":"Variable","name":{"kind":"Name","value":"items"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"upserted"}},{"kind":"Field","name":{"kind":"Name","value":"rejected"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}}]}}]}}]}}]} as unknown as DocumentNode<UpsertItemsMutation, UpsertItemsMutationVariables>;
export const RecommendationsChangedDocument = {"__meta__":{"hash":"sha256:5b4d21eb49d0e8bad6956595d155e9a890cd643453df40f277199a0897dcbb52"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"RecommendationsChanged"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"userId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},"defaultValue":{"kind":"StringValue","value":"demo-user-1","block":false}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"recommendationsChanged"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"userId"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"score"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"item"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}}]}}]}}]}}]} as unknown as DocumentNode<RecommendationsChangedSubscription, RecommendationsChangedSubscriptionVariables>;
export const AnomalyDetectedDocument = {"__meta__":{"hash":"sha256:c401d26e8d8d9a32571078a0f27403c2e96c9c774d5ef2c68fff218ae9e5fe7a"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"AnomalyDetected"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"AnomalyFilter"}},"defaultValue":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"minSeverity"},"value":{"kind":"EnumValue","value":"WARNING"}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"anomalyDetected"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"entityType"}},{"kind":"Field","name":{"kind":"Name","value":"entityId"}},{"kind":"Field","name":{"kind":"Name","value":"score"}},{"kind":"Field","name":{"kind":"Name","value":"detectedAt"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"acknowledged"}},{"kind":"Field","name":{"kind":"Name","value":"evidence"}}]}}]}}]} as unknown as DocumentNode<AnomalyDetectedSubscription, AnomalyDetectedSubscriptionVariables>;