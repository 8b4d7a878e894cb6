import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestGateway } from '../helpers/gateway';
import { BIN, freePort, waitForExit } from '../helpers/process';

/** Operations: version, configuration checked before anything opens, log format, /metrics names. */

test('flywheel --version prints the package version', () => {
  const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = spawnSync(process.execPath, [BIN, flag], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout.trim(), pkg.version);
  }
});

test('a bad FLYWHEEL_ANOMALY_CONFIG stops serve and import before the data dir is opened', () => {
  const dataDir = path.join(tmpdir(), `flywheel-never-opened-${process.pid}`);
  for (const [json, message] of [
    ['{"trafic": {"spikeZ": 8}}', /FLYWHEEL_ANOMALY_CONFIG: unknown key "trafic"/],
    ['{"traffic": ', /FLYWHEEL_ANOMALY_CONFIG: not valid JSON/],
  ] as const) {
    for (const args of [
      ['serve'],
      [
        'import',
        path.resolve(__dirname, '../../../test/fixtures/movielens-sample.tsv'),
        '--format',
        'tsv',
        '--columns',
        'user,item,rating,timestamp',
        '--no-header',
      ],
    ]) {
      const r = spawnSync(process.execPath, [BIN, ...args, '--data-dir', dataDir], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, FLYWHEEL_ANOMALY_CONFIG: json, PORT: '0' },
      });
      assert.equal(r.status, 2, `${args[0]}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(existsSync(dataDir), false, `${args[0]}: nothing opened`);
    }
  }
});

test('logs are JSON lines when piped, the human format with FLYWHEEL_LOG_FORMAT=pretty', { timeout: 60_000 }, async () => {
  for (const [format, pattern] of [
    [undefined, /^\{"level":30,.*"msg":"gateway listening"/m],
    ['pretty', /^\d\d:\d\d:\d\d\.\d{3} INFO {2}gateway listening {2}url=http/m],
  ] as const) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'flywheel-logs-'));
    const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--port', String(await freePort())], {
      env: { ...process.env, LOG_LEVEL: 'info', ...(format ? { FLYWHEEL_LOG_FORMAT: format } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const deadline = Date.now() + 30_000;
    while (!/gateway listening/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    await waitForExit(child);
    rmSync(dataDir, { recursive: true, force: true });
    assert.match(out, pattern, `${format ?? 'default (piped)'}:\n${out}`);
  }
  const r = spawnSync(process.execPath, [BIN, 'serve'], { encoding: 'utf8', env: { ...process.env, FLYWHEEL_LOG_FORMAT: 'fancy' } });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /FLYWHEEL_LOG_FORMAT: must be auto, json or pretty/);
});

test('/metrics: standard process metric names, running counts as _total counters, anomaly and segment metrics', { timeout: 120_000 }, async () => {
  const gw = await startTestGateway({ demo: true, env: { FLYWHEEL_SEGMENTS_REFIT_MINUTES: '0' } });
  try {
    await gw.app.recommender.recommend({ userId: 'demo-user-1', first: 5 });
    await gw.app.recommender.recommend({ userId: 'demo-user-1', first: 5 });
    // A bot: 60 clicks in six seconds.
    const t = Date.now() - 60_000;
    await gw.app.tracker.track(
      Array.from({ length: 60 }, (_, i) => ({
        kind: 'interaction',
        v: 1,
        id: `bot-${i}`,
        type: 'CLICK',
        userId: 'metrics-bot',
        itemId: `item-${String(i % 40).padStart(3, '0')}`,
        timestamp: t + i * 100,
      })),
      'test',
    );
    await gw.app.anomalies.idle();
    const refit = await gw.app.segments.refit();
    const text = await (await fetch(`${gw.url}/metrics`)).text();

    assert.match(text, /^process_cpu_seconds_total \d/m, 'prom-client default names');
    assert.match(text, /^nodejs_heap_size_used_bytes \d/m);
    assert.doesNotMatch(text, /flywheel_process_/, 'no doubled prefix');

    assert.match(text, /^# TYPE flywheel_recommendation_cache_lookups_total counter$/m);
    assert.match(text, /^flywheel_recommendation_cache_lookups_total\{result="hit"\} [1-9]/m);
    assert.doesNotMatch(text, /^# TYPE flywheel_recommendation_cache_lookups gauge/m);

    assert.match(text, /^# TYPE flywheel_anomalies_detected_total counter$/m);
    assert.match(text, /^flywheel_anomalies_detected_total\{kind="BOT_ACTIVITY",severity="\w+"\} [1-9]/m);
    assert.match(text, /^flywheel_anomaly_events_observed_total [1-9]/m);

    // The demo fits once at start; the refit above is another, or joins that one if it is still running.
    assert.match(text, /^flywheel_segment_refits_total\{outcome="ok"\} [12]$/m);
    const sizes = [...text.matchAll(/^flywheel_segment_size\{segment="[^"]+",name="[^"]+"\} (\d+)$/gm)].map((m) => Number(m[1]));
    assert.equal(sizes.length, refit.k, 'one size per segment');
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      refit.customers,
    );
  } finally {
    await gw.close();
  }
});
