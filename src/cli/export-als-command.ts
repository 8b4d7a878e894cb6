import type { FlywheelConfig } from '../config/config';
import { createFlywheel } from '../app/flywheel';
import { recommenderFactory } from '../app/recommender-factory';
import { loadAlsFactorsAtStart } from '../app/als-factors';
import { createLogger } from '../observability/logger';
import { writeAlsModelFile } from '../recommend/als-model';

export interface ExportAlsReport {
  file: string;
  bytes: number;
  items: number;
  factors: number;
  fittedAt: string;
  fitMs: number;
  /** 'stored': the model kept on Neo4j or in FLYWHEEL_ALS_MODEL_FILE, already fitted on this data; 'fitted': fitted now. */
  source: 'stored' | 'fitted';
  position: { interactions: number; users: number; items: number; latestEventAt: string | null };
  hyperparameters: Readonly<Record<string, number | string>>;
}

/**
 * `flywheel export-als --out FILE`: writes the fitted ALS model of the configured data (item ids, vectors,
 * hyperparameters, fit time, data position) to a file that `FLYWHEEL_ALS_MODEL_FILE` loads at start.
 *
 * Opens the data like `flywheel import` (on the embedded backend the gateway must not be running on the data
 * dir), rebuilds the recommender's index from the graph, takes the stored model where there is one
 * (Neo4j's, or the file already configured) and fits only when it is missing or older than the data, in the
 * refit worker with the configured hyperparameters (FLYWHEEL_ALS_*).
 */
export async function runExportAls(cfg: FlywheelConfig, out: string): Promise<ExportAlsReport> {
  const logger = createLogger(cfg.LOG_LEVEL, 'flywheel', cfg.FLYWHEEL_LOG_FORMAT);
  const app = await createFlywheel(cfg, logger, { mode: 'import' });
  const rec = recommenderFactory(cfg, app.store, () => null)();
  try {
    // the graph first catches up with the log's tail (embedded: the records after the snapshot)
    while (!app.ingestor.hasCaughtUp()) await new Promise((resolve) => setTimeout(resolve, 50));
    rec.setBackgroundRefresh(false);
    await rec.bootstrap();
    rec.als.demand();
    await loadAlsFactorsAtStart(rec, cfg, app.store, logger);
    const source = rec.als.stale() ? 'fitted' : 'stored';
    if (source === 'fitted') await rec.als.refit();
    const model = rec.als.exportModel();
    if (!model) throw new Error('no interactions in the data: there is no ALS model to export');
    const bytes = writeAlsModelFile(out, model);
    const p = model.position;
    return {
      file: out,
      bytes,
      items: model.itemIds.length,
      factors: model.factors,
      fittedAt: new Date(model.fittedAt).toISOString(),
      fitMs: Math.round(model.fitMs),
      source,
      position: { ...p, latestEventAt: p.latestEventAt === null ? null : new Date(p.latestEventAt).toISOString() },
      hyperparameters: model.hyperparameters,
    };
  } finally {
    rec.close();
    await app.close();
  }
}
