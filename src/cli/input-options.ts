import { existsSync, statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { ImportFormat } from '../import/importer';
import { InputError } from '../import/input-error';
import { COLUMN_ROLES, parseColumns } from '../import/tabular';

/**
 * The input options of every subcommand that reads a file (import, eval, segments, anomalies): one set of
 * names with one meaning, declared and checked here, so a file that imports can also be evaluated,
 * segmented and replayed with the very same flags.
 *
 *   [FILE] | --input FILE   the file (CSV, TSV or JSON lines, optionally gzip-compressed)
 *   --format F              online-retail | csv | tsv | jsonl
 *   --columns LIST          column roles (csv/tsv): id,user,session,item,type,timestamp,quantity,
 *                           price,rating,title,category; `-` skips a column; unknown roles are refused
 *   --no-header             the file has no header row (needs --columns)
 */
export const INPUT_FORMATS = ['online-retail', 'csv', 'tsv', 'jsonl'] as const satisfies readonly ImportFormat[];

export interface InputFlags {
  input?: string;
  format: ImportFormat;
  columns?: string;
  header: boolean;
}

/** A checked input: the file exists, the mapping names only known roles. */
export interface InputSpec {
  file: string;
  format: ImportFormat;
  columns?: string[];
  header: boolean;
}

/** Adds --format, --columns and --no-header (and --input unless `input: false`). */
export function addInputOptions(cmd: Command, defaultFormat: ImportFormat, { input = true }: { input?: boolean } = {}): Command {
  if (input) cmd.option('--input <file>', 'input file: CSV, TSV or JSON lines, optionally .gz (or give it as the first argument)');
  return cmd
    .addOption(new Option('--format <format>', 'input format').choices(INPUT_FORMATS).default(defaultFormat))
    .option('--columns <list>', `comma-separated column roles, in file order (${COLUMN_ROLES.join(',')}; - skips a column)`)
    .option('--no-header', 'the file has no header row (give --columns)');
}

/** Checks the column mapping against the format (no file involved). */
export function resolveColumns(flags: Omit<InputFlags, 'input'>): string[] | undefined {
  if (flags.format === 'online-retail') {
    if (flags.columns) throw new InputError('--columns does not apply to --format online-retail (its columns are fixed); use --format csv with --columns');
    if (!flags.header) throw new InputError('--no-header does not apply to --format online-retail (the file has its header row)');
    return undefined;
  }
  if (flags.format === 'jsonl' && flags.columns)
    throw new InputError('--columns does not apply to --format jsonl (each line names its fields: user, item, timestamp, ...)');
  const columns = flags.columns ? parseColumns(flags.columns) : undefined;
  if (!flags.header && !columns && flags.format !== 'jsonl') throw new InputError('--no-header needs --columns');
  return columns;
}

/** Checks one readable file. */
export function checkFile(file: string, flag = 'input'): string {
  if (!existsSync(file)) throw new InputError(`no such file: ${file}`);
  if (!statSync(file).isFile()) throw new InputError(`${flag} ${file} is not a file`);
  return file;
}

/** The file (positional argument or --input, not two different ones) and its mapping, checked. */
export function resolveInput(flags: InputFlags, positional?: string): InputSpec {
  if (positional !== undefined && flags.input !== undefined && positional !== flags.input) {
    throw new InputError(`two input files given (${positional} and --input ${flags.input}): give one`);
  }
  const file = positional ?? flags.input;
  if (file === undefined) throw new InputError('no input file: give it as the first argument or with --input FILE');
  const columns = resolveColumns(flags);
  return { file: checkFile(file), format: flags.format, ...(columns ? { columns } : {}), header: flags.header };
}
