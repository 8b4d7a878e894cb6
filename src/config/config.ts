import path from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../events/validate';
import { parseAnomalyConfigJson } from '../anomaly/config';
import { REPLICA_UNSERVED } from '../recommend/config';

/**
 * Configuration: environment variables, overridden by command-line flags, validated once at start.
 * A bad value stops the process with a message naming the variable and the rule, never a stack trace.
 */
const onOff = z.enum(['on', 'off', 'true', 'false', '1', '0'], { error: 'must be on or off' }).transform((v) => v === 'on' || v === 'true' || v === '1');

const intIn = (min: number, max: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be an integer').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

/** "NAME=WEIGHT,NAME=WEIGHT" with names from `names` (parsed by `parseWeights`). */
function weightList(what: string, kinds: string, names: readonly string[]) {
  const pair = `\\s*(${names.join('|')})\\s*=\\s*\\d+(\\.\\d+)?\\s*`;
  return z.string().regex(new RegExp(`^${pair}(,${pair})*$`), `must be ${what}=WEIGHT pairs separated by commas, ${kinds} ${names.join(', ')}`);
}

export const configSchema = z.object({
  PORT: intIn(0, 65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  FLYWHEEL_DATA_DIR: z.string().min(1).default('./data'),
  FLYWHEEL_GRAPH: z.enum(['embedded', 'neo4j'], { error: 'must be embedded or neo4j' }).default('embedded'),
  FLYWHEEL_EVENTS: z.enum(['embedded', 'kafka'], { error: 'must be embedded or kafka' }).default('embedded'),
  FLYWHEEL_SIMULATOR: onOff.default(false),
  FLYWHEEL_SIMULATOR_RATE: intIn(1, 10_000).default(5),
  FLYWHEEL_SNAPSHOT_EVERY: intIn(1, 100_000_000).default(100_000),
  FLYWHEEL_HALF_LIFE_DAYS: z.coerce.number().positive('must be positive').default(180),
  FLYWHEEL_RECOMMENDER: z
    .enum(['local-ease', 'item-knn', 'rp3beta', 'user-knn', 'als', 'blend', 'popular'], {
      error: 'must be local-ease, item-knn, rp3beta, user-knn, als, blend or popular',
    })
    .default('blend'),
  /** Item-to-item similarity of item-knn (and of similarItems). */
  FLYWHEEL_SIMILARITY: z.enum(['jaccard', 'cosine', 'bm25'], { error: 'must be jaccard, cosine or bm25' }).default('bm25'),
  /** User-to-user similarity of user-knn. */
  FLYWHEEL_USER_SIMILARITY: z.enum(['jaccard', 'cosine', 'bm25'], { error: 'must be jaccard, cosine or bm25' }).default('cosine'),
  FLYWHEEL_USER_KNN_NEIGHBOURS: intIn(1, 10_000).default(100),
  /** History weight per event type, e.g. PURCHASE=1,ADD_TO_CART=0.6,CLICK=0.3,VIEW=0.2 (unnamed types keep their default). */
  FLYWHEEL_EVENT_WEIGHTS: weightList('TYPE', 'types', ['PURCHASE', 'ADD_TO_CART', 'CLICK', 'VIEW']).optional(),
  /** Parts and weights of the blend strategy, e.g. local-ease=1,item-knn=1 (parts: local-ease, item-knn, rp3beta, user-knn, als). */
  FLYWHEEL_BLEND: weightList('STRATEGY', 'strategies', ['local-ease', 'item-knn', 'rp3beta', 'user-knn', 'als']).optional(),
  // Matrix factorisation (`als`, src/recommend/als.ts); unset keys keep DEFAULT_ALS_OPTIONS, which
  // `flywheel tune --als` chose on a validation month (BENCHMARKS.md).
  FLYWHEEL_ALS_FACTORS: intIn(1, 512).optional(),
  FLYWHEEL_ALS_REGULARIZATION: z.coerce.number({ error: 'must be a number' }).positive('must be positive').optional(),
  FLYWHEEL_ALS_ALPHA: z.coerce.number({ error: 'must be a number' }).min(0, 'must be at least 0').optional(),
  FLYWHEEL_ALS_CONFIDENCE: z.enum(['linear', 'log'], { error: 'must be linear or log' }).optional(),
  FLYWHEEL_ALS_ITERATIONS: intIn(1, 100).optional(),
  /** Conjugate-gradient steps per row in a fit; 0 = exact Cholesky solves (slower, for small data). */
  FLYWHEEL_ALS_CG_STEPS: intIn(0, 50).optional(),
  /**
   * The per-request fold-in: most preconditioned conjugate-gradient steps (it stops sooner at the
   * tolerance below); 0 = the exact Cholesky solve (|history| k^2 / 2 + k^3 / 6 per request).
   */
  FLYWHEEL_ALS_FOLD_IN_CG_STEPS: intIn(0, 1000).optional(),
  /** The fold-in's CG stops once its preconditioned residual is at most this fraction of the right-hand side's. */
  FLYWHEEL_ALS_FOLD_IN_TOLERANCE: z.coerce.number({ error: 'must be a number' }).min(0, 'must be at least 0').max(1, 'must be at most 1').optional(),
  /** The fold-in uses the user's latest this many history entries (0 = all of them). */
  FLYWHEEL_ALS_FOLD_IN_HISTORY: intIn(0, 1_000_000).optional(),
  /** Evidence halves every this many days before the user's latest event; 0 = no decay. */
  FLYWHEEL_ALS_HALF_LIFE_DAYS: z.coerce.number({ error: 'must be a number' }).min(0, 'must be at least 0').optional(),
  /** Background refit of the item factors at most this often while events arrive (0 = never on its own). */
  FLYWHEEL_ALS_REFIT_MINUTES: z.coerce.number({ error: 'must be a number' }).min(0, 'must be at least 0').optional(),
  /** Above this many items, `als` inside a blend re-ranks the other parts' best candidates instead of scanning every item. */
  FLYWHEEL_ALS_EXACT_MAX_ITEMS: intIn(0, 100_000_000).optional(),
  /** How many of the blend's best candidates `als` re-ranks there. */
  FLYWHEEL_ALS_RERANK: intIn(1, 100_000).optional(),
  /** How many users' latest ALS vectors are kept, so a user asked for again is not solved from scratch (0 = none). */
  FLYWHEEL_ALS_USER_VECTORS: intIn(0, 100_000_000).optional(),
  /**
   * A fitted ALS model (`flywheel export-als`) to serve from the start instead of waiting for the first fit
   * (src/app/als-factors.ts); a file that is damaged or fitted with other hyperparameters stops the start.
   */
  FLYWHEEL_ALS_MODEL_FILE: z.string().min(1).optional(),
  /** Entries of the exact recommendation cache (0 turns it off); handed to the Recommender by src/app/flywheel.ts. */
  FLYWHEEL_RECOMMENDATION_CACHE: intIn(0, 10_000_000).default(10_000),
  FLYWHEEL_MAX_BODY_BYTES: intIn(1024, 100 * 1024 * 1024).default(1024 * 1024),
  FLYWHEEL_SHUTDOWN_GRACE_MS: intIn(0, 600_000).default(10_000),
  // Anomaly detection; unset thresholds keep the defaults of src/anomaly/config.ts.
  FLYWHEEL_ANOMALIES: onOff.default(true),
  FLYWHEEL_IGNORE_BOTS: onOff.default(true),
  FLYWHEEL_ANOMALY_BOT_MAX_EVENTS: intIn(2, 1_000_000).optional(),
  FLYWHEEL_ANOMALY_BOT_WINDOW_MS: intIn(1000, 86_400_000).optional(),
  FLYWHEEL_ANOMALY_BOT_TTL_MS: intIn(1000, 30 * 86_400_000).optional(),
  FLYWHEEL_ANOMALY_QUANTITY_RATIO: z.coerce.number().min(1, 'must be at least 1').optional(),
  FLYWHEEL_ANOMALY_ORDER_VALUE_RATIO: z.coerce.number().min(1, 'must be at least 1').optional(),
  FLYWHEEL_ANOMALY_PRICE_RATIO: z.coerce.number().min(1, 'must be at least 1').optional(),
  FLYWHEEL_ANOMALY_TRAFFIC_Z: z.coerce.number().positive('must be positive').optional(),
  FLYWHEEL_ANOMALY_MAX_STORED: intIn(100, 10_000_000).default(100_000),
  /** Any other detector setting, as JSON of src/anomaly/config.ts AnomalyConfigInput (the keys above win); unknown keys are refused. */
  FLYWHEEL_ANOMALY_CONFIG: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      if (v === undefined) return;
      try {
        parseAnomalyConfigJson(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
  // Customer segments: fixed k (0 = choose by silhouette in the range), refit period (0 = on demand only).
  FLYWHEEL_SEGMENTS_K: intIn(0, 50).default(0),
  FLYWHEEL_SEGMENTS_K_RANGE: z
    .string()
    .regex(/^\d{1,2}-\d{1,2}$/, 'must be MIN-MAX, e.g. 3-6')
    .refine((v) => {
      const [a, b] = v.split('-').map(Number);
      return a! >= 1 && a! <= b!;
    }, 'must be MIN-MAX with 1 <= MIN <= MAX')
    .default('3-6'),
  /**
   * Served lists gathered into one impression append (src/outcomes/impressions.ts, lingerMs); unset: 0 on
   * the embedded log (one append per event-loop turn), 50 on Kafka (one produce request per 50 ms; why:
   * KAFKA_IMPRESSION_LINGER_MS).
   */
  FLYWHEEL_IMPRESSION_LINGER_MS: intIn(0, 1000).optional(),
  /** Attribution windows (src/outcomes/attribution.ts): a click counts for a list shown at most this long before it. */
  FLYWHEEL_ATTRIBUTION_CLICK_HOURS: z.coerce
    .number({ error: 'must be a number' })
    .positive('must be positive')
    .max(8760, 'must be at most 8760 (a year)')
    .default(24),
  /** The same for add-to-cart and purchase. */
  FLYWHEEL_ATTRIBUTION_CONVERSION_HOURS: z.coerce
    .number({ error: 'must be a number' })
    .positive('must be positive')
    .max(8760, 'must be at most 8760 (a year)')
    .default(168),
  /** Most served lists held in memory for attribution; the oldest go first (src/outcomes/attribution.ts). */
  FLYWHEEL_ATTRIBUTION_MAX_LISTS: intIn(1, 100_000_000).default(500_000),
  FLYWHEEL_SEGMENTS_REFIT_MINUTES: z.coerce.number({ error: 'must be a number' }).min(0, 'must be at least 0').default(60),
  /** Each segment's next-period buy rate is backtested over this many days before the fit. */
  FLYWHEEL_SEGMENTS_BUY_RATE_DAYS: intIn(1, 365).default(30),
  // Neo4j graph store (FLYWHEEL_GRAPH=neo4j).
  NEO4J_URI: z.string().min(1).default('bolt://127.0.0.1:7687'),
  NEO4J_USER: z.string().default('neo4j'),
  NEO4J_PASSWORD: z.string().default(''),
  /** Database name; empty uses the server's default database. */
  NEO4J_DATABASE: z.string().default(''),
  NEO4J_MAX_POOL_SIZE: intIn(1, 1000).default(50),
  /** Items a gateway keeps in front of Neo4j (src/graph/neo4j/item-cache.ts); 0 reads every item from Neo4j. */
  NEO4J_ITEM_CACHE_ENTRIES: intIn(0, 100_000_000).default(200_000),
  /** How old a kept item may get: other gateways' writes show after at most this long. */
  NEO4J_ITEM_CACHE_MS: intIn(0, 3_600_000).default(1000),
  /**
   * How long a graph store remembers an applied event id (Neo4j: an `(:Event)` node; embedded: applied-ids.ts),
   * so the same id again is a duplicate; older ones are deleted. At least the event topic's retention (a replay
   * re-reads that far); 0 = for ever.
   */
  FLYWHEEL_IDEMPOTENCY_WINDOW_HOURS: z.coerce.number({ error: 'must be a number' }).min(0, 'must be at least 0').default(168),
  /**
   * Where this gateway's item model comes from (ARCHITECTURE.md, "Past one machine"): `solve` (default) learns
   * it from every user's history; `publish` does too and ships it to the item-model topic; `replica` serves
   * the shipped model and reads histories from Neo4j, holding at most FLYWHEEL_RESIDENT_USERS of them.
   */
  FLYWHEEL_ITEM_MODEL: z.enum(['solve', 'publish', 'replica'], { error: 'must be solve, publish or replica' }).default('solve'),
  /** How often a publisher ships the rows its re-solves changed (an item changed several times meanwhile goes once). */
  FLYWHEEL_ITEM_MODEL_PUBLISH_MS: intIn(100, 600_000).default(2000),
  /** The most user histories a replica holds (least recently asked for evicted first). */
  FLYWHEEL_RESIDENT_USERS: intIn(1, 100_000_000).default(100_000),
  // Kafka event log (FLYWHEEL_EVENTS=kafka).
  KAFKA_BROKERS: z.string().min(1).default('127.0.0.1:9092'),
  KAFKA_CLIENT_ID: z.string().min(1).default('flywheel'),
  KAFKA_TOPIC_EVENTS: z.string().min(1).default('flywheel.events'),
  KAFKA_TOPIC_DEADLETTER: z.string().min(1).default('flywheel.events.deadletter'),
  /** The compacted topic that carries the shipped item model (FLYWHEEL_ITEM_MODEL publish/replica). */
  KAFKA_TOPIC_ITEM_MODEL: z.string().min(1).default('flywheel.item-model'),
  KAFKA_GROUP: z.string().min(1).default('flywheel-graph'),
  KAFKA_PARTITIONS: intIn(1, 10_000).default(6),
  /** Replication factor for topics the gateway creates; -1 takes the broker's default. */
  KAFKA_REPLICATION_FACTOR: intIn(-1, 32).default(-1),
  KAFKA_SESSION_TIMEOUT_MS: intIn(6000, 600_000).default(30_000),
  // Dead letters and ingestion health.
  FLYWHEEL_DEAD_LETTER_QUOTA: intIn(0, 10_000_000).default(1000),
  FLYWHEEL_DEAD_LETTER_MAX: intIn(1, 100_000_000).default(10_000),
  FLYWHEEL_INGEST_STALL_MS: intIn(1000, 86_400_000).default(30_000),
  /** Most events the ingestor applies to the graph in one batch (on Neo4j: one write transaction). */
  FLYWHEEL_INGEST_MAX_BATCH: intIn(1, 100_000).default(5000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** json (one object per line) or pretty (for people); auto: pretty when stdout is a terminal. */
  FLYWHEEL_LOG_FORMAT: z.enum(['auto', 'json', 'pretty'], { error: 'must be auto, json or pretty' }).default('auto'),
  NODE_ENV: z.string().default('development'),
  // Security: authentication, abuse limits.
  FLYWHEEL_AUTH: onOff.optional(),
  FLYWHEEL_JWT_SECRET: z.string().optional(),
  FLYWHEEL_JWKS_FILE: z.string().optional(),
  FLYWHEEL_JWT_ISSUER: z.string().optional(),
  FLYWHEEL_JWT_AUDIENCE: z.string().optional(),
  FLYWHEEL_API_KEYS_FILE: z.string().optional(),
  FLYWHEEL_RATE_LIMIT_PER_MINUTE: intIn(1, 10_000_000).default(6000),
  /** Requests per client address that fail authentication (no or bad credentials), per minute. */
  FLYWHEEL_RATE_LIMIT_ANONYMOUS_PER_MINUTE: intIn(1, 10_000_000).default(300),
  FLYWHEEL_MAX_DEPTH: intIn(2, 100).default(12),
  FLYWHEEL_MAX_ALIASES: intIn(1, 1000).default(30),
  FLYWHEEL_MAX_TOKENS: intIn(100, 100_000).default(5000),
  FLYWHEEL_MAX_COST: intIn(100, 10_000_000).default(20_000),
  FLYWHEEL_MAX_IN_FLIGHT: intIn(1, 100_000).default(256),
  FLYWHEEL_SAFELIST: onOff.default(false),
  /** Bearer token required on /metrics; unset: open in development, loopback clients only in production. */
  FLYWHEEL_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // graphql-jit compiles each HTTP operation once; graphql-js is the reference interpreter to fall back on.
  FLYWHEEL_EXECUTOR: z.enum(['jit', 'graphql-js'], { error: 'must be jit or graphql-js' }).default('jit'),
});

/** The ALS options set in the configuration (unset keys are left out, so the defaults apply). */
export interface AlsSettings {
  factors?: number;
  regularization?: number;
  alpha?: number;
  confidence?: 'linear' | 'log';
  iterations?: number;
  cgSteps?: number;
  foldInCgSteps?: number;
  foldInTolerance?: number;
  foldInHistory?: number;
  halfLifeDays?: number;
  refitMinutes?: number;
  exactMaxItems?: number;
  rerank?: number;
  userVectors?: number;
}

export function alsOptionsOf(c: FlywheelConfig): AlsSettings {
  const o: AlsSettings = {
    factors: c.FLYWHEEL_ALS_FACTORS,
    regularization: c.FLYWHEEL_ALS_REGULARIZATION,
    alpha: c.FLYWHEEL_ALS_ALPHA,
    confidence: c.FLYWHEEL_ALS_CONFIDENCE,
    iterations: c.FLYWHEEL_ALS_ITERATIONS,
    cgSteps: c.FLYWHEEL_ALS_CG_STEPS,
    foldInCgSteps: c.FLYWHEEL_ALS_FOLD_IN_CG_STEPS,
    foldInTolerance: c.FLYWHEEL_ALS_FOLD_IN_TOLERANCE,
    foldInHistory: c.FLYWHEEL_ALS_FOLD_IN_HISTORY,
    halfLifeDays: c.FLYWHEEL_ALS_HALF_LIFE_DAYS,
    refitMinutes: c.FLYWHEEL_ALS_REFIT_MINUTES,
    exactMaxItems: c.FLYWHEEL_ALS_EXACT_MAX_ITEMS,
    rerank: c.FLYWHEEL_ALS_RERANK,
    userVectors: c.FLYWHEEL_ALS_USER_VECTORS,
  };
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as AlsSettings;
}

/** Parses "A=1,B=0.5" (already validated by the schema) into a record. */
export function parseWeights(s: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pair of s.split(',')) {
    const [k, v] = pair.split('=').map((x) => x.trim());
    out[k!] = Number(v);
  }
  return out;
}

export type FlywheelConfig = z.infer<typeof configSchema> & { dataDir: string };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Builds the configuration from the environment plus explicit overrides (flags). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, string | number | boolean | undefined> = {}): FlywheelConfig {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(configSchema.shape)) if (env[key] !== undefined && env[key] !== '') input[key] = env[key];
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) input[key] = typeof value === 'boolean' ? String(value) : value;
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeIssues(parsed.error.issues)}`);
  checkItemModel(parsed.data);
  return { ...parsed.data, dataDir: path.resolve(parsed.data.FLYWHEEL_DATA_DIR) };
}

/** Settings of FLYWHEEL_ITEM_MODEL that only hold together with others. */
function checkItemModel(c: z.infer<typeof configSchema>): void {
  const mode = c.FLYWHEEL_ITEM_MODEL;
  if (mode === 'solve') return;
  const fail = (why: string) => {
    throw new ConfigError(`invalid configuration: FLYWHEEL_ITEM_MODEL=${mode} ${why}`);
  };
  if (c.FLYWHEEL_EVENTS !== 'kafka') fail('needs FLYWHEEL_EVENTS=kafka (the model travels on a Kafka topic)');
  if (mode !== 'replica') return;
  if (c.FLYWHEEL_GRAPH !== 'neo4j') fail("needs FLYWHEEL_GRAPH=neo4j (a replica reads users' histories from the shared graph)");
  // A replica holds some users only: strategies that read every user's history are not served.
  if (REPLICA_UNSERVED.includes(c.FLYWHEEL_RECOMMENDER)) fail(`cannot serve FLYWHEEL_RECOMMENDER=${c.FLYWHEEL_RECOMMENDER}, which needs every user's history`);
  const parts = c.FLYWHEEL_BLEND ? Object.entries(parseWeights(c.FLYWHEEL_BLEND)).filter(([n, w]) => w > 0 && REPLICA_UNSERVED.includes(n)) : [];
  if (parts.length > 0) fail(`cannot serve blend part ${parts.map(([n]) => n).join(', ')}, which needs every user's history`);
}
