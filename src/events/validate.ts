import { z } from 'zod';
import { SPENDING_FUNCTIONS } from '../experiments/group-sequential';
import {
  EXPERIMENT_METRICS,
  EXPERIMENT_TYPES,
  GUARDRAIL_DIRECTIONS,
  INTERACTION_TYPES,
  READABLE_SCHEMA_VERSION,
  SERVED_SURFACES,
  type BlendPartSpec,
  type ExperimentEvent,
  type FlywheelEvent,
  type ImpressionEvent,
  type InteractionEvent,
  type ItemUpsertEvent,
} from './event';

/**
 * Validation of everything that enters the event log. Producers differ (GraphQL, importer, Kafka), the
 * rules do not: one function decides, and its reason strings are what clients and the dead-letter store
 * see, so they name the field and the rule.
 */

const MAX_ID = 256;
const id = z.string().trim().min(1, 'must not be empty').max(MAX_ID, `must be at most ${MAX_ID} characters`);
/**
 * Event time is milliseconds since the epoch, and any plausible historical time is accepted: after
 * 1970-01-01, at most 24 hours ahead (clock skew). Seconds and milliseconds are told apart by magnitude:
 * a number below 1e11 is seconds (1e11 s is the year 5138, 1e11 ms is 1973-03-03), so data counted in
 * seconds (MovieLens, Unix tools, many Kafka producers) lands on its real date instead of January 1970.
 * The price: a millisecond time before 1973-03-03 is read as seconds, and refused as being in the future.
 */
export const SECONDS_BELOW = 1e11;
const MAX_FUTURE_MS = 24 * 3600 * 1000;

/** Epoch seconds (below 1e11, fractions kept to the millisecond) or milliseconds -> milliseconds. */
export function epochToMillis(t: number): number {
  return Math.abs(t) < SECONDS_BELOW ? Math.round(t * 1000) : t;
}

// One transform that converts and checks, rather than transform + pipe into a second schema: this runs
// for every event on the tracking path, and the pipe's second pass cost more than the checks themselves.
const timestamp = z.number().transform((raw, ctx) => {
  const t = epochToMillis(raw);
  if (!Number.isInteger(t)) ctx.addIssue({ code: 'custom', message: 'must be an integer number of milliseconds (or seconds, below 1e11)' });
  if (!(t > 0)) ctx.addIssue({ code: 'custom', message: 'must be after 1970-01-01 (milliseconds since the epoch; numbers below 1e11 are read as seconds)' });
  if (!(t <= Date.now() + MAX_FUTURE_MS)) ctx.addIssue({ code: 'custom', message: 'must not be more than 24 hours in the future' });
  return t;
});

const version = z.number().int().min(1).max(READABLE_SCHEMA_VERSION, `unsupported schema version (this gateway reads 1..${READABLE_SCHEMA_VERSION})`);

const interactionSchema = z
  .object({
    kind: z.literal('interaction'),
    v: version,
    id,
    type: z.enum(INTERACTION_TYPES, { error: `must be one of ${INTERACTION_TYPES.join(', ')}` }),
    userId: id.optional(),
    sessionId: id.optional(),
    itemId: id,
    timestamp,
    quantity: z.number().int('must be an integer').positive('must be positive').max(1_000_000_000).optional(),
    price: z.number().finite('must be a finite number').nonnegative('must not be negative').max(1e9).optional(),
    servedId: id.optional(),
  })
  // Unknown fields are ignored (dropped), not refused: producers may add fields (a `currency`) before
  // gateways read them. A change that older gateways must not misread bumps `v` instead.
  .superRefine((e, ctx) => {
    if (e.userId === undefined && e.sessionId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['userId'], message: 'either userId or sessionId is required' });
    }
    if (e.type === 'PURCHASE' && e.quantity === undefined) {
      ctx.addIssue({ code: 'custom', path: ['quantity'], message: 'is required for PURCHASE' });
    }
    if (e.servedId !== undefined && !(e.type === 'CLICK' || e.type === 'ADD_TO_CART' || e.type === 'PURCHASE')) {
      ctx.addIssue({ code: 'custom', path: ['servedId'], message: `is only for CLICK, ADD_TO_CART and PURCHASE (outcomes of a served list), not ${e.type}` });
    }
    if ((e.type === 'VIEW' || e.type === 'CLICK') && e.quantity !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['quantity'], message: `is not allowed for ${e.type}` });
    }
  });

