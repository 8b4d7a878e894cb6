import 'reflect-metadata';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type FlywheelConfig } from '../config/config';
import { createLogger } from '../observability/logger';
import { runGateway } from './run-gateway';
import { runImport } from './import-command';

/**
 * `flywheel` command line. Every command reads the same configuration (environment variables, see
 * README), and flags override them.
 */
const program = new Command()
  .name('flywheel')
  .description('Flywheel: a GraphQL gateway that turns e-commerce events into a live user-item graph, recommendations, segments and alerts.')
  .showHelpAfterError();

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
    await runGateway(cfg, createLogger(cfg.LOG_LEVEL), { demo: false });
  });

program
  .command('demo')
  .description('serve with the built-in demo shop and live event simulator (what `npm start` runs)')
  .addOption(dataDirOption())
  .addOption(portOption())
  .option('--no-simulator', 'do not generate live events')
  .action(async (flags: { dataDir?: string; port?: string; simulator: boolean }) => {
    const cfg = config({ ...flags, dataDir: flags.dataDir ?? process.env.FLYWHEEL_DATA_DIR ?? './data/demo' }, { FLYWHEEL_SIMULATOR: flags.simulator ? 'on' : 'off' });
    await runGateway(cfg, createLogger(cfg.LOG_LEVEL), { demo: true });
  });

program
  .command('import')
  .description('import events from a file into the data dir (the gateway must not be running on it)')
  .argument('<file>', 'CSV, TSV or JSON-lines file, optionally .gz')
  .addOption(new Option('--format <format>', 'input format').choices(['online-retail', 'csv', 'tsv', 'jsonl']).default('csv'))
  .option('--columns <list>', 'comma-separated column roles: id,user,session,item,type,timestamp,quantity,price,rating,title,category')
  .option('--no-header', 'the file has no header row (give --columns)')
  .addOption(dataDirOption())
  .option('--json', 'print the report as JSON')
  .action(async (file: string, flags) => {
    const cfg = config(flags, { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
    await runImport(cfg, file, flags);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`flywheel: ${err.message}`);
    process.exit(2);
  }
  console.error(`flywheel: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
