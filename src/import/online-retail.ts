import { createHash } from 'node:crypto';
import type { FlywheelEvent } from '../events/event';
import { EVENT_SCHEMA_VERSION } from '../events/event';

/**
 * The UCI Online Retail format: `InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country`.
 * Maps each sale line to a PURCHASE event and introduces each stock code to the catalog once. The data
 * is real and dirty; every line that is not a clean purchase is dropped with a named reason, counted,
 * and never guessed at.
 */
export const ONLINE_RETAIL_COLUMNS = ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country'] as const;

/** Postage, fees, manual adjustments and samples: stock codes that are not products. */
export const FEE_PSEUDO_ITEMS = new Set(['POST', 'DOT', 'M', 'm', 'D', 'C2', 'S', 'B', 'BANK CHARGES', 'AMAZONFEE', 'CRUK', 'PADS']);

export type DropReason =
  'cancellation' | 'bad-debt adjustment' | 'non-positive quantity' | 'missing customer' | 'duplicate line' | 'fee pseudo-item' | 'malformed';

export type LineOutcome =
  | { kind: 'events'; events: FlywheelEvent[]; customerId: string; timestamp: number; /** InvoiceNo (C-prefixed for cancellations). */ orderId?: string }
  | { kind: 'dropped'; reason: DropReason; detail?: string };

/** Additive mapping options (the import default drops what is not a clean purchase). */
export interface OnlineRetailMapperOptions {
  /** Map `C` invoices to REMOVE_FROM_CART with quantity = |Quantity| (anomaly replay needs them). */
  keepCancellations?: boolean;
  /** Keep fee pseudo-items (POST, M, AMAZONFEE, ...) instead of dropping them. */
  keepFeeItems?: boolean;
}

export interface OnlineRetailRow {
  InvoiceNo: string;
  StockCode: string;
  Description: string;
  Quantity: string;
  InvoiceDate: string;
  UnitPrice: string;
  CustomerID: string;
  Country: string;
}

/** `17850.0` -> `17850`; empty -> null. */
export function normaliseCustomerId(raw: string): string | null {
  const s = raw.trim();
  if (s === '') return null;
  return /^\d+\.0+$/.test(s) ? s.slice(0, s.indexOf('.')) : s;
}

/** `2011-01-18 10:01:00` (shop local time, taken as UTC so imports are reproducible anywhere). */
export function parseInvoiceDate(raw: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(raw.trim());
  if (m) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0));
  // The original UCI spreadsheet export writes `12/1/2010 8:26` (month/day/year).
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})$/.exec(raw.trim());
  if (us) return Date.UTC(+us[3]!, +us[1]! - 1, +us[2]!, +us[4]!, +us[5]!);
  return null;
}

/**
 * Stateful mapper: remembers line fingerprints (to drop exact duplicates) and which stock codes it
 * has introduced to the catalog.
 */
export class OnlineRetailMapper {
  private readonly seenLines = new Set<string>();
  private readonly knownItems = new Set<string>();

  constructor(private readonly mapOptions: OnlineRetailMapperOptions = {}) {}

  map(row: OnlineRetailRow): LineOutcome {
    const invoice = (row.InvoiceNo ?? '').trim();
    const stock = (row.StockCode ?? '').trim();
    if (!invoice || !stock) return { kind: 'dropped', reason: 'malformed', detail: 'missing InvoiceNo or StockCode' };
    const cancellation = invoice.startsWith('C');
    if (cancellation && !this.mapOptions.keepCancellations) return { kind: 'dropped', reason: 'cancellation' };
    if (invoice.startsWith('A')) return { kind: 'dropped', reason: 'bad-debt adjustment' };
    const quantity = Number(row.Quantity);
    if (!Number.isFinite(quantity) || !Number.isInteger(quantity))
      return { kind: 'dropped', reason: 'malformed', detail: `Quantity ${JSON.stringify(row.Quantity)}` };
    if (cancellation ? quantity >= 0 : quantity <= 0) return { kind: 'dropped', reason: cancellation ? 'cancellation' : 'non-positive quantity' };
    const customer = normaliseCustomerId(row.CustomerID ?? '');
    if (customer === null) return { kind: 'dropped', reason: 'missing customer' };
    if (FEE_PSEUDO_ITEMS.has(stock) && !this.mapOptions.keepFeeItems) return { kind: 'dropped', reason: 'fee pseudo-item' };
    const timestamp = parseInvoiceDate(row.InvoiceDate ?? '');
    if (timestamp === null) return { kind: 'dropped', reason: 'malformed', detail: `InvoiceDate ${JSON.stringify(row.InvoiceDate)}` };
    const price = Number(row.UnitPrice);
    if (!Number.isFinite(price) || price < 0) return { kind: 'dropped', reason: 'malformed', detail: `UnitPrice ${JSON.stringify(row.UnitPrice)}` };

    const fingerprint = createHash('sha1')
      .update([invoice, stock, row.Description, row.Quantity, row.InvoiceDate, row.UnitPrice, row.CustomerID].join('\u0001'))
      .digest('base64url')
      .slice(0, 22);
    if (this.seenLines.has(fingerprint)) return { kind: 'dropped', reason: 'duplicate line' };
    this.seenLines.add(fingerprint);

    const events: FlywheelEvent[] = [];
    if (!this.knownItems.has(stock)) {
      this.knownItems.add(stock);
      const title = (row.Description ?? '').trim() || stock;
      events.push({ kind: 'item', v: EVENT_SCHEMA_VERSION, id: `or:item:${stock}`, itemId: stock, title, price, timestamp });
    }
    events.push({
      kind: 'interaction',
      v: EVENT_SCHEMA_VERSION,
      id: `or:${fingerprint}`,
      type: cancellation ? 'REMOVE_FROM_CART' : 'PURCHASE',
      userId: customer,
      itemId: stock,
      timestamp,
      quantity: Math.abs(quantity),
      price,
    });
    return { kind: 'events', events, customerId: customer, timestamp, orderId: invoice };
  }
}