const itemSchema = z.object({
  kind: z.literal('item'),
  v: version,
  id,
  itemId: id,
  title: z.string().trim().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters'),
  category: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  price: z.number().finite().nonnegative('must not be negative').max(1e9).optional(),
  attributes: z.record(z.string().max(200), z.string().max(2000)).optional(),
  timestamp,
});

/** The longest list the gateway serves (`first` is at most 100). */
export const MAX_SERVED_ENTRIES = 100;

const impressionSchema = z
  .object({
    kind: z.literal('impression'),
    v: version,
    id,
    userId: id.optional(),
    sessionId: id.optional(),
    surface: z.enum(SERVED_SURFACES, { error: `must be one of ${SERVED_SURFACES.join(', ')}` }),
    strategy: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    experimentId: id.optional(),
    variant: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
    segment: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
    anchorItemId: id.optional(),
    items: z
      .array(
        z.object({
          itemId: id,
          position: z.number().int('must be an integer').min(1, 'must be at least 1').max(MAX_SERVED_ENTRIES),
          propensity: z.number().gt(0, 'must be above 0').max(1, 'must be at most 1'),
          team: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
        }),
      )
      .max(MAX_SERVED_ENTRIES, `must hold at most ${MAX_SERVED_ENTRIES} entries`),
    timestamp,
  })
  .superRefine((e, ctx) => {
    const seen = new Set<string>();
    e.items.forEach((entry, i) => {
      // Attribution finds a served item by id: one list shows an item once.
      if (seen.has(entry.itemId)) ctx.addIssue({ code: 'custom', path: ['items', i, 'itemId'], message: 'appears twice in one list' });
      seen.add(entry.itemId);
    });
    if ((e.experimentId === undefined) !== (e.variant === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['variant'], message: 'experimentId and variant go together' });
    }
    // An interleaved list credits every entry to a team of its experiment: all entries carry one, or none does.
    const teams = e.items.filter((entry) => entry.team !== undefined).length;
    if (teams > 0 && teams < e.items.length)
      ctx.addIssue({ code: 'custom', path: ['items'], message: 'team is on every entry of an interleaved list or on none' });
    if (teams > 0 && e.experimentId === undefined)
      ctx.addIssue({ code: 'custom', path: ['items'], message: 'team is only for lists of an experiment (experimentId)' });
  });

const name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
const metric = z.enum(EXPERIMENT_METRICS, { error: `must be one of ${EXPERIMENT_METRICS.join(', ')}` });

/**
 * A bound on a variant's blend parts in a record. Which parts exist is the recommender's (each gateway checks
 * the names it serves when an analyst creates the experiment); the record only bounds its size.
 */
export const MAX_BLEND_PARTS_IN_RECORD = 10;

const blendPart = z.object({
  strategy: name,
  weight: z.number().finite('must be a finite number').gt(0, 'must be above 0'),
});

