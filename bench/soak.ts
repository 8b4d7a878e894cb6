import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startServeProcess, waitForExit } from '../test/helpers/process';
import { gatewayNodeFlags, median } from './shared';

/**
 * `npm run bench:soak`: the issue-11 soak. `flywheel demo` in a child process with the simulator at
 * SOAK_SIMULATOR_RATE events/s (default 200), SOAK_CLIENTS concurrent trackEvents clients (default 8,
 * each sending a batch of 1-10 events back to back with a short pause), for SOAK_SECONDS (default 600).
 * A prober asks /healthz every second. At the end ingestion must drain and every acknowledged event be
 * applied: for every soak user, User.eventCount in the graph is at least the number of that user's events
 * the clients got acknowledged (each client event goes to a soak user; simulator events to demo users).
 *
 * Exit code 1 when a /healthz probe failed or took over 1 s, or an acknowledged event is missing.
 */
const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const RATE = Number(process.env.SOAK_SIMULATOR_RATE ?? 200);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 8);
const CLIENT_PAUSE_MS = Number(process.env.SOAK_CLIENT_PAUSE_MS ?? 20);
const TRACK = 'mutation T($events: [EventInput!]!) { trackEvents(events: $events) { accepted duplicates rejected { reason } } }';
const TYPES = ['VIEW', 'CLICK', 'ADD_TO_CART', 'PURCHASE'] as const;

