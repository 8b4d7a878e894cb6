import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/**
 * One writer per data dir. LMDB itself lets several processes write one environment, but the embedded
 * graph (snapshot + log tail) assumes it is the only process appending to its log: a second gateway or
 * an import into a running gateway's dir would write events the first never applies, and both would
 * overwrite each other's snapshot. So whoever opens a data dir for writing (the gateway, `flywheel import`)
 * takes `<dir>/flywheel.lock`, a file holding its pid, and a second one is refused with the holder's pid.
 *
 * A lock whose pid is no longer running (a kill -9, a crash, a reboot) is stale and taken over. The file
 * is created with O_EXCL, and a stale one is first renamed aside (only one contender can rename it) so two
 * processes starting together cannot both win.
 */
export const LOCK_FILE = 'flywheel.lock';

export interface LockHolder {
  pid: number;
  purpose: string;
  host: string;
  since: string;
}

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `data dir ${dir} is in use by pid ${holder.pid} (${holder.purpose}${holder.host ? ` on ${holder.host}` : ''}, since ${holder.since}): one writer per data dir; ` +
        `stop that process first (or send events through trackEvents). If no such process runs, delete ${path.join(dir, LOCK_FILE)}`,
    );
  }
}

export interface DataDirLock {
  readonly file: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

/** Data dirs locked by this process (a second open from the same process is refused too). */
const heldHere = new Set<string>();

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof h.pid === 'number'
      ? { pid: h.pid, purpose: String(h.purpose ?? 'unknown'), host: String(h.host ?? ''), since: String(h.since ?? '?') }
      : null;
  } catch {
    return null;
  }
}

/** Creates the dir if needed and takes its lock, or throws DataDirLockedError naming the holder. */
export function lockDataDir(dir: string, purpose: string): DataDirLock {
  const abs = path.resolve(dir);
  const file = path.join(abs, LOCK_FILE);
  mkdirSync(abs, { recursive: true });
  const me: LockHolder = { pid: process.pid, purpose, host: hostname(), since: new Date().toISOString() };
  if (heldHere.has(abs)) throw new DataDirLockedError(abs, readHolder(file) ?? me);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      try {
        writeSync(fd, JSON.stringify(me) + '\n');
      } finally {
        closeSync(fd);
      }
      heldHere.add(abs);
      let released = false;
      return {
        file,
        release() {
          if (released) return;
          released = true;
          heldHere.delete(abs);
          if (readHolder(file)?.pid === process.pid) {
            try {
              unlinkSync(file);
            } catch {
              /* already gone */
            }
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(file);
    // A lock file being written this instant reads as garbage: give its writer a moment.
    if (holder === null && attempt === 0) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      continue;
    }
    // The pid is checked on this machine: LMDB needs a local file system, and a container restarted on
    // the same volume gets a new host name, so the host is reported but not compared.
    if (holder && holder.pid !== process.pid && isRunning(holder.pid)) throw new DataDirLockedError(abs, holder);
    // Stale (dead pid, unreadable, or this pid left over from an earlier life): rename it aside, then retry.
    const aside = `${file}.stale.${process.pid}`;
    try {
      renameSync(file, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // someone else moved it first
      throw err;
    }
    const moved = readHolder(aside);
    if (moved && moved.pid !== holder?.pid && isRunning(moved.pid)) {
      // Between our read and our rename a live process took the lock: give it back and yield.
      renameSync(aside, file);
      throw new DataDirLockedError(abs, moved);
    }
    try {
      unlinkSync(aside);
    } catch {
      /* fine */
    }
  }
  throw new Error(`could not take the lock ${file} (contended)`);
}
