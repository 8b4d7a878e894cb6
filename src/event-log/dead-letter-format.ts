import type { DeadLetter } from './event-log';

/**
 * The one shape a dead letter is stored in, by every log (LMDB entry, Kafka dead-letter record value).
 * A dead letter must always be storable: the input that caused it can be anything up to the largest
 * request or Kafka message, and a dead letter the store refuses (Kafka's `message.max.bytes`, 1 MB by
 * default) used to be retried forever and stall its partition. So the raw input is kept up to
 * `DEAD_LETTER_RAW_BYTES` of its JSON text; beyond that a prefix is kept, marked, with the full size.
 */
export const DEAD_LETTER_RAW_BYTES = 4096;
const MAX_REASON_CHARS = 1000;
const MAX_SOURCE_CHARS = 300;

export interface BoundedDeadLetter extends DeadLetter {
  /** True when `raw` is a prefix of the input's JSON text (the input was larger than the cap). */
  truncated?: boolean;
  /** Size of the input's JSON text (or bytes, for undecodable Kafka messages) in bytes, when truncated. */
  rawBytes?: number;
}

/** Caps the raw input (JSON text up to `rawCap` bytes), the reason and the source of one dead letter. */
export function boundDeadLetter(entry: DeadLetter & { rawBytes?: number }, rawCap = DEAD_LETTER_RAW_BYTES): BoundedDeadLetter {
  const out: BoundedDeadLetter = { source: cut(entry.source, MAX_SOURCE_CHARS), reason: cut(entry.reason, MAX_REASON_CHARS), raw: null };
  if (typeof entry.raw === 'string') {
    // Undecodable input (not JSON) is kept as text; `rawBytes` gives the original size when the caller
    // passed a prefix only.
    const bytes = entry.rawBytes ?? Buffer.byteLength(entry.raw, 'utf8');
    if (bytes <= rawCap) return { ...out, raw: entry.raw };
    return { ...out, raw: utf8Prefix(entry.raw, rawCap), truncated: true, rawBytes: bytes };
  }
  const text = jsonText(entry.raw);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= rawCap) return { ...out, raw: JSON.parse(text) as unknown };
  return { ...out, raw: utf8Prefix(text, rawCap), truncated: true, rawBytes: bytes };
}

/** JSON text of anything (functions, cycles and bigints become a string), 'null' for undefined. */
function jsonText(raw: unknown): string {
  try {
    return JSON.stringify(raw) ?? 'null';
  } catch {
    return JSON.stringify(String(raw));
  }
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** The longest prefix of `s` whose UTF-8 encoding fits in `maxBytes` (never splits a character). */
function utf8Prefix(s: string, maxBytes: number): string {
  const buf = Buffer.from(s.slice(0, maxBytes), 'utf8');
  if (buf.length <= maxBytes) return buf.toString('utf8');
  let end = maxBytes;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}