async function counters(base: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const sum = (m: Map<string, number>, prefix: string) => [...m].filter(([k]) => k === prefix || k.startsWith(`${prefix}{`)).reduce((s, [, v]) => s + v, 0);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'flywheel-soak-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = await startServeProcess(
    ['demo', '--data-dir', dataDir],
    port,
    {
      NODE_OPTIONS: gatewayNodeFlags().join(' '), // as bin/flywheel.js's shebang sets them for `npm start`
      FLYWHEEL_SIMULATOR: 'on',
      FLYWHEEL_SIMULATOR_RATE: String(RATE),
      // The soak is about liveness under load; all clients share one address, which the limiter would throttle.
      FLYWHEEL_RATE_LIMIT_PER_MINUTE: '10000000',
    },
    120_000,
  );
  try {
    console.log(`soak: ${SECONDS} s, simulator ${RATE} events/s, ${CLIENTS} trackEvents clients, /healthz every second`);
    const endAt = Date.now() + SECONDS * 1000;
    const health: number[] = [];
    const healthFailures: string[] = [];
    const prober = (async () => {
      while (Date.now() < endAt) {
        const started = Date.now();
        try {
          const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
          if (res.status !== 200) healthFailures.push(`${new Date().toISOString()} status ${res.status}`);
        } catch (err) {
          healthFailures.push(`${new Date().toISOString()} ${(err as Error).message}`);
        }
        const took = Date.now() - started;
        health.push(took);
        if (took > 1000) healthFailures.push(`${new Date().toISOString()} took ${took} ms`);
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - took)));
      }
    })();
    let acknowledged = 0;
    let requests = 0;
    // Events each soak user had acknowledged; the graph's User.eventCount must match at the end.
    const expectedPerUser = new Map<string, number>();
    const requestErrors: string[] = [];
    const latencies: number[] = [];
    const client = async (c: number) => {
      for (let r = 0; Date.now() < endAt; r++) {
        const size = 1 + ((c + r) % 10);
        const events = Array.from({ length: size }, (_, i) => {
          const type = TYPES[(r + i) % TYPES.length]!;
          return {
            id: `soak-${c}-${r}-${i}`,
            type,
            userId: `soak-user-${(c * 31 + r) % 500}`,
            itemId: `item-${String(((r * 17 + i * 7) % 120) + 1).padStart(3, '0')}`,
            ...(type === 'PURCHASE' ? { quantity: 1 + (i % 3), price: 4.5 } : {}),
          };
        });
        const started = Date.now();
        try {
          const res = await fetch(`${base}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: TRACK, variables: { events } }),
            signal: AbortSignal.timeout(30_000),
          });
          const body = (await res.json()) as { data?: { trackEvents: { accepted: number; rejected: unknown[] } }; errors?: unknown };
          requests++;
          if (!body.data || body.data.trackEvents.rejected.length > 0) requestErrors.push(JSON.stringify(body).slice(0, 300));
          else {
            acknowledged += body.data.trackEvents.accepted;
            if (body.data.trackEvents.accepted === events.length) {
              for (const e of events) expectedPerUser.set(e.userId, (expectedPerUser.get(e.userId) ?? 0) + 1);
            } else requestErrors.push(`accepted ${body.data.trackEvents.accepted} of ${events.length}`);
          }
        } catch (err) {
          requestErrors.push((err as Error).message);
        }
        latencies.push(Date.now() - started);
        await new Promise((r) => setTimeout(r, CLIENT_PAUSE_MS));
      }
    };
    await Promise.all([prober, ...Array.from({ length: CLIENTS }, (_, c) => client(c))]);

    // Drain: readiness with no lag, then compare counts.
    let drained = false;
    for (let i = 0; i < 300 && !drained; i++) {
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5000) });
      const body = (await res.json()) as { ingestLag: number };
      drained = res.status === 200 && body.ingestLag === 0;
      if (!drained) await new Promise((r) => setTimeout(r, 200));
    }
    const users = [...expectedPerUser.keys()];
    let missingUsers = 0;
    let missingEvents = 0;
    for (let i = 0; i < users.length; i += 25) {
      const chunk = users.slice(i, i + 25);
      const query = `{ ${chunk.map((u, j) => `u${j}: user(id: ${JSON.stringify(u)}) { eventCount }`).join(' ')} }`;
      const res = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await res.json()) as { data?: Record<string, { eventCount: number } | null> };
      chunk.forEach((u, j) => {
        const got = body.data?.[`u${j}`]?.eventCount ?? 0;
        const want = expectedPerUser.get(u)!;
        if (got < want) {
          missingUsers++;
          missingEvents += want - got;
        }
      });
    }
    const m = await counters(base);
    const accepted = sum(m, 'flywheel_events_accepted_total');
    const acceptedGraphql = m.get('flywheel_events_accepted_total{source="graphql"}') ?? 0;
    const acceptedSimulator = m.get('flywheel_events_accepted_total{source="simulator"}') ?? 0;
    // The simulator keeps running while this is read, so these two are a snapshot, not an identity.
    const applied = sum(m, 'flywheel_events_ingested_total');
    const duplicates = sum(m, 'flywheel_events_duplicate_total');
    const sorted = [...health].sort((a, b) => a - b);
    const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    const report = {
      seconds: SECONDS,
      simulatorRate: RATE,
      clients: CLIENTS,
      healthProbes: health.length,
      healthFailures: healthFailures.length,
      healthMs: { median: median(health), p99: p(0.99), max: sorted[sorted.length - 1] },
      trackRequests: requests,
      trackRequestErrors: requestErrors.length,
      trackLatencyMs: { median: median(latencies), p99: [...latencies].sort((a, b) => a - b)[Math.floor(0.99 * latencies.length)] },
      acknowledgedByClients: acknowledged,
      acknowledgedMissingFromGraph: missingEvents,
      acceptedGraphql,
      acceptedSimulator,
      acceptedAll: accepted,
      applied,
      duplicates,
      drained,
    };
    console.log(JSON.stringify(report, null, 2));
    const problems: string[] = [];
    if (healthFailures.length > 0) problems.push(`/healthz: ${healthFailures.slice(0, 5).join('; ')}`);
    if (requestErrors.length > 0) problems.push(`trackEvents: ${requestErrors.slice(0, 3).join('; ')}`);
    if (!drained) problems.push('ingestion did not drain');
    if (acknowledged !== acceptedGraphql) problems.push(`clients acknowledged ${acknowledged} events, the gateway counted ${acceptedGraphql}`);
    if (missingEvents > 0) problems.push(`${missingEvents} acknowledged events of ${missingUsers} users are not in the graph`);
    if (problems.length > 0) {
      console.error(`soak FAILED:\n- ${problems.join('\n- ')}`);
      process.exitCode = 1;
    } else console.log('soak passed: /healthz answered every second, every acknowledged event applied');
  } finally {
    child.kill('SIGTERM');
    await waitForExit(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