const experimentSpecSchema = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    type: z.enum(EXPERIMENT_TYPES, { error: `must be one of ${EXPERIMENT_TYPES.join(', ')}` }).optional(),
    salt: id,
    traffic: z.number().gt(0, 'must be above 0').max(1, 'must be at most 1'),
    variants: z
      .array(
        z.object({
          name,
          share: z.number().gt(0, 'must be above 0').max(1, 'must be at most 1'),
          strategy: name,
          blend: z
            .array(blendPart)
            .min(1, 'must hold at least 1 part (leave blend out for the default blend)')
            .max(MAX_BLEND_PARTS_IN_RECORD, `must hold at most ${MAX_BLEND_PARTS_IN_RECORD} parts`)
            .optional(),
        }),
      )
      .min(2, 'must hold at least 2 variants (control and a treatment)')
      .max(10, 'must hold at most 10 variants'),
    control: name,
    primaryMetric: metric,
    guardrailMetrics: z.array(metric).max(EXPERIMENT_METRICS.length),
    guardrails: z
      .array(
        z.object({
          metric,
          margin: z.number().gt(0, 'must be above 0').max(1, 'must be at most 1 (a relative degradation)'),
          direction: z.enum(GUARDRAIL_DIRECTIONS, { error: `must be one of ${GUARDRAIL_DIRECTIONS.join(', ')}` }),
        }),
      )
      .max(EXPERIMENT_METRICS.length)
      .optional(),
    minimumDetectableEffect: z.number().finite().gt(0, 'must be above 0'),
    explorationFloor: z.number().gt(0, 'must be above 0').max(0.5, 'must be at most 0.5').optional(),
    banditBySegment: z.boolean().optional(),
    spending: z.enum(SPENDING_FUNCTIONS, { error: `must be one of ${SPENDING_FUNCTIONS.join(', ')}` }).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.type === 'BANDIT') {
      // The floor keeps every arm's propensity above 0 (off-policy estimates divide by it); K arms at the floor take K·floor.
      if (s.explorationFloor === undefined) ctx.addIssue({ code: 'custom', path: ['explorationFloor'], message: 'is required for a BANDIT' });
      else if (s.explorationFloor * s.variants.length > 1 + 1e-9)
        ctx.addIssue({ code: 'custom', path: ['explorationFloor'], message: `must be at most 1/${s.variants.length} with ${s.variants.length} variants` });
      // An arm is what a variant serves: two arms serving the same lists would make "the candidate serves S"
      // ambiguous off-policy. Two weighted blends are one arm when their weights are in proportion (a blend
      // scales each part to its best score for the user, so only the ratios of the weights rank).
      s.variants.forEach((v, i) => {
        const j = s.variants.findIndex((w, k) => k < i && w.strategy === v.strategy && sameBlend(w.blend, v.blend));
        if (j < 0) return;
        if (v.blend === undefined) ctx.addIssue({ code: 'custom', path: ['variants', i, 'strategy'], message: 'appears twice in a BANDIT' });
        else
          ctx.addIssue({
            code: 'custom',
            path: ['variants', i, 'blend'],
            message: `has the weights of variants.${j} (in proportion): the same arm twice in a BANDIT`,
          });
      });
      // Beta posteriors need a yes/no reward per list; revenue is not one.
      if (s.primaryMetric === 'REVENUE_PER_USER')
        ctx.addIssue({
          code: 'custom',
          path: ['primaryMetric'],
          message: 'a BANDIT needs a yes/no reward per list: CTR, CLICKS_PER_USER, ADD_TO_CARTS_PER_USER or CONVERSION',
        });
    } else if (s.explorationFloor !== undefined) ctx.addIssue({ code: 'custom', path: ['explorationFloor'], message: 'goes with type BANDIT only' });
    if (s.spending !== undefined && (s.type ?? 'AB') !== 'AB')
      ctx.addIssue({ code: 'custom', path: ['spending'], message: 'goes with type AB only (the group-sequential test compares fixed splits)' });
    if (s.banditBySegment !== undefined && s.type !== 'BANDIT')
      ctx.addIssue({ code: 'custom', path: ['banditBySegment'], message: 'goes with type BANDIT only' });
    const names = new Set<string>();
    s.variants.forEach((v, i) => {
      if (names.has(v.name)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: 'appears twice' });
      names.add(v.name);
      if (v.blend === undefined) return;
      if (v.strategy !== 'blend')
        ctx.addIssue({ code: 'custom', path: ['variants', i, 'blend'], message: `goes with strategy "blend" only, not "${v.strategy}"` });
      v.blend.forEach((p, j) => {
        if (v.blend!.findIndex((q) => q.strategy === p.strategy) < j)
          ctx.addIssue({ code: 'custom', path: ['variants', i, 'blend', j, 'strategy'], message: 'appears twice in one blend' });
      });
    });
    s.guardrails?.forEach((g, i) => {
      if (!s.guardrailMetrics.includes(g.metric))
        ctx.addIssue({ code: 'custom', path: ['guardrails', i, 'metric'], message: 'must be one of guardrailMetrics' });
      else if (s.guardrails!.findIndex((h) => h.metric === g.metric) < i)
        ctx.addIssue({ code: 'custom', path: ['guardrails', i, 'metric'], message: 'appears twice' });
    });
    if (!names.has(s.control)) ctx.addIssue({ code: 'custom', path: ['control'], message: 'must name one of the variants' });
    const sum = s.variants.reduce((a, v) => a + v.share, 0);
    if (Math.abs(sum - 1) > 1e-9) ctx.addIssue({ code: 'custom', path: ['variants'], message: `shares must sum to 1, got ${sum}` });
    if (s.type === 'INTERLEAVE' && s.variants.length !== 2)
      ctx.addIssue({ code: 'custom', path: ['variants'], message: `an INTERLEAVE experiment merges exactly 2 variants, got ${s.variants.length}` });
  });

