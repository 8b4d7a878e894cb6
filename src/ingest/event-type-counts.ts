import type { FlywheelEvent } from '../events/event';

const DAY_MS = 86_400_000;

/** Events of one type on one UTC day. */
export interface EventTypeDayCount {
  /** Start of the UTC day (ms) of the events' own timestamps. */
  day: number;
  /** VIEW, CLICK, ADD_TO_CART, REMOVE_FROM_CART, PURCHASE, CATALOG for item upserts, or SERVED_LIST for impressions. */
  type: string;
  count: number;
}

/**
 * Applied events counted by type and UTC day of their timestamp, in memory, for data-quality dashboards
 * (which types arrive, and when). Fed by the event pipeline with every applied batch since this process
 * started, the log tail replayed at start included (what a graph snapshot already covered is not counted
 * again). Bounded: the newest `maxDays` days with events are kept.
 */
export class EventTypeCounts {
  private readonly byDay = new Map<number, Map<string, number>>();

  constructor(private readonly maxDays = 800) {}

  add(events: readonly FlywheelEvent[]): void {
    for (const e of events) {
      const day = Math.floor(e.timestamp / DAY_MS) * DAY_MS;
      // experiment records are configuration, not traffic: not counted
      const type = e.kind === 'interaction' ? e.type : e.kind === 'item' ? 'CATALOG' : e.kind === 'impression' ? 'SERVED_LIST' : null;
      if (type === null) continue;
      let counts = this.byDay.get(day);
      if (!counts) {
        this.byDay.set(day, (counts = new Map()));
        if (this.byDay.size > this.maxDays) this.byDay.delete(Math.min(...this.byDay.keys()));
      }
      counts.set(type, (counts.get(type) ?? 0) + 1);
    }
  }

  /** Counts from `since` (ms) on, oldest day first, types by name within a day. */
  list(since: number): EventTypeDayCount[] {
    const out: EventTypeDayCount[] = [];
    for (const [day, counts] of this.byDay) {
      if (day + DAY_MS <= since) continue;
      for (const [type, count] of counts) out.push({ day, type, count });
    }
    return out.sort((a, b) => a.day - b.day || a.type.localeCompare(b.type));
  }
}
