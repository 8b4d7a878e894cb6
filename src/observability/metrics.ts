import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics, one registry per gateway so tests can run several side by side. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'flywheel_process_' });
  const m = {
    registry,
    httpDuration: new Histogram({
      name: 'flywheel_http_request_duration_seconds',
      help: 'GraphQL HTTP request latency',
      labelNames: ['operation', 'status'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    eventsAccepted: new Counter({ name: 'flywheel_events_accepted_total', help: 'Events appended to the log', labelNames: ['source'] as const, registers: [registry] }),
    eventsRejected: new Counter({ name: 'flywheel_events_rejected_total', help: 'Events dead-lettered', labelNames: ['stage'] as const, registers: [registry] }),
    eventsApplied: new Counter({ name: 'flywheel_events_ingested_total', help: 'Events applied to the graph', registers: [registry] }),
    eventsDuplicate: new Counter({ name: 'flywheel_events_duplicate_total', help: 'Events skipped because their id was already applied', registers: [registry] }),
    deadLettersDropped: new Counter({
      name: 'flywheel_dead_letters_dropped_total',
      help: 'Dead letters not stored: over the sender\'s quota (reason=quota) or removed by retention (reason=retention)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    eventsMisrouted: new Counter({
      name: 'flywheel_events_misrouted_total',
      help: 'Kafka events found on another partition than murmur2(user key) picks (a producer with another partitioner or key: per-user order is not kept)',
      registers: [registry],
    }),
    ingestStalled: new Gauge({
      name: 'flywheel_ingest_stalled',
      help: '1 while ingestion is behind the log and has not advanced for the stall threshold (alert on it)',
      registers: [registry],
    }),
    ingestLag: new Gauge({ name: 'flywheel_ingest_lag_events', help: 'Events in the log not yet applied to the graph', registers: [registry] }),
    graphSize: new Gauge({ name: 'flywheel_graph_size', help: 'Nodes and edges in the graph', labelNames: ['kind'] as const, registers: [registry] }),
    wsConnections: new Gauge({ name: 'flywheel_ws_connections', help: 'Open graphql-ws connections', registers: [registry] }),
  };
  return m;
}

/** What the recommender reports about itself, read at scrape time. */
export interface RecommenderGauges {
  cacheStats(): { hits: number; misses: number };
  pendingItems(): number;
}

/** Recommendation cache hits/misses and the model's re-solve backlog, read from the live recommender at scrape time. */
export function registerRecommenderMetrics(metrics: Metrics, recommender: () => RecommenderGauges): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'flywheel_recommendation_cache_lookups',
    help: 'Exact recommendation cache lookups since start, by result (a miss runs the strategy)',
    labelNames: ['result'] as const,
    registers,
    collect() {
      const s = recommender().cacheStats();
      this.set({ result: 'hit' }, s.hits);
      this.set({ result: 'miss' }, s.misses);
    },
  });
  new Gauge({
    name: 'flywheel_recommendation_model_pending_items',
    help: 'Items whose learned weights wait for a background re-solve',
    registers,
    collect() {
      this.set(recommender().pendingItems());
    },
  });
}

export type Metrics = ReturnType<typeof createMetrics>;