const experimentSchema = z
  .object({
    kind: z.literal('experiment'),
    v: version,
    id,
    experimentId: id,
    action: z.enum(['create', 'start', 'stop', 'ship'], { error: 'must be create, start, stop or ship' }),
    spec: experimentSpecSchema.optional(),
    variant: name.optional(),
    by: id.optional(),
    timestamp,
  })
  .superRefine((e, ctx) => {
    if ((e.action === 'create') !== (e.spec !== undefined)) ctx.addIssue({ code: 'custom', path: ['spec'], message: 'goes with create, and only with it' });
    // Written as version 2 (schemaVersionOf), so that a version-1 reader refuses it rather than misread it.
    if (e.v < 2 && e.spec?.variants.some((v) => v.blend !== undefined))
      ctx.addIssue({ code: 'custom', path: ['v'], message: 'must be at least 2 when a variant carries blend weights (a version-1 reader would ignore them)' });
    // Version 3 (schemaVersionOf): a version-2 reader would run one bandit for every segment under this experiment.
    if (e.v < 3 && e.spec?.banditBySegment)
      ctx.addIssue({ code: 'custom', path: ['v'], message: 'must be at least 3 for a bandit by segment (an older reader would pool the segments)' });
    if ((e.action === 'ship') !== (e.variant !== undefined)) ctx.addIssue({ code: 'custom', path: ['variant'], message: 'goes with ship, and only with it' });
  });

export const eventSchema = z.discriminatedUnion('kind', [interactionSchema, itemSchema, impressionSchema, experimentSchema], {
  error: "must be 'interaction', 'item', 'impression' or 'experiment'",
});

/** Whether two blends rank alike: the same parts with weights in the same proportions (both absent: the default blend). */
export function sameBlend(a: readonly BlendPartSpec[] | undefined, b: readonly BlendPartSpec[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  const sum = (parts: readonly BlendPartSpec[]) => parts.reduce((t, p) => t + p.weight, 0);
  const [sa, sb] = [sum(a), sum(b)];
  return a.every((p) => {
    const q = b.find((x) => x.strategy === p.strategy);
    return q !== undefined && Math.abs(p.weight / sa - q.weight / sb) <= 1e-9 * Math.max(p.weight / sa, q.weight / sb);
  });
}

export type ValidationResult = { ok: true; event: FlywheelEvent } | { ok: false; reason: string };

/** Validates one decoded event; never throws. */
export function validateEvent(raw: unknown): ValidationResult {
  const parsed = eventSchema.safeParse(raw);
  if (parsed.success) return { ok: true, event: stripUndefined(parsed.data) as FlywheelEvent };
  return { ok: false, reason: describeIssues(parsed.error.issues) };
}

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export type { ExperimentEvent, ImpressionEvent, InteractionEvent, ItemUpsertEvent };

/**
 * The valid events of a batch of log records, the rest stepped over: for readers after ingestion (the
 * fan-out, the outcomes rebuild), since ingestion is the one that dead-letters what is invalid.
 */
export function validEventsOf(records: readonly { event: unknown }[]): FlywheelEvent[] {
  const events: FlywheelEvent[] = [];
  for (const r of records) {
    const v = validateEvent(r.event);
    if (v.ok) events.push(v.event);
  }
  return events;
}
