import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFlywheel, type Flywheel } from '../../src/app/flywheel';
import { loadConfig, type FlywheelConfig } from '../../src/config/config';
import { startGateway, type Gateway } from '../../src/api/server';
import { createLogger } from '../../src/observability/logger';
import { generateDemoShop } from '../../src/demo/demo-data';

/**
 * Starts a real gateway (embedded LMDB log + in-memory graph + HTTP/WebSocket server on a free port)
 * in a fresh temporary data dir, for end-to-end tests. `close()` shuts it down and removes the dir
 * unless `keepDataDir` is set (restart tests reopen the same dir).
 */
export interface TestGateway {
  url: string;
  graphqlUrl: string;
  wsUrl: string;
  app: Flywheel;
  gateway: Gateway;
  dataDir: string;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  /** Seed the deterministic demo shop through the normal tracking path. */
  demo?: boolean;
  dataDir?: string;
  keepDataDir?: boolean;
  env?: Record<string, string>;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'flywheel-test-'));
  const config: FlywheelConfig = loadConfig({ LOG_LEVEL: 'silent', ...options.env }, { FLYWHEEL_DATA_DIR: dataDir, PORT: 0 });
  const app = await createFlywheel(config, createLogger(config.LOG_LEVEL));
  if (options.demo) {
    const shop = generateDemoShop();
    for (let i = 0; i < shop.events.length; i += 1000) await app.tracker.track(shop.events.slice(i, i + 1000), 'demo');
  }
  const gateway = await startGateway(app, { port: 0, host: '127.0.0.1' });
  return {
    url: gateway.url,
    graphqlUrl: `${gateway.url}/graphql`,
    wsUrl: `${gateway.url.replace(/^http/, 'ws')}/graphql`,
    app,
    gateway,
    dataDir,
    async close() {
      await gateway.close();
      await app.close();
      if (!options.keepDataDir && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs a GraphQL operation and returns the parsed JSON body (data and errors). */
export async function gql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[]; status: number }> {
  const res = await fetch(url.endsWith('/graphql') ? url : `${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  return { ...body, status: res.status };
}

/**
 * Waits until the lists served so far are in the log and applied (serving appends impressions without
 * waiting for them), so results and outcome totals read next include every list served before the call.
 */
export async function impressionsApplied(app: Flywheel, timeoutMs = 10_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; (app.impressions.pending > 0 || app.ingestor.lag() > 0) && Date.now() < end;)
    await new Promise((r) => setTimeout(r, 10));
}
