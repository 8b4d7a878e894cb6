import { z } from 'zod';
import { EVENT_SCHEMA_VERSION, INTERACTION_TYPES, type FlywheelEvent, type InteractionEvent, type ItemUpsertEvent } from './event';

/**
 * Validation of everything that enters the event log. Producers differ (GraphQL, importer, Kafka), the
 * rules do not: one function decides, and its reason strings are what clients and the dead-letter store
 * see, so they name the field and the rule.
 */

const MAX_ID = 256;
const id = z.string().trim().min(1, 'must not be empty').max(MAX_ID, `must be at most ${MAX_ID} characters`);
/** Events from before 2000 or more than a day in the future are almost always unit mistakes (s vs ms). */
const MIN_TS = Date.UTC(2000, 0, 1);
const MAX_FUTURE_MS = 24 * 3600 * 1000;

const timestamp = z
  .number()
  .int('must be an integer number of milliseconds')
  .refine((t) => t >= MIN_TS, 'must be on or after 2000-01-01 (milliseconds since the epoch, not seconds)')
  .refine((t) => t <= Date.now() + MAX_FUTURE_MS, 'must not be more than 24 hours in the future');

const version = z.number().int().min(1).max(EVENT_SCHEMA_VERSION, `unsupported schema version (this gateway reads 1..${EVENT_SCHEMA_VERSION})`);

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
    if ((e.type === 'VIEW' || e.type === 'CLICK') && e.quantity !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['quantity'], message: `is not allowed for ${e.type}` });
    }
  });

const itemSchema = z
  .object({
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

export const eventSchema = z.discriminatedUnion('kind', [interactionSchema, itemSchema], {
  error: "must be 'interaction' or 'item'",
});

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

export type { InteractionEvent, ItemUpsertEvent };
