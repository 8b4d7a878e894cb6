import { createHash } from 'node:crypto';
import type { FlywheelEvent, InteractionType } from '../events/event';
import { EVENT_SCHEMA_VERSION, INTERACTION_TYPES } from '../events/event';

/**
 * Generic CSV / TSV / JSON-lines input with a column mapping, e.g. `--columns user,item,rating,timestamp`.
 * Known column roles: id, user, session, item, type, timestamp, quantity, price, rating, title, category.
 * Unknown names are ignored. Without a `type` column every row is a PURCHASE (the usual shape of
 * implicit-feedback data sets); without an `id` the row's content fingerprint is the event id, so a
 * re-import is a no-op.
 */
export const COLUMN_ROLES = ['id', 'user', 'session', 'item', 'type', 'timestamp', 'quantity', 'price', 'rating', 'title', 'category'] as const;
export type ColumnRole = (typeof COLUMN_ROLES)[number];

export type TabularOutcome = { kind: 'events'; events: FlywheelEvent[] } | { kind: 'dropped'; reason: string };

export function parseColumns(spec: string): string[] {
  const cols = spec.split(',').map((c) => c.trim());
  if (cols.some((c) => c === '')) throw new Error(`--columns: empty column name in "${spec}"`);
  if (!cols.includes('item')) throw new Error('--columns must include an "item" column');
  if (!cols.includes('user') && !cols.includes('session')) throw new Error('--columns must include a "user" or "session" column');
  return cols;
}

/** Numbers below 1e11 are seconds (year 5138 in ms), above are milliseconds; otherwise ISO-8601. */
export function parseTimestamp(raw: string): number | null {
  const s = raw.trim();
  if (s === '') return null;
  if (/^-?\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    return Math.round(n < 1e11 ? n * 1000 : n);
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

export class TabularMapper {
  private readonly knownItems = new Set<string>();
  constructor(private readonly defaultTimestamp = Date.UTC(2020, 0, 1)) {}

  map(record: Record<string, string>, lineNo: number): TabularOutcome {
    const get = (role: ColumnRole): string | undefined => {
      const v = record[role];
      return v === undefined || v.trim() === '' ? undefined : v.trim();
    };
    const itemId = get('item');
    if (!itemId) return { kind: 'dropped', reason: 'missing item' };
    const userId = get('user');
    const sessionId = get('session');
    if (!userId && !sessionId) return { kind: 'dropped', reason: 'missing user and session' };
    const typeRaw = (get('type') ?? 'PURCHASE').toUpperCase();
    if (!(INTERACTION_TYPES as readonly string[]).includes(typeRaw)) return { kind: 'dropped', reason: `unknown type ${JSON.stringify(typeRaw)}` };
    const type = typeRaw as InteractionType;
    const tsRaw = get('timestamp');
    const timestamp = tsRaw === undefined ? this.defaultTimestamp + lineNo : parseTimestamp(tsRaw);
    if (timestamp === null) return { kind: 'dropped', reason: 'unparseable timestamp' };
    const qRaw = get('quantity');
    const quantity = qRaw === undefined ? (type === 'PURCHASE' ? 1 : undefined) : Number(qRaw);
    if (quantity !== undefined && (!Number.isInteger(quantity) || quantity <= 0)) return { kind: 'dropped', reason: 'non-positive or fractional quantity' };
    const pRaw = get('price');
    const price = pRaw === undefined ? undefined : Number(pRaw);
    if (price !== undefined && (!Number.isFinite(price) || price < 0)) return { kind: 'dropped', reason: 'invalid price' };

    const id = get('id') ?? `tab:${createHash('sha1').update(JSON.stringify([userId, sessionId, itemId, type, tsRaw, qRaw, pRaw, get('rating')])).digest('base64url').slice(0, 22)}`;
    const events: FlywheelEvent[] = [];
    const title = get('title');
    if (title && !this.knownItems.has(itemId)) {
      this.knownItems.add(itemId);
      const category = get('category');
      events.push({ kind: 'item', v: EVENT_SCHEMA_VERSION, id: `tab:item:${itemId}`, itemId, title, ...(category ? { category } : {}), ...(price !== undefined ? { price } : {}), timestamp });
    }
    events.push({
      kind: 'interaction', v: EVENT_SCHEMA_VERSION, id, type, ...(userId ? { userId } : {}), ...(sessionId ? { sessionId } : {}), itemId, timestamp,
      ...(type === 'VIEW' || type === 'CLICK' ? {} : quantity !== undefined ? { quantity } : {}),
      ...(price !== undefined ? { price } : {}),
    });
    return { kind: 'events', events };
  }
}
