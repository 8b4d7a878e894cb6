import { schemaVersionOf, type ExperimentEvent, type FlywheelEvent } from '../../../src/events/event';
import { Attribution } from '../../../src/outcomes/attribution';
import { ExperimentBook } from '../../../src/outcomes/experiments';

/**
 * An ExperimentBook wired to an Attribution as src/outcomes/service.ts wires them, fed in log order:
 * experiment records go to the book, everything else through attribution (which tells the book).
 */
export function wiredBook(hooks: ConstructorParameters<typeof ExperimentBook>[0] = {}, conversionWindowMs = 7 * 86_400_000) {
  const book = new ExperimentBook(hooks);
  const attribution = new Attribution({
    clickWindowMs: 86_400_000,
    conversionWindowMs,
    listener: { impression: (e, a) => book.onImpression(e, a), outcome: (a, t, r, at) => book.onOutcome(a, t, r, at) },
  });
  const feed = (events: FlywheelEvent[]) => {
    for (const e of events) {
      if (e.kind === 'experiment') book.apply(e);
      else attribution.observe([e]);
    }
  };
  return { book, attribution, feed };
}

let records = 0;
/** An experiment record as a gateway writes it (the version its spec needs), with a fresh id and time. */
export function experimentRecord(experimentId: string, action: ExperimentEvent['action'], extra: Partial<ExperimentEvent> = {}): ExperimentEvent {
  records++;
  return {
    kind: 'experiment',
    v: schemaVersionOf(extra),
    id: `record-${records}`,
    experimentId,
    action,
    timestamp: Date.UTC(2026, 0, 1) + records,
    ...extra,
  };
}
