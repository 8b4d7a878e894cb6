import { actorId, eventActor, type FlywheelEvent, type ImpressionEvent, type InteractionEvent } from '../events/event';
import { idempotencyKey } from '../events/idempotency';

/**
 * Attribution: which served list a click, add-to-cart or purchase came from, and the live outcome totals
 * per strategy and experiment variant that follow from it.
 *
 * The state is derived from the log alone, in log order, so replaying the log rebuilds it exactly (the
 * composition root feeds the stored log in at start; see `src/app/flywheel.ts`). Every input is counted once:
 * an impression by its servedId, an outcome by its idempotency key (the same actor + event id the log and
 * the graph dedupe by), so redelivered batches change nothing. Event time decides windows, never the wall
 * clock, for the same reason.
 *
 * The rule, for a CLICK / ADD_TO_CART / PURCHASE of item I by actor A at time t:
 *   1. with `servedId`: that list, if it showed I, was shown to A (or to nobody known: an anonymous
 *      similar-items list), and t is within the window after it was shown;
 *   2. without: A's latest list that showed I, at or before t and within the window;
 *   3. otherwise the outcome is unattributed (counted as such).
 * Windows: clicks `clickWindowMs` (24 h by default), carts and purchases `conversionWindowMs` (7 days).
 * A servedId that names no known list, or a list that did not show the item, does not fall back to rule 2:
 * the client said which list it was, and guessing another would credit the wrong strategy.
 */
export const ATTRIBUTED_TYPES = ['CLICK', 'ADD_TO_CART', 'PURCHASE'] as const;
export type AttributedType = (typeof ATTRIBUTED_TYPES)[number];

export interface AttributionOptions {
  clickWindowMs: number;
  conversionWindowMs: number;
  /** Width of the time buckets of `buckets()`. */
  bucketMs?: number;
  /** Buckets kept per group (older ones are dropped; totals keep everything). */
  maxBuckets?: number;
  /** Told of every impression and outcome the first time it is counted (the experiments' per-user data). */
  listener?: AttributionListener;
  /**
   * Most served lists held for attribution (default: no limit). Every list is held for the longest window
   * (7 days by default), about 1.05 KB for a 10-item list, so under load the windows alone would outgrow
   * the heap; above this many the oldest goes first (`evictedLists`), and an outcome on it is unattributed.
   */
  maxLists?: number;
}

export interface AttributionListener {
  impression(e: ImpressionEvent, actor: string | undefined): void;
  /** `revenue`: units x price of a purchase whether attributed or not. */
  outcome(actor: string, type: AttributedType, revenue: number, attributed: AttributionRecord | null): void;
}

/** One group of outcomes: a strategy, or a variant of an experiment. */
export interface OutcomeGroup {
  strategy: string;
  experimentId: string | null;
  variant: string | null;
}

export interface OutcomeCounts {
  /** Served lists. */
  impressions: number;
  /** Entries shown (items across lists). */
  itemsShown: number;
  clicks: number;
  addToCarts: number;
  purchases: number;
  /** Units x price of attributed purchases (price 0 when the purchase names none). */
  revenue: number;
}

export interface OutcomeTotals extends OutcomeGroup, OutcomeCounts {
  /** Distinct actors shown a list of this group. */
  users: number;
}

export interface OutcomeBucket extends OutcomeCounts {
  /** Start of the bucket (ms since the epoch, event time). */
  start: number;
}

/** What `attributionOf` says about one outcome. */
export interface AttributionRecord {
  servedId: string;
  type: AttributedType;
  itemId: string;
  position: number;
  strategy: string;
  experimentId: string | null;
  variant: string | null;
  revenue: number;
  timestamp: number;
  /** An interleaved list: the team (variant) that contributed the item, credited with the outcome. */
  team?: string;
  /** A list of a bandit by segment: the segment whose arms drew it (the impression's `segment`). */
  segment?: string;
}

interface Served {
  id: string;
  actor: string | undefined;
  /** Its strategy / experiment / variant's totals (the object, not its key: no string per list). */
  group: Group;
  /**
   * The list's items and their positions, in list order: arrays, not a Map keyed by item, since a list is
   * held for days (a 10-item list held 1,351 B with a Map, 1,095 B with these; a lookup scans one list).
   */
  items: string[];
  positions: number[];
  /** Each item's team, in list order, for an interleaved list only. */
  teams?: string[];
  /** A bandit by segment's list: its segment. */
  segment?: string;
  timestamp: number;
}

interface Group extends OutcomeGroup {
  totals: OutcomeCounts;
  users: Set<string>;
  buckets: Map<number, OutcomeCounts>;
}

