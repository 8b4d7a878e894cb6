import type { Logger } from 'pino';
import type { FlywheelConfig } from '../config/config';
import type { GraphStore, ItemFactorStore } from '../graph/graph-store';
import type { AlsSnapshot } from '../recommend/als';
import { AlsModelError, readAlsModelFile } from '../recommend/als-model';
import type { Recommender } from '../recommend/recommender';

/**
 * Where the ALS item factors come from at start and where a fit's factors go (ARCHITECTURE.md, "Item
 * factors on the graph and in a file"):
 *
 * - `FLYWHEEL_ALS_MODEL_FILE` set (either backend): the file (`flywheel export-als`) is loaded after the
 *   recommender is bootstrapped, and served at once. A file that cannot be served (damaged, truncated, another
 *   version, another dimension or hyperparameters) stops the start with an AlsModelError: the operator asked
 *   for it by name.
 * - Neo4j, no file, `als` served: the factors the last fit stored on the items are loaded instead, so a new
 *   gateway serves `als` without fitting first (minutes at 5M interactions). A stored model that does not fit
 *   the configuration (dimension or hyperparameters changed) is skipped with a warning and the gateway fits,
 *   then overwrites it.
 * - Neo4j: every fit this gateway swaps in is written back to the items (`ItemFactorStore`), in the
 *   background, one write at a time; a fit that lands while one is being written replaces the one waiting.
 *
 * Background refits are paused from before the bootstrap until the load is done, so no fit starts on a
 * half-read index and then replaces the loaded model.
 */
export async function loadAlsFactorsAtStart(rec: Recommender, config: FlywheelConfig, store: GraphStore, logger: Logger): Promise<void> {
  const file = config.FLYWHEEL_ALS_MODEL_FILE;
  if (file) {
    const started = performance.now();
    const model = readAlsModelFile(file);
    const r = rec.als.loadModel(model, `ALS model file ${file}`);
    logger.info(
      { file, ...r, fittedAt: new Date(model.fittedAt).toISOString(), ms: Math.round(performance.now() - started) },
      r.matched === 0 ? 'ALS model file loaded, but none of its items is in the graph yet: als waits for a fit' : 'ALS model loaded from file',
    );
    return;
  }
  if (!store.itemFactors || !rec.als.demanded) return;
  const started = performance.now();
  try {
    const model = await store.itemFactors.readItemFactors();
    if (!model) return;
    const r = rec.als.loadModel(model, 'the ALS model stored in Neo4j');
    logger.info({ ...r, fittedAt: new Date(model.fittedAt).toISOString(), ms: Math.round(performance.now() - started) }, 'ALS item factors loaded from Neo4j');
  } catch (err) {
    if (err instanceof AlsModelError) logger.warn({ err: err.message }, 'ALS item factors stored in Neo4j do not fit this configuration; fitting instead');
    else logger.warn({ err }, 'could not read the ALS item factors stored in Neo4j; fitting instead');
  }
}

/** How often a fit whose items the graph did not all hold yet is written again, and how long apart. */
export const REWRITE_ATTEMPTS = 10;
export const REWRITE_AFTER_MS = 3000;

/** A failed write waits REWRITE_AFTER_MS doubled per failure, at most this long, before it tries again. */
export const FAILED_WRITE_MAX_WAIT_MS = 60_000;

/**
 * Writes every fit of `rec` to the store, in the background, the latest one when fits come faster than
 * writes. A fit can name items the graph writer has not applied yet (the recommender reads the fan-out,
 * the writer its own consumer group): such a fit is written again a few seconds later, until every item
 * got its vector or a newer fit replaces it, so the stored model does not stay short of the served one.
 * A write that fails (Neo4j restarting, a leader switch the driver's own retries did not outlast) is tried
 * again after a backoff (doubling from `afterMs`, at most FAILED_WRITE_MAX_WAIT_MS), within the same number
 * of attempts: a fit can be 15 minutes apart from the next (`FLYWHEEL_ALS_REFIT_MINUTES`), and a gateway
 * started meanwhile would load a stale model or fit again.
 */
export function writeAlsFactorsBack(
  rec: Recommender,
  store: ItemFactorStore,
  logger: Logger,
  retry = { attempts: REWRITE_ATTEMPTS, afterMs: REWRITE_AFTER_MS },
): void {
  let writing = false;
  let next: { snap: AlsSnapshot; attempt: number } | null = null;
  let again: NodeJS.Timeout | null = null;
  const drain = async () => {
    writing = true;
    while (next && !rec.als.isClosed) {
      const { snap, attempt } = next;
      next = null;
      const model = rec.als.exportModel(snap);
      if (!model) continue;
      const started = performance.now();
      try {
        const { written, notInGraph } = await store.writeItemFactors(model);
        logger.info(
          { items: written, notInGraph, factors: model.factors, ms: Math.round(performance.now() - started) },
          'ALS item factors written to the graph',
        );
        if (notInGraph > 0) tryAgain(snap, attempt, retry.afterMs);
      } catch (err) {
        const waitMs = Math.min(FAILED_WRITE_MAX_WAIT_MS, retry.afterMs * 2 ** attempt);
        const retrying = tryAgain(snap, attempt, waitMs);
        logger.warn(
          { err, attempt: attempt + 1, ...(retrying ? { retryInMs: waitMs } : {}) },
          retrying
            ? 'could not write the ALS item factors to the graph; trying again'
            : 'could not write the ALS item factors to the graph; the next fit will try again',
        );
      }
    }
    writing = false;
  };
  /** Writes `snap` again after `waitMs` unless its attempts are used up or a newer fit is waiting; false if not. */
  const tryAgain = (snap: AlsSnapshot, attempt: number, waitMs: number): boolean => {
    if (attempt >= retry.attempts || next) return false;
    again = setTimeout(() => {
      again = null;
      // a newer fit clears this timer; a model loaded meanwhile supersedes this one too
      if (rec.als.model === snap) queue(snap, attempt + 1);
    }, waitMs);
    again.unref();
    return true;
  };
  const queue = (snap: AlsSnapshot, attempt: number) => {
    next = { snap, attempt };
    if (!writing) void drain();
  };
  rec.als.onFitted((snap) => {
    if (again) clearTimeout(again);
    again = null;
    queue(snap, 0);
  });
}
