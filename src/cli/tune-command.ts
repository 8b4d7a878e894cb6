import { InputError } from '../import/input-error';
import { DEFAULT_ALS_OPTIONS, type AlsOptions } from '../recommend/als';
import { AlsStrategy, OnlineAls } from '../recommend/als-online';
import type { Recommender } from '../recommend/recommender';
import { blendGrid, weightsString, type Candidate } from '../recommend/tune';
import { BLEND_PARTS } from '../recommend/strategies';
import { checkFile, resolveColumns } from './input-options';
import { parseDay, tuneOnPast, type EvalFlags } from './eval-command';

/**
 * `flywheel tune`: chooses hyperparameters on a validation period, never on a test period. Train = the
 * file's events before --validation-date, validation = [--validation-date, --validation-end) (default: to the
 * end of the file); events from --validation-end on are not read into the run. Prints the choice as the
 * configuration to serve it with.
 *
 *   default   every blend weighting of local-ease, item-knn, user-knn, als over {0, 0.5, 1} (single
 *             strategies included) -> FLYWHEEL_RECOMMENDER and FLYWHEEL_BLEND
 *   --als     ALS hyperparameters over a grid (--als-grid) -> FLYWHEEL_ALS_*
 */
export interface TuneFlags extends EvalFlags {
  validationDate?: string;
  validationEnd?: string;
  als?: boolean;
  alsGrid?: string;
}

const ALS_KEYS: Record<string, { key: keyof AlsOptions; env: string }> = {
  factors: { key: 'factors', env: 'FLYWHEEL_ALS_FACTORS' },
  regularization: { key: 'regularization', env: 'FLYWHEEL_ALS_REGULARIZATION' },
  alpha: { key: 'alpha', env: 'FLYWHEEL_ALS_ALPHA' },
  confidence: { key: 'confidence', env: 'FLYWHEEL_ALS_CONFIDENCE' },
  iterations: { key: 'iterations', env: 'FLYWHEEL_ALS_ITERATIONS' },
  cgSteps: { key: 'cgSteps', env: 'FLYWHEEL_ALS_CG_STEPS' },
  foldInCgSteps: { key: 'foldInCgSteps', env: 'FLYWHEEL_ALS_FOLD_IN_CG_STEPS' },
  foldInTolerance: { key: 'foldInTolerance', env: 'FLYWHEEL_ALS_FOLD_IN_TOLERANCE' },
  foldInHistory: { key: 'foldInHistory', env: 'FLYWHEEL_ALS_FOLD_IN_HISTORY' },
  halfLifeDays: { key: 'halfLifeDays', env: 'FLYWHEEL_ALS_HALF_LIFE_DAYS' },
};

export const DEFAULT_ALS_GRID = 'factors=64,128;regularization=5,20,80;alpha=2,5,15';

/** "factors=64,128;alpha=2,5" -> every combination, as partial ALS options. */
export function parseAlsGrid(spec: string): Partial<AlsOptions>[] {
  let combos: Partial<AlsOptions>[] = [{}];
  for (const part of spec
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, values] = part.split('=');
    const def = ALS_KEYS[name!.trim()];
    if (!def || !values) throw new InputError(`--als-grid: "${part}" must be NAME=V1,V2 with NAME one of ${Object.keys(ALS_KEYS).join(', ')}`);
    const vs = values
      .split(',')
      .map((v) => v.trim())
      .map((v) => (def.key === 'confidence' ? v : Number(v)));
    if (vs.some((v) => (def.key === 'confidence' ? v !== 'linear' && v !== 'log' : !Number.isFinite(v))))
      throw new InputError(`--als-grid: bad value in "${part}"`);
    combos = combos.flatMap((c) => vs.map((v) => ({ ...c, [def.key]: v })));
  }
  return combos;
}

function alsName(o: Partial<AlsOptions>): string {
  return `als(${Object.entries(o)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')})`;
}

export interface TuneReport {
  train: { before: string; events: number };
  validation: { from: string; to: string; users: number };
  mode: 'blend' | 'als';
  picked: { name: string; validationNdcg: number; env: Record<string, string> };
  ranking: { name: string; ndcg: number; precision: number; recall: number; map: number; coverage: number }[];
  seconds: number;
}