const zero = (): OutcomeCounts => ({ impressions: 0, itemsShown: 0, clicks: 0, addToCarts: 0, purchases: 0, revenue: 0 });
const COUNTER: Record<AttributedType, 'clicks' | 'addToCarts' | 'purchases'> = { CLICK: 'clicks', ADD_TO_CART: 'addToCarts', PURCHASE: 'purchases' };

export class Attribution {
  private readonly served = new Map<string, Served>();
  /** actor -> item -> the latest list shown to the actor with the item. */
  private readonly latest = new Map<string, Map<string, Served>>();
  /** Outcomes already looked at (idempotency key -> attribution, or null when unattributed), within the window. */
  private readonly outcomes = new Map<string, { at: number; record: AttributionRecord | null }>();
  private readonly groups = new Map<string, Group>();
  private readonly unattributed: Record<AttributedType, number> = { CLICK: 0, ADD_TO_CART: 0, PURCHASE: 0 };
  /** Latest event time seen: windows and pruning go by it. */
  private watermark = -Infinity;
  private sincePrune = 0;
  private evicted = 0;
  private readonly maxLists: number;
  private readonly horizon: number;
  private readonly bucketMs: number;
  private readonly maxBuckets: number;

  constructor(private readonly options: AttributionOptions) {
    this.horizon = Math.max(options.clickWindowMs, options.conversionWindowMs);
    this.bucketMs = options.bucketMs ?? 3_600_000;
    this.maxBuckets = options.maxBuckets ?? 24 * 90;
    this.maxLists = options.maxLists ?? Infinity;
  }

  /** Takes a batch in log order (already without erased actors' records). Never throws on valid records. */
  observe(events: readonly FlywheelEvent[]): void {
    for (const e of events) {
      if (e.kind === 'impression') this.impression(e);
      else if (e.kind === 'interaction' && (ATTRIBUTED_TYPES as readonly string[]).includes(e.type)) this.outcome(e);
    }
    this.sincePrune += events.length;
    if (this.sincePrune >= 10_000) this.prune();
  }

  /** What an outcome was attributed to (null: looked at, unattributed; undefined: not seen or aged out). */
  attributionOf(e: Pick<InteractionEvent, 'kind' | 'id' | 'userId' | 'sessionId'>): AttributionRecord | null | undefined {
    return this.outcomes.get(idempotencyKey(e as InteractionEvent))?.record;
  }

  totals(): OutcomeTotals[] {
    return [...this.groups.values()].map((g) => ({ strategy: g.strategy, experimentId: g.experimentId, variant: g.variant, ...g.totals, users: g.users.size }));
  }

  /** Time buckets of one group, oldest first, within [from, to). */
  buckets(group: OutcomeGroup, from = -Infinity, to = Infinity): OutcomeBucket[] {
    const g = this.groups.get(groupKey(group));
    if (!g) return [];
    return [...g.buckets.entries()]
      .filter(([start]) => start >= from && start < to)
      .sort((a, b) => a[0] - b[0])
      .map(([start, c]) => ({ start, ...c }));
  }

  unattributedCounts(): Readonly<Record<AttributedType, number>> {
    return this.unattributed;
  }

  /** Lists dropped before their window ended because more than `maxLists` were held. */
  get evictedLists(): number {
    return this.evicted;
  }

  /** Erasure: the actors' lists and their place in the per-user counts go (the totals stay as anonymous counts). */
  forgetActors(actors: readonly string[]): void {
    const gone = new Set(actors);
    for (const a of actors) this.latest.delete(a);
    for (const [id, s] of this.served) if (s.actor !== undefined && gone.has(s.actor)) this.served.delete(id);
    for (const g of this.groups.values()) for (const a of actors) g.users.delete(a);
  }

  private impression(e: ImpressionEvent): void {
    if (this.served.has(e.id)) return;
    if (e.timestamp < this.watermark - this.horizon) {
      // Older than any window: nothing can be attributed to it any more, and its servedId may have been
      // pruned, so counting it could count a redelivery twice. Only a log replayed out of time order gets here.
      return;
    }
    this.advance(e.timestamp);
    const actor = eventActor(e);
    const group = this.group({ strategy: e.strategy, experimentId: e.experimentId ?? null, variant: e.variant ?? null });
    const s: Served = {
      id: e.id,
      actor,
      group,
      items: e.items.map((i) => i.itemId),
      positions: e.items.map((i) => i.position),
      timestamp: e.timestamp,
    };
    if (e.items[0]?.team !== undefined) s.teams = e.items.map((i) => i.team!);
    if (e.segment !== undefined) s.segment = e.segment;
    this.served.set(e.id, s);
    if (this.served.size > this.maxLists) {
      // the Map keeps insertion (log) order: its first list is the oldest, so a replay evicts the same ones
      this.drop(this.served.values().next().value!);
      this.evicted++;
    }
    if (actor !== undefined) {
      let byItem = this.latest.get(actor);
      if (!byItem) this.latest.set(actor, (byItem = new Map()));
      for (const itemId of s.items) {
        const prev = byItem.get(itemId);
        if (!prev || prev.timestamp <= s.timestamp) byItem.set(itemId, s);
      }
      group.users.add(actor);
    }
    this.count(group, e.timestamp, (c) => {
      c.impressions++;
      c.itemsShown += e.items.length;
    });
    this.options.listener?.impression(e, actor);
  }

