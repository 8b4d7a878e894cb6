import { createPubSub } from '@graphql-yoga/subscription';
import type { AnomalyRecord } from '../src/graph/graph-store';
import type { LiveUpdateListener } from '../src/ingest/live-updates';

/**
 * In-process publish/subscribe for GraphQL subscriptions, and the topics the subscription resolvers read.
 * Each gateway server fans out to its own WebSocket clients; what is published comes from the core's
 * LiveUpdates (this instance's ingestion, and with Kafka + Neo4j its fan-out consumer, which sees every
 * event, so no subscriber misses one handled elsewhere).
 */
export interface UserUpdated {
  userId: string;
}

export type GatewayPubSub = ReturnType<typeof createGatewayPubSub>;

export const TOPIC_USER_UPDATED = 'USER_UPDATED';
/** New anomaly findings (payload: the stored AnomalyRecord). */
export const TOPIC_ANOMALY_DETECTED = 'ANOMALY_DETECTED';

export function createGatewayPubSub() {
  return createPubSub<{ [TOPIC_USER_UPDATED]: [userId: string, payload: UserUpdated]; [TOPIC_ANOMALY_DETECTED]: [payload: AnomalyRecord] }>();
}

/** The core's announcements, as subscription topics. */
export function publishTo(pubsub: GatewayPubSub): LiveUpdateListener {
  return {
    userUpdated: (userId) => pubsub.publish(TOPIC_USER_UPDATED, userId, { userId }),
    anomalyDetected: (record) => pubsub.publish(TOPIC_ANOMALY_DETECTED, record),
  };
}
