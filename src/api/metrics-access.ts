import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may read /metrics (operation names, traffic, graph sizes, process details are not for the public):
 * - FLYWHEEL_METRICS_TOKEN set: requests carrying `Authorization: Bearer <token>`, from anywhere
 *   (Prometheus: `authorization: { credentials_file: ... }` in the scrape config);
 * - unset, in production: loopback clients only (a node-local agent or sidecar);
 * - unset, in development: everyone (the embedded demo).
 */
export interface MetricsAccessSettings {
  token?: string;
  production: boolean;
}

export type MetricsDecision = { allowed: true } | { allowed: false; status: 401 | 403; message: string };

export function metricsAccess(settings: MetricsAccessSettings, req: Pick<IncomingMessage, 'headers' | 'socket'>): MetricsDecision {
  if (settings.token !== undefined) {
    const presented = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (presented !== undefined && sameSecret(presented, settings.token)) return { allowed: true };
    return { allowed: false, status: 401, message: 'metrics need Authorization: Bearer <FLYWHEEL_METRICS_TOKEN>' };
  }
  if (!settings.production || isLoopback(req.socket.remoteAddress)) return { allowed: true };
  return { allowed: false, status: 403, message: 'metrics are served to loopback clients only; set FLYWHEEL_METRICS_TOKEN to scrape from elsewhere' };
}

function sameSecret(a: string, b: string): boolean {
  // Digests have equal length, so the comparison time says nothing about the token.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(address);
}
