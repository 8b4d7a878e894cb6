import { open, readFile, rename, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { INTERACTION_TYPES, type InteractionType } from '../../events/event';
import { emptyCounts, type TypeCounts } from '../stores/graph-reads';
import type { SegmentSnapshot } from './segment-store';
import type { AnomalyTableDump } from '../anomaly-table';
import type { GraphState } from './graph-state';

/**
 * Snapshot file of the embedded graph. Written to a temporary file, fsynced, then renamed over the
 * old one, so a crash mid-write leaves the previous snapshot intact. V8's structured-clone
 * serialisation is native and fast for these plain arrays.
 */
export interface GraphSnapshot {
  format: 1;
  /** Last log offset whose effect is included. */
  position: number;
  eventsApplied: number;
  items: [id: string, title: string | null, category: string | null, price: number | null, attributes: Record<string, string>][];
  users: [id: string, anonymous: boolean, first: number, last: number, events: number][];
  edges: [
    user: number,
    item: number,
    counts: number[],
    weight: number,
    quantity: number,
    revenue: number,
    first: number,
    last: number,
    lastType: InteractionType,
  ][];
  /** Applied event ids: the current generation (all of them in snapshots written before generations). */
  appliedIds: string[];
  /** The previous generation and when the current one started (applied-ids.ts; absent in older snapshots). */
  appliedIdsPrevious?: string[];
  appliedIdsSince?: number;
  /** Per-user purchase instants (segmentation features) and segment model + IN_SEGMENT. */
  orders?: [user: number, timestamps: number[]][];
  segments?: SegmentSnapshot;
  /** Anomaly findings and bot-excluded actors (absent in snapshots of versions without anomaly detection). */
  anomalies?: AnomalyTableDump;
  /** The erasure list: actor id -> erasure time (absent when empty). */
  erased?: [actor: string, at: number][];
}

export async function writeSnapshot(file: string, snapshot: GraphSnapshot): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(serialize(snapshot));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}

export async function readSnapshot(file: string): Promise<GraphSnapshot | null> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const snap = deserialize(buf) as GraphSnapshot;
  if (snap.format !== 1) throw new Error(`unsupported graph snapshot format ${String(snap.format)} in ${file}`);
  return snap;
}

/** The graph state as a snapshot (plain arrays; edges refer to user / item indexes). */
export function dumpGraph(state: GraphState): GraphSnapshot {
  return {
    format: 1,
    position: state.position,
    eventsApplied: state.eventsApplied,
    items: state.items.map((r) => [r.id, r.title, r.category, r.price, r.attributes]),
    users: state.users.map((u) => [u.id, u.anonymous, u.first, u.last, u.events]),
    edges: state.users.flatMap((u) =>
      [...u.edges.values()].map(
        (e) =>
          [e.user, e.item, countsToArray(e.counts), e.weight, e.quantity, e.revenue, e.firstSeenAt, e.lastSeenAt, e.lastType] as GraphSnapshot['edges'][number],
      ),
    ),
    ...appliedIdsOf(state),
    orders: state.users.flatMap((u, i) => (u.orders ? [[i, u.orders] as [number, number[]]] : [])),
    segments: state.segments.dump(state.users.length),
    anomalies: { ...state.anomalyTable.dump(), excludedActors: [...state.excluded].map((u) => state.users[u]!.id) },
    ...(state.erased.size > 0 ? { erased: [...state.erased] } : {}),
  } as GraphSnapshot;
}

/** Loads a snapshot into an empty graph state (a fresh one, or one just `reset`). */
export function loadGraph(state: GraphState, s: GraphSnapshot): void {
  for (const [actor, at] of s.erased ?? []) state.erased.set(actor, at);
  for (const [id, title, category, price, attributes] of s.items) {
    state.upsertItem({
      kind: 'item',
      v: 1,
      id: '',
      itemId: id,
      title: title ?? id,
      category: category ?? undefined,
      price: price ?? undefined,
      attributes,
      timestamp: 0,
    });
    if (title === null) state.items[state.itemIndex.get(id)!]!.title = null;
  }
  for (const [id, anonymous, first, last, events] of s.users) {
    const u = state.users[state.internUser(id, anonymous)]!;
    u.first = first;
    u.last = last;
    u.events = events;
  }
  for (const actor of s.anomalies?.excludedActors ?? []) state.excluded.add(state.internUser(actor, actor.startsWith('session:')));
  if (s.anomalies) state.anomalyTable.load(s.anomalies);
  for (const [u, i, counts, weight, quantity, revenue, firstSeenAt, lastSeenAt, lastType] of s.edges) {
    state.addEdge(u, i, { counts: arrayToCounts(counts), weight, quantity, revenue, firstSeenAt, lastSeenAt, lastType });
    if (weight > 0) {
      state.users[u]!.positive.push(i);
      if (!state.excluded.has(u)) state.items[i]!.positive.push(u);
    }
  }
  state.appliedIds.load(s.appliedIds, s.appliedIdsPrevious, s.appliedIdsSince);
  for (const [u, orders] of s.orders ?? []) state.users[u]!.orders = orders;
  state.segments.load(s.segments, state.users.length);
  state.eventsApplied = s.eventsApplied;
  state.position = s.position;
}

function appliedIdsOf(state: GraphState): Pick<GraphSnapshot, 'appliedIds' | 'appliedIdsPrevious' | 'appliedIdsSince'> {
  const d = state.appliedIds.dump();
  return { appliedIds: d.current, appliedIdsPrevious: d.previous, appliedIdsSince: d.since };
}

function countsToArray(c: TypeCounts): number[] {
  return INTERACTION_TYPES.map((t) => c[t]);
}

function arrayToCounts(a: number[]): TypeCounts {
  const c = emptyCounts();
  INTERACTION_TYPES.forEach((t, i) => (c[t] = a[i] ?? 0));
  return c;
}
