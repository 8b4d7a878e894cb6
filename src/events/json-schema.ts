import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { eventSchema, SECONDS_BELOW } from './validate';

/**
 * The published message contract (`schema/event.schema.json`): generated from the zod validator that
 * every producer path uses, so the two cannot drift (test/unit/events/event-schema.test.ts fails when the
 * committed file differs from this output; rewrite it with `node dist/src/events/json-schema.js --write`).
 * JSON Schema cannot express every rule (the timestamp's upper bound, which depends on the clock), so
 * those are stated in the descriptions; the gateway's answer (or the dead letter's reason) is the final word.
 */
export function eventJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(eventSchema, { io: 'input', unrepresentable: 'any' }) as { oneOf: Record<string, unknown>[] } & Record<string, unknown>;
  const [interaction, item, impression, experiment] = generated.oneOf as [
    Record<string, unknown>,
    Record<string, unknown>,
    Record<string, unknown>,
    Record<string, unknown>,
  ];
  describeTimestamp(interaction);
  describeTimestamp(item);
  describeTimestamp(impression);
  describeTimestamp(experiment);
  experiment.description =
    "An experiment's lifecycle (create with spec, start, stop, ship with variant), written by gateways on analysts' mutations; every gateway reads them in log order. Variant names unique, control one of them, shares summing to 1. A variant's blend (parts and weights) goes with strategy blend only, names each part once, and needs v 2.";
  impression.description =
    'A list the gateway served (written by gateways, not by shops): the graph does not apply it; clicks, carts and purchases are attributed to it. Items unique per list; experimentId and variant go together.';
  // The cross-field rules of the interaction schema's superRefine.
  interaction.allOf = [
    { anyOf: [{ required: ['userId'] }, { required: ['sessionId'] }], description: 'either userId or sessionId is required' },
    { if: { properties: { type: { const: 'PURCHASE' } } }, then: { required: ['quantity'] }, description: 'quantity is required for PURCHASE' },
    {
      if: { properties: { type: { enum: ['VIEW', 'CLICK'] } } },
      then: { not: { required: ['quantity'] } },
      description: 'quantity is not allowed for VIEW and CLICK',
    },
  ];
  return {
    $schema: generated.$schema,
    $id: 'urn:flywheel:event:v3',
    title: 'Flywheel event (Kafka message value, v1 to v3)',
    description:
      'One JSON object per Kafka message on the events topic: behaviour (interaction), the catalog (item), the lists gateways served (impression) and experiment lifecycles (experiment). Unknown fields are ignored (not refused); `v` is the schema version: this gateway reads 1 to 3 (2 only adds blend weights to experiment variants, 3 a bandit by segment; every other record is written as 1), a later version is dead-lettered by gateways that do not know it. Key each message by userId (else sessionId, else itemId; an impression without a user by anchorItemId, else its id; an experiment record by experiment:<experimentId>) with the murmur2 partitioner (Java default; kcat/librdkafka: -X partitioner=murmur2_random).',
    oneOf: [interaction, item, impression, experiment],
  };
}

function describeTimestamp(branch: Record<string, unknown>): void {
  const props = branch.properties as Record<string, Record<string, unknown>>;
  props.timestamp = {
    ...props.timestamp,
    exclusiveMinimum: 0,
    description: `milliseconds since the epoch (UTC), or seconds when below ${SECONDS_BELOW.toExponential()} (told apart by magnitude); after 1970-01-01 and at most 24 hours in the future`,
  };
}

export const EVENT_SCHEMA_FILE = path.join('schema', 'event.schema.json');

if (require.main === module && process.argv.includes('--write')) {
  writeFileSync(EVENT_SCHEMA_FILE, `${JSON.stringify(eventJsonSchema(), null, 2)}\n`);
  console.log(`wrote ${EVENT_SCHEMA_FILE}`);
}
