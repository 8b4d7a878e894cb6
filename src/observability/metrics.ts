import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics, one registry per gateway so tests can run several side by side. */
export function createMetrics() {
  const registry = new Registry();
  // prom-client's standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, ...), which the
  // usual Node.js dashboards expect; the gateway's own metrics carry the flywheel_ prefix.
  collectDefaultMetrics({ register: registry });
  const m = {
    registry,
    httpDuration: new Histogram({
      name: 'flywheel_http_request_duration_seconds',
      help: 'GraphQL HTTP request latency',
      labelNames: ['operation', 'status'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    eventsAccepted: new Counter({
      name: 'flywheel_events_accepted_total',
      help: 'Events appended to the log',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    eventsRejected: new Counter({
      name: 'flywheel_events_rejected_total',
      help: 'Events dead-lettered',
      labelNames: ['stage'] as const,
      registers: [registry],
    }),
    eventsApplied: new Counter({ name: 'flywheel_events_ingested_total', help: 'Events applied to the graph', registers: [registry] }),
    graphWriteDuration: new Histogram({
      name: 'flywheel_graph_write_duration_seconds',
      help: 'Time to apply one batch of the log to the graph (on Neo4j: its write transaction, retries included), by graph backend',
      labelNames: ['backend'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    graphWriteBatchEvents: new Histogram({
      name: 'flywheel_graph_write_batch_events',
      help: 'Events per batch applied to the graph (larger batches amortise a write transaction), by graph backend',
      labelNames: ['backend'] as const,
      buckets: [1, 10, 100, 500, 1000, 2000, 5000, 10000],
      registers: [registry],
    }),
    eventsDuplicate: new Counter({
      name: 'flywheel_events_duplicate_total',
      help: 'Events skipped because their id was already applied',
      registers: [registry],
    }),
    deadLettersDropped: new Counter({
      name: 'flywheel_dead_letters_dropped_total',
      help: "Dead letters not stored: over the sender's quota (reason=quota) or removed by retention (reason=retention)",
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
    impressionsRecorded: new Counter({
      name: 'flywheel_impressions_recorded_total',
      help: 'Served lists (recommendations, similarItems, recommendationsChanged) recorded as impressions in the event log, by surface and strategy',
      labelNames: ['surface', 'strategy'] as const,
      registers: [registry],
    }),
    impressionsUnrecorded: new Counter({
      name: 'flywheel_impressions_unrecorded_total',
      help: 'Served lists whose impression the log refused (served anyway; clicks on them stay unattributed)',
      labelNames: ['surface'] as const,
      registers: [registry],
    }),
    // The item model shipped to replicas (FLYWHEEL_ITEM_MODEL publish / replica): a publisher whose failures
    // climb, or whose pending rows do not fall, leaves the replicas on an older model (they keep serving it).
    itemModelRowsShipped: new Counter({
      name: 'flywheel_item_model_rows_shipped_total',
      help: 'Publisher: item model rows stored on the item-model topic',
      registers: [registry],
    }),
    itemModelShipFailures: new Counter({
      name: 'flywheel_item_model_ship_failures_total',
      help: 'Publisher: rounds whose rows could not be stored (they go with the next round)',
      registers: [registry],
    }),
    itemModelRowsPending: new Gauge({
      name: 'flywheel_item_model_rows_pending',
      help: 'Publisher: rows of re-solved items not stored on the topic yet',
      registers: [registry],
    }),
    itemModelRowsRead: new Counter({
      name: 'flywheel_item_model_rows_read_total',
      help: 'Replica: item model rows read from the topic, by result (installed, or rejected: not a row of this version)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
  return m;
}

/** What the recommender reports about itself, read at scrape time. */
export interface RecommenderGauges {
  cacheStats(): { hits: number; misses: number };
  pendingItems(): number;
  alsFoldIns(): { cached: number; warm: number; cold: number };
  alsVectorRefreshes(): number;
  alsVectorsPrimed(): number;
}

/** Recommendation cache hits/misses and the model's re-solve backlog, read from the live recommender at scrape time. */
export function registerRecommenderMetrics(metrics: Metrics, recommender: () => RecommenderGauges): void {
  const registers = [metrics.registry];
  new Counter({
    name: 'flywheel_recommendation_cache_lookups_total',
    help: 'Exact recommendation cache lookups, by result (a miss runs the strategy); restarts from 0 when erasure rebuilds the recommender',
    labelNames: ['result'] as const,
    registers,
    // The running totals live in the recommender; a scrape exposes them as they are.
    collect() {
      const s = recommender().cacheStats();
      this.reset();
      this.inc({ result: 'hit' }, s.hits);
      this.inc({ result: 'miss' }, s.misses);
    },
  });
  new Counter({
    name: 'flywheel_als_fold_ins_total',
    help: 'ALS user vectors of requests, by how they were obtained: cached (the kept vector, no solve), warm (solved from the kept vector), cold (solved from scratch)',
    labelNames: ['start'] as const,
    registers,
    collect() {
      const s = recommender().alsFoldIns();
      this.reset();
      this.inc({ start: 'cached' }, s.cached);
      this.inc({ start: 'warm' }, s.warm);
      this.inc({ start: 'cold' }, s.cold);
    },
  });
  new Counter({
    name: 'flywheel_als_vector_refreshes_total',
    help: "Kept ALS user vectors solved again after their user's events, off the request path (the next request then finds them cached)",
    registers,
    collect() {
      this.reset();
      this.inc(recommender().alsVectorRefreshes());
    },
  });
  new Counter({
    name: 'flywheel_als_vectors_primed_total',
    help: 'ALS user vectors solved in a worker thread right after a refit or a model load and kept, so the first list after it finds them cached',
    registers,
    collect() {
      this.reset();
      this.inc(recommender().alsVectorsPrimed());
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

/** What the anomaly detectors and the segment service report about themselves, read at scrape time. */
export interface ServiceStatsSources {
  anomalies: { stats(): { newByKind: Record<string, number>; flaggedBots: number; observed: number } };
  segments: {
    refitStats(): { ok: number; failed: number };
    lastRefit(): { durationMs: number; customers: number } | null;
    current(): { segments: readonly { id: string; name: string }[] } | null;
  };
  segmentSizes(): Promise<Map<string, number>>;
}

/** Anomaly and segment metrics: findings by kind, bots flagged, refits, refit time, segment sizes. */
export function registerServiceMetrics(metrics: Metrics, src: ServiceStatsSources): void {
  const registers = [metrics.registry];
  new Counter({
    name: 'flywheel_anomalies_detected_total',
    help: 'New anomaly findings (each finding id counted once), by kind and severity',
    labelNames: ['kind', 'severity'] as const,
    registers,
    collect() {
      this.reset();
      for (const [key, n] of Object.entries(src.anomalies.stats().newByKind)) {
        const [kind = '', severity = ''] = key.split(' ');
        this.inc({ kind, severity }, n);
      }
    },
  });
  new Counter({
    name: 'flywheel_anomaly_events_observed_total',
    help: 'Interactions the anomaly detectors have observed',
    registers,
    collect() {
      this.reset();
      this.inc(src.anomalies.stats().observed);
    },
  });
  new Gauge({
    name: 'flywheel_anomaly_flagged_bots',
    help: 'Actors currently flagged as bots',
    registers,
    collect() {
      this.set(src.anomalies.stats().flaggedBots);
    },
  });
  new Counter({
    name: 'flywheel_segment_refits_total',
    help: 'Full customer-segment refits, by outcome',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      const r = src.segments.refitStats();
      this.reset();
      this.inc({ outcome: 'ok' }, r.ok);
      this.inc({ outcome: 'failed' }, r.failed);
    },
  });
  new Gauge({
    name: 'flywheel_segment_last_refit_seconds',
    help: 'Wall time of the latest full segment refit',
    registers,
    collect() {
      const r = src.segments.lastRefit();
      if (r) this.set(r.durationMs / 1000);
    },
  });
  new Gauge({
    name: 'flywheel_segment_size',
    help: 'Customers in each segment of the current model',
    labelNames: ['segment', 'name'] as const,
    registers,
    async collect() {
      this.reset();
      const model = src.segments.current();
      if (!model) return;
      const sizes = await src.segmentSizes();
      for (const s of model.segments) this.set({ segment: s.id, name: s.name }, sizes.get(s.id) ?? 0);
    },
  });
}

/** What the outcome state reports (src/outcomes/), read at scrape time; structural so this folder stays low. */
export interface OutcomeSource {
  totals(): readonly {
    strategy: string;
    experimentId: string | null;
    variant: string | null;
    impressions: number;
    itemsShown: number;
    users: number;
    clicks: number;
    addToCarts: number;
    purchases: number;
    revenue: number;
  }[];
  unattributedCounts(): Readonly<Record<'CLICK' | 'ADD_TO_CART' | 'PURCHASE', number>>;
  evictedLists(): number;
}

/**
 * Outcomes per strategy and experiment variant, as counters (rates are PromQL: e.g. click-through per list
 * `rate(flywheel_outcomes_total{outcome="click"}[5m]) / rate(flywheel_outcome_lists_total[5m])`). The
 * running totals live in the outcome state, rebuilt from the log at start, so a restart does not reset them;
 * `experiment` and `variant` are "" outside an experiment.
 */
export function registerOutcomeMetrics(metrics: Metrics, src: () => OutcomeSource): void {
  const registers = [metrics.registry];
  const labelNames = ['strategy', 'experiment', 'variant'] as const;
  const each = (fn: (labels: Record<(typeof labelNames)[number], string>, t: ReturnType<OutcomeSource['totals']>[number]) => void) => {
    for (const t of src().totals()) fn({ strategy: t.strategy, experiment: t.experimentId ?? '', variant: t.variant ?? '' }, t);
  };
  new Counter({
    name: 'flywheel_outcome_lists_total',
    help: 'Served lists (impressions read back from the log), by strategy and experiment variant',
    labelNames,
    registers,
    collect() {
      this.reset();
      each((l, t) => this.inc(l, t.impressions));
    },
  });
  new Counter({
    name: 'flywheel_outcome_items_shown_total',
    help: 'Entries shown across served lists, by strategy and experiment variant',
    labelNames,
    registers,
    collect() {
      this.reset();
      each((l, t) => this.inc(l, t.itemsShown));
    },
  });
  new Counter({
    name: 'flywheel_outcomes_total',
    help: 'Clicks, add-to-carts and purchases attributed to served lists, by strategy, experiment variant and outcome',
    labelNames: [...labelNames, 'outcome'] as const,
    registers,
    collect() {
      this.reset();
      each((l, t) => {
        this.inc({ ...l, outcome: 'click' }, t.clicks);
        this.inc({ ...l, outcome: 'add_to_cart' }, t.addToCarts);
        this.inc({ ...l, outcome: 'purchase' }, t.purchases);
      });
    },
  });
  new Counter({
    name: 'flywheel_outcome_revenue_total',
    help: 'Revenue (units x price) of purchases attributed to served lists, by strategy and experiment variant',
    labelNames,
    registers,
    collect() {
      this.reset();
      each((l, t) => this.inc(l, t.revenue));
    },
  });
  new Gauge({
    name: 'flywheel_outcome_users',
    help: 'Distinct users shown a list, by strategy and experiment variant (revenue per user = revenue / users)',
    labelNames,
    registers,
    collect() {
      this.reset();
      each((l, t) => this.set(l, t.users));
    },
  });
  new Counter({
    name: 'flywheel_outcomes_unattributed_total',
    help: 'Clicks, add-to-carts and purchases no served list could be credited with',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      const u = src().unattributedCounts();
      this.reset();
      this.inc({ outcome: 'click' }, u.CLICK);
      this.inc({ outcome: 'add_to_cart' }, u.ADD_TO_CART);
      this.inc({ outcome: 'purchase' }, u.PURCHASE);
    },
  });
  new Counter({
    name: 'flywheel_attribution_lists_evicted_total',
    help: 'Served lists dropped before their attribution window ended (more than FLYWHEEL_ATTRIBUTION_MAX_LISTS held); outcomes on them count as unattributed',
    registers,
    collect() {
      this.reset();
      this.inc(src().evictedLists());
    },
  });
}
