import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from '../../../src/util/data-dir-lock';

test('a data dir lock holds the pid, refuses a second holder naming it, and is released', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-lock-'));
  try {
    const lock = lockDataDir(dir, 'flywheel gateway');
    assert.equal(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
    assert.throws(
      () => lockDataDir(dir, 'flywheel import'),
      (e: unknown) =>
        e instanceof DataDirLockedError && e.holder.pid === process.pid && new RegExp(`in use by pid ${process.pid} \\(flywheel gateway`).test(e.message),
    );
    lock.release();
    lock.release();
    assert.equal(existsSync(path.join(dir, LOCK_FILE)), false);
    lockDataDir(dir, 'again').release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock held by another live process is refused; one whose pid is gone (or unreadable) is taken over', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-lock-'));
  try {
    const file = path.join(dir, LOCK_FILE);
    // pid 1 always runs (and is not us).
    writeFileSync(file, JSON.stringify({ pid: 1, purpose: 'flywheel gateway', host: 'x', since: 'then' }));
    assert.throws(() => lockDataDir(dir, 'flywheel import'), /in use by pid 1 /);
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    writeFileSync(file, JSON.stringify({ pid: dead, purpose: 'flywheel gateway', host: 'x', since: 'then' }));
    const lock = lockDataDir(dir, 'flywheel import');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
    lock.release();
    writeFileSync(file, 'garbage');
    lockDataDir(dir, 'flywheel import').release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
