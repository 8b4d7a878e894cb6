import { createHash } from 'node:crypto';
import type { FlywheelEvent, InteractionType } from '../events/event';
import { EVENT_SCHEMA_VERSION, INTERACTION_TYPES } from '../events/event';
import { epochToMillis } from '../events/validate';
import { InputError } from './input-error';
import { SKIP_COLUMN } from './read-records';

/**
 * Generic CSV / TSV / JSON-lines input with a column mapping, e.g. `--columns user,item,rating,timestamp`.
 * Column roles: id, user, session, item, type, timestamp, quantity, price, rating, title, category; `-`
 * skips a column. An unknown role in `--columns` is refused (a typo would silently drop the column); in a
 * header row, columns without a role are ignored. Without a `type` column every row is a PURCHASE (the
 * usual shape of implicit-feedback data sets); without an `id` the row's content fingerprint is the event
 * id, so a re-import is a no-op.
 */
export const COLUMN_ROLES = ['id', 'user', 'session', 'item', 'type', 'timestamp', 'quantity', 'price', 'rating', 'title', 'category'] as const;
export type ColumnRole = (typeof COLUMN_ROLES)[number];

export type TabularOutcome = { kind: 'events'; events: FlywheelEvent[] } | { kind: 'dropped'; reason: string };

export function parseColumns(spec: string): string[] {
  const cols = spec.split(',').map((c) => c.trim());
  const allowed = `allowed: ${COLUMN_ROLES.join(', ')}, or ${SKIP_COLUMN} to skip a column`;
  if (cols.some((c) => c === '')) throw new InputError(`--columns: empty column name in "${spec}" (${allowed})`);
  const unknown = cols.filter((c) => c !== SKIP_COLUMN && !(COLUMN_ROLES as readonly string[]).includes(c));
  if (unknown.length > 0)
    throw new InputError(`--columns: unknown column role${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => JSON.stringify(c)).join(', ')} (${allowed})`);
  const twice = cols.filter((c, i) => c !== SKIP_COLUMN && cols.indexOf(c) !== i);
  if (twice.length > 0) throw new InputError(`--columns: column role ${JSON.stringify(twice[0])} given twice`);
  if (!cols.includes('item')) throw new InputError('--columns must include an "item" column');
  if (!cols.includes('user') && !cols.includes('session')) throw new InputError('--columns must include a "user" or "session" column');
  return cols;
}

/** Epoch numbers follow the event contract's rule (src/events/validate.ts: below 1e11 = seconds); otherwise ISO-8601. */
export function parseTimestamp(raw: string): number | null {
  const s = raw.trim();
  if (s === '') return null;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Math.round(epochToMillis(Number(s)));
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

    const id =
      get('id') ??
      `tab:${createHash('sha1')
        .update(JSON.stringify([userId, sessionId, itemId, type, tsRaw, qRaw, pRaw, get('rating')]))
        .digest('base64url')
        .slice(0, 22)}`;
    const events: FlywheelEvent[] = [];
    const title = get('title');
    const category = get('category');
    // The first line of an item that names a title or a category describes it in the catalog. Without a
    // title column the id stands in as the title (what the graph shows for untitled items anyway), so a
    // category column is kept: content similarity and category filters need it.
    if ((title || category) && !this.knownItems.has(itemId)) {
      this.knownItems.add(itemId);
      events.push({
        kind: 'item',
        v: EVENT_SCHEMA_VERSION,
        id: `tab:item:${itemId}`,
        itemId,
        title: title ?? itemId,
        ...(category ? { category } : {}),
        ...(price !== undefined ? { price } : {}),
        timestamp,
      });
    }
    events.push({
      kind: 'interaction',
      v: EVENT_SCHEMA_VERSION,
      id,
      type,
      ...(userId ? { userId } : {}),
      ...(sessionId ? { sessionId } : {}),
      itemId,
      timestamp,
      ...(type === 'VIEW' || type === 'CLICK' ? {} : quantity !== undefined ? { quantity } : {}),
      ...(price !== undefined ? { price } : {}),
    });
    return { kind: 'events', events };
  }
}
