import { mulberry32 } from '../util/prng';

/**
 * A deterministic ratings catalogue of another domain than the shop (films rated 1-5 stars), for evaluating
 * the recommender off the retail data it was developed on. Shaped like the public movie-ratings sets
 * (MovieLens 100k: ~1,000 raters, ~1,700 titles, ~100,000 ratings over 7 months, 1997-1998), but generated,
 * so the project can ship and regenerate it under its own licence:
 *
 *  - 18 genres; a title has 1-3 of them, a quality (normal), a popularity (log-normal: a long tail) and a
 *    release time (a tenth of the catalogue is released during the rating period: new titles keep coming).
 *  - A rater likes 2-4 genres (Dirichlet-like weights), rates a log-normal number of titles (20 to several
 *    hundred), starting at a random time and mostly in bursts of days, as raters of such sites do.
 *  - Each rating picks a genre by the rater's taste (10 % at random), then a released title of that genre by
 *    popularity; stars = round(3 + 1.3 affinity + 0.7 quality + noise), clamped to 1..5. So the signal the
 *    recommender can learn is the rater's genre mix and the titles' popularity, and explicit low ratings
 *    mark what the rater did not like (`--min-rating 4` keeps the liked ones).
 *
 * Rows: user, item, rating, timestamp (epoch seconds), ordered by time.
 */
export interface SyntheticRatingsOptions {
  users: number;
  items: number;
  /** Target number of ratings (the result is within a few percent). */
  ratings: number;
  seed: number;
  /** First and last rating time (ms). */
  start: number;
  end: number;
}

export const DEFAULT_SYNTHETIC_RATINGS: SyntheticRatingsOptions = {
  users: 1000,
  items: 1700,
  ratings: 100_000,
  seed: 20_251_203,
  start: Date.UTC(1997, 8, 20),
  end: Date.UTC(1998, 3, 23),
};

export interface RatingRow {
  user: string;
  item: string;
  rating: number;
  timestamp: number;
}

const GENRES = 18;

export function syntheticRatings(opts: Partial<SyntheticRatingsOptions> = {}): RatingRow[] {
  const o = { ...DEFAULT_SYNTHETIC_RATINGS, ...opts };
  const r = mulberry32(o.seed);
  const normal = () => {
    let s = 0;
    for (let t = 0; t < 6; t++) s += r();
    return (s - 3) * Math.SQRT2;
  };
  const span = o.end - o.start;
  // titles
  const genresOf: number[][] = [];
  const quality = new Float64Array(o.items);
  const pop = new Float64Array(o.items);
  const release = new Float64Array(o.items);
  const byGenre: number[][] = Array.from({ length: GENRES }, () => []);
  for (let i = 0; i < o.items; i++) {
    const n = 1 + Math.floor(r() * r() * 3);
    const g = new Set<number>();
    while (g.size < n) g.add(Math.floor(Math.pow(r(), 1.4) * GENRES)); // some genres are bigger
    genresOf.push([...g]);
    for (const x of g) byGenre[x]!.push(i);
    quality[i] = normal();
    pop[i] = Math.exp(1.3 * normal() + 0.4 * quality[i]!);
    release[i] = r() < 0.1 ? o.start + r() * span * 0.9 : -Infinity;
  }
  // raters
  const rows: RatingRow[] = [];
  const activity = Array.from({ length: o.users }, () => Math.exp(normal() * 0.9));
  const totalActivity = activity.reduce((a, b) => a + b, 0);
  for (let u = 0; u < o.users; u++) {
    const liked = 2 + Math.floor(r() * 3);
    const taste = new Float64Array(GENRES);
    for (let t = 0; t < liked; t++) taste[Math.floor(r() * GENRES)]! += -Math.log(1 - r());
    const sum = taste.reduce((a, b) => a + b, 0);
    for (let g = 0; g < GENRES; g++) taste[g] = taste[g]! / sum;
    const n = Math.max(20, Math.round((o.ratings * activity[u]!) / totalActivity));
    const begin = o.start + r() * span * 0.85;
    const seen = new Set<number>();
    // bursts: a few sessions, most ratings in the first
    const sessions = 1 + Math.floor(-Math.log(1 - r()) * 2);
    const times: number[] = [];
    for (let t = 0; t < n; t++) {
      const s = Math.min(sessions - 1, Math.floor(-Math.log(1 - r()) * 0.8));
      const at = begin + (s === 0 ? 0 : r() * (o.end - begin)) + r() * 3 * 86_400_000;
      times.push(Math.min(o.end, at));
    }
    times.sort((a, b) => a - b);
    for (const at of times) {
      let pick = -1;
      for (let attempt = 0; attempt < 20 && pick < 0; attempt++) {
        let g: number;
        if (r() < 0.1) g = Math.floor(r() * GENRES);
        else {
          let x = r();
          g = 0;
          while (g < GENRES - 1 && (x -= taste[g]!) > 0) g++;
        }
        const list = byGenre[g]!;
        if (list.length === 0) continue;
        // popularity-proportional pick among a few random titles of the genre (cheap, long-tailed)
        let best = -1;
        let bestW = -1;
        for (let c = 0; c < 8; c++) {
          const i = list[Math.floor(r() * list.length)]!;
          const w = pop[i]! * -Math.log(1 - r());
          if (w > bestW && release[i]! <= at && !seen.has(i)) {
            best = i;
            bestW = w;
          }
        }
        pick = best;
      }
      if (pick < 0) continue;
      seen.add(pick);
      let affinity = 0;
      for (const g of genresOf[pick]!) affinity = Math.max(affinity, taste[g]!);
      const stars = Math.round(3 + 1.3 * (affinity * 3 - 0.9) + 0.7 * quality[pick]! + normal() * 0.8);
      rows.push({ user: String(u + 1), item: String(pick + 1), rating: Math.max(1, Math.min(5, stars)), timestamp: Math.floor(at / 1000) });
    }
  }
  rows.sort((a, b) => a.timestamp - b.timestamp || Number(a.user) - Number(b.user));
  return rows;
}

/** Tab-separated, no header (as MovieLens' u.data): read with --format tsv --columns user,item,rating,timestamp --no-header. */
export function ratingsTsv(rows: readonly RatingRow[]): string {
  return rows.map((x) => `${x.user}\t${x.item}\t${x.rating}\t${x.timestamp}`).join('\n') + '\n';
}