export async function runTune(flags: TuneFlags): Promise<TuneReport> {
  const started = performance.now();
  const k = Number(flags.k ?? 10);
  if (!Number.isInteger(k) || k < 1 || k > 100) throw new InputError('--k must be an integer from 1 to 100');
  resolveColumns(flags);
  if (!flags.input) throw new InputError('tune needs --input FILE (or the file as the first argument)');
  checkFile(flags.input);
  if (!flags.validationDate) throw new InputError('tune needs --validation-date YYYY-MM-DD (train before it, validate from it)');
  const from = parseDay(flags.validationDate, '--validation-date');
  const to = flags.validationEnd ? parseDay(flags.validationEnd, '--validation-end') : Infinity;
  if (!(from < to)) throw new InputError('--validation-end must be after --validation-date');
  const w = { trainEnd: from, testStart: from, testEnd: to };
  let candidates: Candidate[];
  let extra: ((rec: Recommender) => Candidate[]) | undefined;
  const alsEnv = new Map<string, Record<string, string>>();
  if (flags.als) {
    const grid = parseAlsGrid(flags.alsGrid ?? DEFAULT_ALS_GRID);
    candidates = [];
    extra = (rec) => {
      const out: Candidate[] = [];
      for (const o of grid) {
        const name = alsName(o);
        const als = new OnlineAls(rec.index, { ...rec.als.options, ...o, refitMinutes: 0 });
        const snap = als.fitNow();
        process.stderr.write(`[tune] fitted ${name} in ${Math.round(snap?.fitMs ?? 0)} ms\n`);
        rec.addStrategy(new AlsStrategy(als, rec.index, name));
        out.push({ name, weights: { [name]: 1 } });
        const env: Record<string, string> = {};
        for (const [key, v] of Object.entries({ ...DEFAULT_ALS_OPTIONS, ...rec.als.options, ...o })) {
          const def = Object.values(ALS_KEYS).find((d) => d.key === key);
          if (def) env[def.env] = String(v);
        }
        alsEnv.set(name, env);
      }
      return out;
    };
  } else candidates = blendGrid(BLEND_PARTS.filter((p) => p !== 'rp3beta'));
  const result = await tuneOnPast(flags, w, k, candidates, extra);
  const best = result.ranking[0]!;
  const env: Record<string, string> = flags.als
    ? alsEnv.get(best.name)!
    : result.picked.defaultStrategy === 'blend'
      ? { FLYWHEEL_RECOMMENDER: 'blend', FLYWHEEL_BLEND: weightsString(best.weights) }
      : { FLYWHEEL_RECOMMENDER: result.picked.defaultStrategy };
  const day = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString().slice(0, 10) : 'end of file');
  return {
    train: { before: day(from), events: result.trainEvents },
    validation: { from: day(from), to: day(to), users: result.users },
    mode: flags.als ? 'als' : 'blend',
    picked: { name: best.name, validationNdcg: best.metrics.ndcg, env },
    ranking: result.ranking.map((r) => ({ name: r.name, ...r.metrics })),
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

export function printTune(r: TuneReport, json: boolean, top = 15): void {
  if (json) {
    console.log(JSON.stringify(r));
    return;
  }
  console.log(
    `train before ${r.train.before} (${r.train.events} events); validation ${r.validation.from}..${r.validation.to}, ${r.validation.users} users; ${r.ranking.length} candidates (${r.mode}); ${r.seconds} s`,
  );
  console.log('candidate                                                     ndcg     precision  recall   map      coverage');
  for (const c of r.ranking.slice(0, top))
    console.log(
      `${c.name.padEnd(60)}  ${c.ndcg.toFixed(4)}   ${c.precision.toFixed(4)}     ${c.recall.toFixed(4)}   ${c.map.toFixed(4)}   ${c.coverage.toFixed(3)}`,
    );
  console.log(`picked ${r.picked.name} (validation NDCG ${r.picked.validationNdcg.toFixed(4)}); serve it with:`);
  for (const [key, v] of Object.entries(r.picked.env)) console.log(`${key}=${v}`);
}
