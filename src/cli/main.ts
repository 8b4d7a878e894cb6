import 'reflect-metadata';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type FlywheelConfig } from '../config/config';
import { createLogger } from '../observability/logger';
import { runGateway } from './run-gateway';
import { runImport } from './import-command';
import { runSegments, type SegmentsFlags } from './segments-command';
import { printEval, runEval } from './eval-command';
import { DEFAULT_ALS_GRID, printTune, runTune } from './tune-command';
import { GENERATE_DEFAULTS, runGenerateRatings } from './generate-command';
import { runAnomalies, type AnomaliesFlags } from './anomalies-command';
import { printSimulate, runSimulate, type SimulateFlags } from './simulate-command';
import { printEvaluatePolicy, runEvaluatePolicy, type EvaluatePolicyFlags } from './evaluate-policy-command';
import { addInputOptions } from './input-options';
import { runExportAls } from './export-als-command';
import { AlsModelError } from '../recommend/als-model';
import { CliFailure } from './cli-error';
import { InputError } from '../import/input-error';
import { DataDirLockedError } from '../util/data-dir-lock';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `flywheel` command line. Every command reads the same configuration (environment variables, see
 * README), and flags override them.
 */
const program = new Command()
  .name('flywheel')
  .description('Flywheel: a GraphQL gateway that turns e-commerce events into a live user-item graph, recommendations, segments and alerts.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError();

function packageVersion(): string {
  // dist/src/cli/main.js -> package.json at the root of the package.
  return (JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string }).version;
}

const dataDirOption = () => new Option('--data-dir <dir>', 'where the event log and graph snapshot live (env FLYWHEEL_DATA_DIR, default ./data)');
const portOption = () => new Option('--port <n>', 'HTTP port (env PORT, default 4000)');

function config(flags: { dataDir?: string; port?: string; simulator?: boolean }, extra: Record<string, string | boolean | undefined> = {}): FlywheelConfig {
  return loadConfig(process.env, { FLYWHEEL_DATA_DIR: flags.dataDir, PORT: flags.port, FLYWHEEL_SIMULATOR: flags.simulator, ...extra });
}

program
  .command('serve')
  .description('serve GraphQL (HTTP + WebSocket subscriptions) and GraphiQL')
  .addOption(dataDirOption())
  .addOption(portOption())
  .option('--simulator', 'generate live demo events (env FLYWHEEL_SIMULATOR=on)')
  .action(async (flags) => {
    const cfg = config(flags);
    await runGateway(cfg, createLogger(cfg.LOG_LEVEL, 'flywheel', cfg.FLYWHEEL_LOG_FORMAT), { demo: false });
  });

program
  .command('demo')
  .description('serve with the built-in demo shop and live event simulator (what `npm start` runs)')
  .addOption(dataDirOption())
  .addOption(portOption())
  .option('--no-simulator', 'do not generate live events')
  .action(async (flags: { dataDir?: string; port?: string; simulator: boolean }) => {
    const cfg = config(
      { ...flags, dataDir: flags.dataDir ?? process.env.FLYWHEEL_DATA_DIR ?? './data/demo' },
      { FLYWHEEL_SIMULATOR: flags.simulator ? 'on' : 'off' },
    );
    await runGateway(cfg, createLogger(cfg.LOG_LEVEL, 'flywheel', cfg.FLYWHEEL_LOG_FORMAT), { demo: true });
  });

