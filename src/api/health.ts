import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Flywheel } from '../app/flywheel';
import { sendJson, sendText } from './http-util';
import { metricsAccess } from './metrics-access';

/**
 * The operational endpoints: /healthz liveness, /readyz readiness (ingestion caught up, the recommendation
 * model solved once since start, not shutting down), /metrics Prometheus text (access decided by metrics-access.ts).
 */
export function healthz(res: ServerResponse): void {
  sendJson(res, 200, { status: 'ok' });
}

export function readyz(app: Flywheel, res: ServerResponse, closing: () => boolean): void {
  // The lag is read from the log now (not a sample), and ingestion that stopped advancing while
  // behind (a poison record, a graph store that is down) is not ready.
  void app.ingestor.refreshLag().then((lag) => {
    const stalled = app.ingestor.stalled();
    const shuttingDown = closing();
    const caughtUp = app.ingestor.hasCaughtUp();
    const warm = app.modelWarm();
    const ready = !shuttingDown && caughtUp && !stalled && warm;
    const status = ready
      ? 'ready'
      : shuttingDown
        ? 'shutting down'
        : stalled
          ? 'ingestion stalled'
          : !caughtUp
            ? 'catching up'
            : 'solving the recommendation model';
    const loop = app.watchdog.delay();
    sendJson(res, ready ? 200 : 503, { status, ingestLag: lag, eventLoopDelayMs: { p99: loop.p99Ms, max: loop.maxMs } });
  });
}

export function metricsEndpoint(app: Flywheel, req: IncomingMessage, res: ServerResponse): void {
  const { config, logger, metrics } = app;
  const access = metricsAccess({ token: config.FLYWHEEL_METRICS_TOKEN, production: config.NODE_ENV === 'production' }, req);
  if (!access.allowed) {
    if (access.status === 401) res.setHeader('www-authenticate', 'Bearer');
    return sendJson(res, access.status, { error: access.message });
  }
  void renderMetrics(app)
    .then((text) => sendText(res, 200, text, metrics.registry.contentType))
    .catch((err: unknown) => {
      logger.error({ err }, 'metrics rendering failed');
      sendText(res, 500, 'metrics unavailable');
    });
}

async function renderMetrics(app: Flywheel): Promise<string> {
  const stats = await app.store.stats();
  app.metrics.graphSize.set({ kind: 'users' }, stats.users);
  app.metrics.graphSize.set({ kind: 'items' }, stats.items);
  app.metrics.graphSize.set({ kind: 'edges' }, stats.edges);
  app.metrics.ingestLag.set(await app.ingestor.refreshLag());
  app.metrics.ingestStalled.set(app.ingestor.stalled() ? 1 : 0);
  return app.metrics.registry.metrics();
}
