import { createReadStream, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import type { Readable } from 'node:stream';

/**
 * Streams the records of a CSV, TSV or JSON-lines file (optionally gzip-compressed, by extension) as
 * string maps keyed by column name. Column names come from the header row, or from `columns` when the
 * file has none. Reports progress in bytes of the file on disk.
 */
export type FileFormat = 'csv' | 'tsv' | 'jsonl';

export interface ReadOptions {
  format: FileFormat;
  /** Column names for files without a header (or to rename a header's columns). */
  columns?: string[];
  header: boolean;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface RecordLine {
  record: Record<string, string>;
  lineNo: number;
}

export async function* readRecords(file: string, options: ReadOptions): AsyncGenerator<RecordLine> {
  const totalBytes = statSync(file).size;
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  let bytesRead = 0;
  raw.on('data', (chunk) => {
    bytesRead += chunk.length;
    options.onProgress?.(bytesRead, totalBytes);
  });
  const input: Readable = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  input.on('error', (err) => raw.destroy(err));

  if (options.format === 'jsonl') {
    let lineNo = 0;
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
    return;
  }

  const parser = input.pipe(
    parse({
      delimiter: options.format === 'tsv' ? '\t' : ',',
      columns: options.header ? (options.columns ? () => options.columns! : true) : options.columns ?? false,
      from_line: 1,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
      // TSV files (MovieLens and friends) do not quote; a stray quote must not swallow lines.
      quote: options.format === 'tsv' ? false : '"',
    }),
  );
  let lineNo = options.header ? 1 : 0;
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    lineNo++;
    yield { record, lineNo };
  }
}
