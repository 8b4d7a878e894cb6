import { createPubSub } from '@graphql-yoga/subscription';
import type { AnomalyRecord } from '../graph/stores/anomalies';

/**
 * In-process publish/subscribe for GraphQL subscriptions. Each gateway instance fans out to its own
 * WebSocket clients; what gets published here comes from this instance's ingestion (and, with Kafka,
 * from a broadcast topic every instance reads, so no subscriber misses an event handled elsewhere).
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
