import { writeFileSync } from 'node:fs';
import { InputError } from '../import/input-error';
import { DEFAULT_SYNTHETIC_RATINGS, ratingsTsv, syntheticRatings } from '../recommend/synthetic-ratings';

/** `flywheel generate-ratings`: writes the synthetic ratings catalogue (src/recommend/synthetic-ratings.ts) as TSV. */
export interface GenerateFlags {
  out: string;
  users: string;
  items: string;
  ratings: string;
  seed: string;
}

export function runGenerateRatings(flags: GenerateFlags): void {
  const n = (v: string, flag: string, min: number) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) throw new InputError(`${flag} must be an integer of at least ${min}`);
    return x;
  };
  const rows = syntheticRatings({
    users: n(flags.users, '--users', 1),
    items: n(flags.items, '--items', 1),
    ratings: n(flags.ratings, '--ratings', 1),
    seed: n(flags.seed, '--seed', 0),
  });
  writeFileSync(flags.out, ratingsTsv(rows));
  const users = new Set(rows.map((r) => r.user)).size;
  const items = new Set(rows.map((r) => r.item)).size;
  const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);
  process.stderr.write(
    `wrote ${rows.length} ratings by ${users} users of ${items} items, ${day(rows[0]!.timestamp)} to ${day(rows[rows.length - 1]!.timestamp)}, to ${flags.out}\n`,
  );
}

export const GENERATE_DEFAULTS = DEFAULT_SYNTHETIC_RATINGS;
