import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { EVENT_SCHEMA_VERSION, type ImpressionEvent, type ServedEntry, type ServedSurface } from '../events/event';
import { validateEvent } from '../events/validate';
import type { EventLog } from '../event-log/event-log';
import type { Metrics } from '../observability/metrics';

/** A list as served: its id and the entries in order, with how it was chosen. */
export interface ServedList {
  servedId: string;
  surface: ServedSurface;
  strategy: string;
  experimentId?: string;
  variant?: string;
  entries: ServedEntry[];
  /** False when nothing was logged: an empty list, or the log refused it (the list is still served; see `record`). */
  recorded: boolean;
}

export interface ServeInput {
  surface: ServedSurface;
  /** The graph actor the list is for (a userId, or "session:<id>"), when known. */
  actor?: string;
  strategy: string;
  experiment?: { id: string; variant: string };
  anchorItemId?: string;
  itemIds: readonly string[];
  /** Per entry, where the policy is randomised; 1 for every entry otherwise. */
  propensities?: readonly number[];
}

/**
 * Records every served list as an impression in the event log. The append is awaited before the list is
 * answered, so an impression is in the log before its servedId leaves the gateway: a click that carries
 * it is appended later, and the attribution (which reads the log in order; one user's records share a
 * Kafka partition) always sees the list first. lmdb-js coalesces concurrent appends into one commit.
 *
 * A log that refuses the append does not fail the request: serving matters more than measuring it. The
 * miss is counted (`flywheel_impressions_unrecorded_total`) and logged; clicks carrying that servedId then
 * find no list and stay unattributed.
 */
export class ImpressionRecorder {
  constructor(
    private readonly log: EventLog,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async record(input: ServeInput): Promise<ServedList> {
    const entries: ServedEntry[] = input.itemIds.map((itemId, i) => ({ itemId, position: i + 1, propensity: input.propensities?.[i] ?? 1 }));
    const list: ServedList = {
      servedId: randomUUID(),
      surface: input.surface,
      strategy: input.strategy,
      ...(input.experiment ? { experimentId: input.experiment.id, variant: input.experiment.variant } : {}),
      entries,
      recorded: false,
    };
    const event: ImpressionEvent = {
      kind: 'impression',
      v: EVENT_SCHEMA_VERSION,
      id: list.servedId,
      ...actorFields(input.actor),
      surface: input.surface,
      strategy: input.strategy,
      ...(input.experiment ? { experimentId: input.experiment.id, variant: input.experiment.variant } : {}),
      ...(input.anchorItemId !== undefined ? { anchorItemId: input.anchorItemId } : {}),
      items: entries,
      timestamp: this.now(),
    };
    // An empty answer showed nothing: there is nothing to attribute to it, so nothing is logged.
    if (entries.length === 0) return list;
    // The same rules as every record that enters the log (ids too long for the log are refused here, say).
    const valid = validateEvent(event);
    if (!valid.ok) return this.unrecorded(list, `invalid impression: ${valid.reason}`);
    try {
      await this.log.append([valid.event]);
    } catch (err) {
      return this.unrecorded(list, (err as Error).message);
    }
    this.metrics.impressionsRecorded.inc({ surface: list.surface, strategy: list.strategy });
    list.recorded = true;
    return list;
  }

  private unrecorded(list: ServedList, reason: string): ServedList {
    this.metrics.impressionsUnrecorded.inc({ surface: list.surface });
    this.logger.warn({ servedId: list.servedId, surface: list.surface, reason }, 'impression not recorded; the list is served without it');
    return list;
  }
}

/** "session:<id>" is how the graph names an anonymous session (actorId); the record carries it as sessionId. */
export function actorFields(actor: string | undefined): { userId?: string; sessionId?: string } {
  if (actor === undefined) return {};
  return actor.startsWith('session:') ? { sessionId: actor.slice('session:'.length) } : { userId: actor };
}