  private outcome(e: InteractionEvent): void {
    const key = idempotencyKey(e);
    if (this.outcomes.has(key)) return;
    // Older than any window: it cannot be attributed, and its key may have been pruned (see impression()).
    if (e.timestamp < this.watermark - this.horizon) return;
    this.advance(e.timestamp);
    const type = e.type as AttributedType;
    const window = type === 'CLICK' ? this.options.clickWindowMs : this.options.conversionWindowMs;
    const actor = actorId(e);
    const within = (s: Served | undefined) => s !== undefined && s.timestamp <= e.timestamp && e.timestamp - s.timestamp <= window;
    let list: Served | undefined;
    if (e.servedId !== undefined) {
      const named = this.served.get(e.servedId);
      if (named && indexIn(named, e.itemId) >= 0 && (named.actor === undefined || named.actor === actor) && within(named)) list = named;
    } else {
      const latest = this.latest.get(actor)?.get(e.itemId);
      if (within(latest)) list = latest;
    }
    const revenue = type === 'PURCHASE' ? (e.quantity ?? 1) * (e.price ?? 0) : 0;
    if (!list) {
      this.unattributed[type]++;
      this.outcomes.set(key, { at: e.timestamp, record: null });
      this.options.listener?.outcome(actor, type, revenue, null);
      return;
    }
    const group = list.group;
    const record: AttributionRecord = {
      servedId: list.id,
      type,
      itemId: e.itemId,
      position: list.positions[indexIn(list, e.itemId)]!,
      strategy: group.strategy,
      experimentId: group.experimentId,
      variant: group.variant,
      revenue,
      timestamp: e.timestamp,
      ...(list.teams ? { team: list.teams[indexIn(list, e.itemId)]! } : {}),
      ...(list.segment !== undefined ? { segment: list.segment } : {}),
    };
    this.outcomes.set(key, { at: e.timestamp, record });
    this.count(group, e.timestamp, (c) => {
      c[COUNTER[type]]++;
      c.revenue += revenue;
    });
    this.options.listener?.outcome(actor, type, revenue, record);
  }

  private group(g: OutcomeGroup): Group {
    const key = groupKey(g);
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { ...g, totals: zero(), users: new Set(), buckets: new Map() }));
    return group;
  }

  private count(group: Group, at: number, add: (c: OutcomeCounts) => void): void {
    add(group.totals);
    const start = Math.floor(at / this.bucketMs) * this.bucketMs;
    let b = group.buckets.get(start);
    if (!b) {
      group.buckets.set(start, (b = zero()));
      if (group.buckets.size > this.maxBuckets) group.buckets.delete(Math.min(...group.buckets.keys()));
    }
    add(b);
  }

  private advance(t: number): void {
    if (t > this.watermark) this.watermark = t;
  }

  /** Drops lists and outcome keys older than the longest window: nothing can be attributed to them any more. */
  private prune(): void {
    this.sincePrune = 0;
    const before = this.watermark - this.horizon;
    for (const s of this.served.values()) if (s.timestamp < before) this.drop(s);
    for (const [key, o] of this.outcomes) if (o.at < before) this.outcomes.delete(key);
  }

  /** Forgets one list: by its id, and as the actor's latest list for each of its items. */
  private drop(s: Served): void {
    this.served.delete(s.id);
    if (s.actor === undefined) return;
    const byItem = this.latest.get(s.actor);
    if (!byItem) return;
    for (const itemId of s.items) if (byItem.get(itemId) === s) byItem.delete(itemId);
    if (byItem.size === 0) this.latest.delete(s.actor);
  }
}

/** Where the list shows the item (-1: it does not); the last place, as a Map keyed by item kept it. */
function indexIn(s: Served, itemId: string): number {
  return s.items.lastIndexOf(itemId);
}

function groupKey(g: OutcomeGroup): string {
  return JSON.stringify([g.strategy, g.experimentId, g.variant]);
}
