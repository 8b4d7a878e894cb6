import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ArrayMaxSize } from 'class-validator';
import { GraphQLDateTime } from 'graphql-scalars';
import { Connection } from './connection';

export enum AnomalyKind {
  BOT_ACTIVITY = 'BOT_ACTIVITY',
  TRAFFIC_SPIKE = 'TRAFFIC_SPIKE',
  TRAFFIC_DROP = 'TRAFFIC_DROP',
  QUANTITY_OUTLIER = 'QUANTITY_OUTLIER',
  ORDER_VALUE_OUTLIER = 'ORDER_VALUE_OUTLIER',
  PRICE_ANOMALY = 'PRICE_ANOMALY',
  SAMPLE_RATIO_MISMATCH = 'SAMPLE_RATIO_MISMATCH',
  GUARDRAIL_FAILURE = 'GUARDRAIL_FAILURE',
}
registerEnumType(AnomalyKind, {
  name: 'AnomalyKind',
  description: 'What the streaming detectors noticed.',
  valuesConfig: {
    BOT_ACTIVITY: { description: 'A burst of views/clicks from one user or session; its interactions stop shaping recommendations while flagged.' },
    TRAFFIC_SPIKE: { description: 'Event count per bucket far above the exponentially weighted baseline (overall or per item).' },
    TRAFFIC_DROP: { description: 'Event count per bucket far below the baseline.' },
    QUANTITY_OUTLIER: { description: "Units far from the item's and the customer's usual quantities (median/MAD), or a cancellation of such a line." },
    ORDER_VALUE_OUTLIER: { description: "An order's value far from the customer's (or the shop's) usual orders." },
    PRICE_ANOMALY: { description: "A unit price far from the item's recent prices." },
    SAMPLE_RATIO_MISMATCH: {
      description:
        "A running experiment's users per variant differ from its configured shares (chi-square p < 0.001): assignment or exposure logging is broken and its results are not to be trusted. The entity is the experiment.",
    },
    GUARDRAIL_FAILURE: {
      description:
        "A running A/B experiment's variant is worse than control on a guardrail metric by more than the guardrail's margin (always-valid one-sided test, p < 0.05; at least 100 users an arm). Once per experiment, variant and metric; the entity is the experiment, the evidence names the variant and the metric.",
    },
  },
});

export enum Severity {
  INFO = 'INFO',
  WARNING = 'WARNING',
  CRITICAL = 'CRITICAL',
}
registerEnumType(Severity, { name: 'Severity', description: 'INFO < WARNING < CRITICAL.' });

@ObjectType('Anomaly', { simpleResolvers: true, description: 'An anomaly flagged by the streaming detectors, linked to the user and/or item it concerns.' })
export class AnomalyType {
  @Field(() => ID, { description: 'Deterministic: kind, entity and the triggering event, order or time bucket.' })
  id!: string;

  @Field(() => AnomalyKind)
  kind!: AnomalyKind;

  @Field(() => Severity)
  severity!: Severity;

  @Field({ description: 'user, session, item or global.' })
  entityType!: string;

  @Field(() => ID)
  entityId!: string;

  @Field(() => Float, { description: 'Strength, comparable within one kind (modified z-score, traffic z-score, burst rate / allowed rate).' })
  score!: number;

  @Field(() => GraphQLDateTime, { description: 'Event time of the point that triggered it.' })
  detectedAt!: Date;

  @Field({ description: 'Human readable, with the figures that triggered it.' })
  message!: string;

  @Field()
  acknowledged!: boolean;

  @Field(() => String, { nullable: true, description: 'Evidence as JSON text: event ids, baselines, thresholds.' })
  evidence!: string | null;
}

@InputType('AnomalyFilter', { description: 'Narrows anomalies (all conditions must hold).' })
export class AnomalyFilterInput {
  @Field(() => [AnomalyKind], { nullable: true })
  @ArrayMaxSize(20)
  kinds?: AnomalyKind[];

  @Field(() => Severity, { nullable: true, description: 'Only this severity and above.' })
  minSeverity?: Severity;

  @Field(() => [ID], { nullable: true, description: 'The anomaly entity, or the user / item it is linked to.' })
  @ArrayMaxSize(100)
  entityIds?: string[];

  @Field({ nullable: true })
  acknowledged?: boolean;
}

@ObjectType('AnomalyConnection', { simpleResolvers: true, description: 'Anomalies, newest first, a page at a time.' })
export class AnomalyConnection extends Connection(AnomalyType, 'Anomaly') {}

@ObjectType('AnomalyCount', { simpleResolvers: true, description: 'How many findings of one kind and severity were detected on one UTC day.' })
export class AnomalyCountType {
  @Field(() => String, { description: 'The UTC day, YYYY-MM-DD.' })
  day!: string;

  @Field(() => AnomalyKind)
  kind!: AnomalyKind;

  @Field(() => Severity)
  severity!: Severity;

  @Field(() => Int)
  count!: number;
}
