import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitForExit } from '../helpers/process';

/**
 * A process manager stops `npm start` / `npx flywheel serve` by signalling the process it started: npm.
 * npm runs the gateway under `sh -c`, so that signal must still end the gateway, not orphan it.
 */
const ROOT = path.resolve(__dirname, '../../..');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids whose environment mentions `marker` (Linux /proc; empty elsewhere). */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const d of entries) {
    try {
      if (readFileSync(`/proc/${d}/environ`, 'latin1').includes(marker)) out.push(Number(d));
    } catch {
      /* gone or not ours */
    }
  }
  return out.filter((p) => p !== process.pid);
}

async function waitReady(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`launcher exited with ${child.exitCode}: ${output()}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready: ${output()}`);
}

async function stopsWithLauncher(args: string[], signal: NodeJS.Signals): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-launcher-'));
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  const launcher = spawn('npm', [...args.map((a) => a.replace('$DATA', dataDir).replace('$PORT', String(port)))], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), FLYWHEEL_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  launcher.stdout!.on('data', (d) => (out += d));
  launcher.stderr!.on('data', (d) => (out += d));
  let gatewayPid = 0;
  try {
    await waitReady(port, launcher, () => out);
    // The gateway's own pid, from its data-dir lock.
    gatewayPid = (JSON.parse(readFileSync(path.join(dataDir, 'flywheel.lock'), 'utf8')) as { pid: number }).pid;
    assert.notEqual(gatewayPid, launcher.pid);
    assert.ok(alive(gatewayPid));
    launcher.kill(signal);
    await waitForExit(launcher);
    const deadline = Date.now() + 20_000;
    while (alive(gatewayPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(gatewayPid), false, `the gateway (pid ${gatewayPid}) is gone after ${signal} to the launcher: ${out}`);
    // It shut down cleanly: the lock is released (a SIGKILL would leave it).
    assert.throws(() => readFileSync(path.join(dataDir, 'flywheel.lock')));
  } finally {
    if (launcher.exitCode === null) launcher.kill('SIGKILL');
    // On failure, leave no orphan behind: every process started with this test's data dir.
    for (const pid of gatewayPid ? [gatewayPid] : processesWith(dataDir)) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

test('SIGTERM to `npm start` stops the gateway', { timeout: 150_000 }, async () => {
  await stopsWithLauncher(['start'], 'SIGTERM');
});

test('SIGTERM to `npx flywheel serve` stops the gateway', { timeout: 150_000 }, async () => {
  await stopsWithLauncher(['exec', '--', 'flywheel', 'serve', '--data-dir', '$DATA', '--port', '$PORT'], 'SIGTERM');
});

test('SIGINT to `npm start` stops the gateway', { timeout: 150_000 }, async () => {
  await stopsWithLauncher(['start'], 'SIGINT');
});
