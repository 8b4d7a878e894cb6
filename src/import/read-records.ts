import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { InputError } from './input-error';

/**
 * Streams the records of a CSV, TSV or JSON-lines file (optionally gzip-compressed) as string maps keyed
 * by column name. Column names come from the header row, or from `columns` when the file has none; a
 * column named `-` is skipped. Reports progress in bytes of the file on disk.
 *
 * A file that cannot be read as text records at all (not found, corrupt gzip, binary, broken CSV quoting)
 * ends the stream with an InputError naming the file and the line, never a parser's stack trace.
 */
export type FileFormat = 'csv' | 'tsv' | 'jsonl';

export interface ReadOptions {
  format: FileFormat;
  /** Column names for files without a header (or to rename a header's columns); `-` skips a column. */
  columns?: string[];
  header: boolean;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface RecordLine {
  record: Record<string, string>;
  lineNo: number;
}

/** Column name that skips its column (`--columns user,-,item`). */
export const SKIP_COLUMN = '-';

/** Gzip is recognised by its magic bytes, whatever the file name says; the first 8 KB decide "binary". */
function sniff(file: string): { gzip: boolean; binary: boolean } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new InputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    const head = Buffer.alloc(8192);
    const n = readSync(fd, head, 0, head.length, 0);
    const gzip = n >= 2 && head[0] === 0x1f && head[1] === 0x8b;
    return { gzip, binary: !gzip && head.subarray(0, n).includes(0) };
  } finally {
    closeSync(fd);
  }
}

export async function* readRecords(file: string, options: ReadOptions): AsyncGenerator<RecordLine> {
  const { gzip, binary } = sniff(file);
  if (file.endsWith('.gz') && !gzip) throw new InputError(`${file} is named .gz but is not gzip-compressed`);
  if (binary) throw new InputError(`${file} is not a text file (binary content); expected ${options.format.toUpperCase()}, optionally gzip-compressed`);
  const totalBytes = statSync(file).size;
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  let bytesRead = 0;
  raw.on('data', (chunk) => {
    bytesRead += chunk.length;
    options.onProgress?.(bytesRead, totalBytes);
  });
  // One pipeline, so a read or decompression error reaches the consumer (the async iteration below)
  // instead of surfacing as an unhandled 'error' event.
  let streamError: Error | null = null;
  const text = new PassThrough({ highWaterMark: 1 << 20 });
  const onDone = (err: Error | null | undefined) => {
    if (err) streamError = err;
  };
  const input: Readable = gzip ? pipeline(raw, createGunzip(), text, onDone) : pipeline(raw, text, onDone);
  const describe = (err: unknown): InputError => {
    const e = (streamError ?? err) as NodeJS.ErrnoException;
    if (e.code?.startsWith('Z_') || /incorrect header check|unexpected end of file|invalid (block|distance|code)/i.test(e.message)) {
      return new InputError(`${file} is not a valid gzip file (${e.message})`);
    }
    if (e instanceof CsvError)
      return new InputError(`${file}: not valid ${options.format.toUpperCase()} (${e.message.replace(/\s+/g, ' ').slice(0, 200)}); check --format`);
    return new InputError(`cannot read ${file}: ${e.message}`);
  };

  if (options.format === 'jsonl') {
    let lineNo = 0;
    try {
      for await (const line of createInterface({ input, crlfDelay: Infinity })) {
        lineNo++;
        if (line.trim() === '') continue;
        let obj: unknown;
        try {
          obj = JSON.parse(line);
        } catch {
          yield { record: { __error: `line ${lineNo} is not valid JSON` }, lineNo };
          continue;
        }
        const record: Record<string, string> = {};
        if (obj && typeof obj === 'object') for (const [k, v] of Object.entries(obj)) record[k] = v === null || v === undefined ? '' : String(v);
        yield { record, lineNo };
      }
    } catch (err) {
      throw describe(err);
    }
    if (streamError) throw describe(streamError);
    return;
  }

  const names = options.columns?.map((c) => (c === SKIP_COLUMN ? false : c));
  const parser = input.pipe(
    parse({
      delimiter: options.format === 'tsv' ? '\t' : ',',
      columns: options.header ? (names ? () => names : true) : (names ?? false),
      from_line: 1,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
      // TSV files (MovieLens and friends) do not quote; a stray quote must not swallow lines.
      quote: options.format === 'tsv' ? false : '"',
    }),
  );
  input.on('error', (err) => parser.destroy(err));
  let lineNo = options.header ? 1 : 0;
  try {
    for await (const record of parser as AsyncIterable<Record<string, string>>) {
      lineNo++;
      yield { record, lineNo };
    }
  } catch (err) {
    throw describe(err);
  }
  if (streamError) throw describe(streamError);
}
