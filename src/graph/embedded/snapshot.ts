import { open, readFile, rename, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { InteractionType } from '../../events/event';
import type { SegmentSnapshot } from './segment-store';
import type { AnomalyTableDump } from '../anomaly-table';

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
  edges: [user: number, item: number, counts: number[], weight: number, quantity: number, revenue: number, first: number, last: number, lastType: InteractionType][];
  appliedIds: string[];
  /** Per-user purchase instants (segmentation features) and segment model + IN_SEGMENT. */
  orders?: [user: number, timestamps: number[]][];
  segments?: SegmentSnapshot;
  /** Anomaly findings and bot-excluded actors (absent in snapshots of versions without anomaly detection). */
  anomalies?: AnomalyTableDump;
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