// Every subcommand that reads a file takes the same input options (src/cli/input-options.ts): the file as
// the first argument or --input, --format, --columns, --no-header.
addInputOptions(
  program
    .command('import')
    .description('import events from a file into the data dir (the gateway must not be running on it)')
    .argument('[file]', 'CSV, TSV or JSON-lines file, optionally .gz'),
  'csv',
)
  .addOption(dataDirOption())
  .option('--json', 'print the report as JSON')
  .action(async (file: string | undefined, flags) => {
    const cfg = config(flags, { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
    await runImport(cfg, file, flags);
  });

addInputOptions(
  program
    .command('anomalies')
    .description('replay the anomaly detectors over a file and print what they flag (counts by kind and severity, findings)')
    .argument('[file]', 'CSV, TSV or JSON-lines file, optionally .gz'),
  'online-retail',
)
  .option('--no-fees', 'online-retail: drop fee pseudo-items (POST, M, AMAZONFEE, ...) as import does')
  .option('--top <n>', 'top findings shown per kind', '10')
  .option('--max-findings <n>', 'findings listed in the JSON report', '10000')
  .option('--config <json>', 'detector settings (src/anomaly/config.ts), e.g. \'{"price":{"minRatio":10}}\'')
  .option('--json', 'print the report as JSON')
  .action(async (file: string | undefined, flags: AnomaliesFlags) => {
    await runAnomalies(flags, file);
  });

addInputOptions(
  program
    .command('eval')
    .description('offline top-k evaluation of every recommendation strategy, through the ingestion and serving path')
    .option('--split-date <YYYY-MM-DD>', 'with --input: train before this date, test from it')
    .option('--test-end <YYYY-MM-DD>', 'test only before this date (default: to the end of the file)')
    .option('--train <file>', 'train file (with --test)')
    .option('--test <file>', 'test file (with --train)'),
  'csv',
)
  .option('--k <n>', 'list length', '10')
  .option('--strategies <list>', 'comma-separated strategies (default: all)')
  .option('--min-rating <r>', 'rating files: only rows rated at least this are positives (the rest are dropped)')
  .option('--tune', 'pick the served strategy/blend on a validation period carved from the end of train, then evaluate it')
  .option('--validation-date <YYYY-MM-DD>', 'with --tune: validation from this day to --split-date (default: one month before it)')
  .option(
    '--live-model [batch]',
    'evaluate the item model as a serving gateway holds it after the train part streamed in (batches of this many events, default 500, each re-solving what it touched), not one solved whole',
  )
  .option('--json', 'print one JSON object')
  .action(async (flags) => printEval(await runEval(flags), flags.json === true));

program
  .command('generate-ratings')
  .description('write the synthetic film-ratings catalogue (another domain than the shop, for eval) as TSV: user, item, rating, timestamp')
  .requiredOption('--out <file>', 'output file')
  .option('--users <n>', 'raters', String(GENERATE_DEFAULTS.users))
  .option('--items <n>', 'titles', String(GENERATE_DEFAULTS.items))
  .option('--ratings <n>', 'ratings (about)', String(GENERATE_DEFAULTS.ratings))
  .option('--seed <n>', 'random seed', String(GENERATE_DEFAULTS.seed))
  .action((flags) => runGenerateRatings(flags));

addInputOptions(
  program
    .command('tune')
    .description('choose the served blend (or, with --als, the ALS hyperparameters) on a validation period, never on a test period')
    .option('--validation-date <YYYY-MM-DD>', 'train before this day, validate from it')
    .option('--validation-end <YYYY-MM-DD>', 'validate before this day (default: to the end of the file); later lines are not used'),
  'csv',
)
  .option('--k <n>', 'list length', '10')
  .option('--min-rating <r>', 'rating files: only rows rated at least this are positives')
  .option('--als', 'tune the ALS hyperparameters instead of the blend')
  .option('--als-grid <spec>', `ALS grid, NAME=V1,V2;... (default ${DEFAULT_ALS_GRID})`)
  .option('--json', 'print one JSON object')
  .action(async (flags) => printTune(await runTune(flags), flags.json === true));

addInputOptions(
  program
    .command('segments')
    .description('segment the customers of a file by RFM clustering (k-means, named segments) and print them')
    .argument('[file]', 'CSV, TSV or JSON-lines file, optionally .gz'),
  'online-retail',
)
  .option('--until <date>', 'use only lines before this day (YYYY-MM-DD, UTC); recency is measured at it')
  .option('--k <n>', 'number of segments (default: chosen by silhouette in --k-range)')
  .option('--k-range <min-max>', 'candidate numbers of segments', '3-6')
  .option('--seed <n>', 'random seed of k-means++', '42')
  .option('--members', "also print each customer's segment")
  .option('--json', 'print JSON: {"k","silhouette","segments":[...]} (and "members")')
  .action(async (file: string | undefined, flags: SegmentsFlags) => {
    await runSegments(flags, file);
  });

program
  .command('simulate')
  .description(
    'run an experiment on a simulated shop through the real gateway code (log, graph, recommender, attribution, statistics); last line is one JSON object',
  )
  .option(
    '--scenario <aa|ab|srm|bandit>',
    'aa: no difference; ab: treatment clicks better by --lift; srm: a broken split; bandit: Thompson sampling over three strategies against uniform allocation',
    'ab',
  )
  .option('--seed <n>', 'random seed', '1')
  .option('--users <n>', 'shoppers', '1000')
  .option('--days <n>', 'experiment days (after one pre-period day)', '5')
  .option('--lift <r>', 'ab: true relative lift of the click-through rate', '0.15')
  .option('--floor <f>', "bandit: every arm's minimum share of the requests", '0.05')
  .option('--data-dir <dir>', "bandit: keep the bandit run's data dir here (empty or new), for flywheel evaluate-policy")
  .option(
    '--blends <control;treatment>',
    'ab, interleave: the two variants are two weightings of blend, e.g. "local-ease=1,item-knn=1;local-ease=1,item-knn=0.2"',
  )
  .option('--guardrail-lift <r>', "aa, ab, srm: relative change of treatment's purchases per click (revenue per user is the guardrail; default 0)")
  .option('--guardrail-margin <m>', "aa, ab, srm: the revenue guardrail's non-inferiority margin (relative; default 0.02)")
  .option('--spending <f>', "aa, ab, srm: the group-sequential test's alpha-spending function, OBRIEN_FLEMING (default) or POCOCK")
  .option('--json', 'print only the JSON object')
  .action(async (flags: SimulateFlags) => printSimulate(await runSimulate(flags), flags.json === true));

program
  .command('evaluate-policy')
  .description(
    "estimate a candidate strategy's reward per served list (click-through) from a BANDIT experiment's logged lists, with IPS and self-normalised IPS and their intervals; last line is one JSON object",
  )
  .addOption(dataDirOption())
  .option('--experiment <id>', 'the BANDIT experiment whose lists to use (default: the latest one in the log)')
  .option('--strategy <list>', "candidates: these arms' strategies, each on its own (default: every arm)")
  .option('--policy <spec>', 'one candidate mixing arms, e.g. popular=0.2,item-knn=0.8')
  .option('--reward <r>', 'clicks (per list, default), clicked (at least one), add-to-carts, purchases, revenue', 'clicks')
  .option('--alpha <a>', 'the intervals are 1 - alpha', '0.05')
  .option('--json', 'print only the JSON object')
  .action(async (flags: EvaluatePolicyFlags) => printEvaluatePolicy(await runEvaluatePolicy(flags), flags.json === true));

program
  .command('export-als')
  .description(
    'write the fitted ALS model of the data (item ids, factors, hyperparameters, fit time, data position) to a file that FLYWHEEL_ALS_MODEL_FILE loads at start; fits first when no stored model covers the data',
  )
  .addOption(dataDirOption())
  .requiredOption('--out <file>', 'the model file to write')
  .option('--json', 'print the report as JSON')
  .action(async (flags: { dataDir?: string; out: string; json?: boolean }) => {
    const r = await runExportAls(config(flags, { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }), flags.out);
    if (flags.json) console.log(JSON.stringify(r));
    else
      console.log(
        `${r.file}: ${r.items} items x ${r.factors} factors (${r.bytes} bytes), ${r.source === 'fitted' ? 'fitted now' : 'the stored fit'} of ${r.fittedAt} over ${r.position.interactions} interactions`,
      );
  });

/**
 * Commands other than `serve` and `demo` end when their work is done. A client socket or timer left open by a
 * driver (kafkajs and neo4j-driver each have had such leaks) would keep the process alive after its output was
 * printed, and a script waiting for it would hang: the process says what was still open and exits. The timer
 * is unref'd, so a clean exit is not delayed.
 */
function exitOnceDone(command: string): void {
  if (command === 'serve' || command === 'demo') return;
  setTimeout(() => {
    console.error(`flywheel ${command}: done, but still open after ${LINGER_MS} ms: ${process.getActiveResourcesInfo().join(', ')}; exiting`);
    process.exit(process.exitCode ?? 0);
  }, LINGER_MS).unref();
}
const LINGER_MS = 5000;

program.hook('postAction', (_program, action) => exitOnceDone(action.name()));

program.parseAsync(process.argv).catch((err: unknown) => {
  // Mistakes in the configuration, the flags or the input file: one line, exit 2, no stack trace.
  if (err instanceof ConfigError || err instanceof InputError || err instanceof DataDirLockedError || err instanceof AlsModelError) {
    console.error(`flywheel: ${err.message}`);
    process.exit(2);
  }
  if (err instanceof CliFailure) {
    console.error(`flywheel: ${err.message}`);
    process.exit(err.exitCode);
  }
  console.error(`flywheel: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
