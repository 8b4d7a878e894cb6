import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { BIN, freePort, startServeProcess, waitForExit } from '../helpers/process';

/**
 * `flywheel import` (and the other file-reading subcommands) on real-shaped and broken input: historical
 * data imports and evaluates, a file that does not fit fails loudly with its reasons, a broken file is one
 * line and exit code 2, and nothing is left behind by a failed import.
 */
const FIXTURE = path.resolve(__dirname, '../../../test/fixtures/movielens-sample.tsv');
const MOVIELENS = ['--format', 'tsv', '--columns', 'user,item,rating,timestamp', '--no-header'];
const run = promisify(execFile);

function flywheel(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 120_000 });
}

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'flywheel-import-'));
}

/** One line on stderr, no stack trace. */
function assertOneLine(stderr: string): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
}

test(
  'MovieLens-shaped ratings (epoch seconds from 1997, no header) import, and eval/segments/anomalies read them with the same flags',
  { timeout: 240_000 },
  async () => {
    const dir = tmp();
    try {
      const lines = readFileSync(FIXTURE, 'utf8').trim().split('\n');
      assert.ok(lines.length >= 300);
      const r = flywheel(['import', FIXTURE, ...MOVIELENS, '--data-dir', path.join(dir, 'data'), '--json']);
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(r.stdout) as { lines: number; accepted: number; duplicates: number; rejected: number; graph: { users: number; items: number } };
      assert.equal(report.lines, lines.length);
      assert.equal(report.accepted - report.duplicates, lines.length, 'every rating stored');
      assert.equal(report.rejected, 0);
      assert.equal(report.graph.users, 60);

      // The exact command line (text report), into a fresh dir.
      const text = flywheel(['import', FIXTURE, ...MOVIELENS, '--data-dir', path.join(dir, 'data2')]);
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`events stored\\s+${lines.length}\\b`));

      // eval --train/--test on the same kind of files: split the sample at 1998-02-10.
      const split = Date.UTC(1998, 1, 10) / 1000;
      writeFileSync(path.join(dir, 'train.tsv'), lines.filter((l) => Number(l.split('\t')[3]) < split).join('\n') + '\n');
      writeFileSync(path.join(dir, 'test.tsv'), lines.filter((l) => Number(l.split('\t')[3]) >= split).join('\n') + '\n');
      const { stdout } = await run(
        process.execPath,
        [BIN, 'eval', '--train', path.join(dir, 'train.tsv'), '--test', path.join(dir, 'test.tsv'), ...MOVIELENS, '--k', '5', '--json'],
        { timeout: 180_000 },
      );
      const ev = JSON.parse(stdout) as { users: number; strategies: Record<string, { ndcg: number }> };
      assert.ok(ev.users > 10, `test users ${ev.users}`);
      assert.ok(Object.keys(ev.strategies).length > 3);

      // One set of input options: the file as argument or --input, the same --format/--columns/--no-header.
      const seg = flywheel(['segments', FIXTURE, ...MOVIELENS, '--k', '3', '--json']);
      assert.equal(seg.status, 0, seg.stderr);
      assert.equal((JSON.parse(seg.stdout) as { k: number }).k, 3);
      const anomalies = flywheel(['anomalies', '--input', FIXTURE, ...MOVIELENS, '--json']);
      assert.equal(anomalies.status, 0, anomalies.stderr);
      assert.equal((JSON.parse(anomalies.stdout) as { events: number }).events, lines.length);
      const importByFlag = flywheel(['import', '--input', FIXTURE, ...MOVIELENS, '--data-dir', path.join(dir, 'data3'), '--json']);
      assert.equal(importByFlag.status, 0, importByFlag.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('an import that refuses most lines exits non-zero with the top reasons and counts, and leaves no data dir behind', () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'ratings.tsv');
    // Column order wrong for this file: the "timestamp" column holds words.
    writeFileSync(file, Array.from({ length: 40 }, (_, i) => `u${i}\ti${i % 7}\tsoon\t${874_965_758 + i}`).join('\n') + '\nu1\ti1\t874965758\t5\n');
    const dataDir = path.join(dir, 'data');
    const r = flywheel(['import', file, '--format', 'tsv', '--columns', 'user,item,timestamp,rating', '--no-header', '--data-dir', dataDir]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /refused 40 of 41 lines/);
    assert.match(r.stderr, /40 x unparseable timestamp/);
    assertOneLine(r.stderr);

    const none = path.join(dir, 'none.tsv');
    writeFileSync(none, 'a\tb\tc\n'.repeat(30));
    const fresh = path.join(dir, 'fresh');
    const r2 = flywheel(['import', none, '--format', 'tsv', '--columns', 'user,item,timestamp', '--no-header', '--data-dir', fresh]);
    assert.equal(r2.status, 1, r2.stdout + r2.stderr);
    assert.match(r2.stderr, /refused 30 of 30 lines \(0 events stored\); top reasons: 30 x unparseable timestamp/);
    assert.equal(existsSync(fresh), false, 'a failed import that stored nothing removes the data dir it created');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('corrupt gzip, binary and non-CSV input: one clear line, exit 2, nothing created', () => {
  const dir = tmp();
  try {
    const rows = 'user,item,timestamp\n' + Array.from({ length: 30_000 }, (_, i) => `u${i},i${i % 50},${1_300_000_000 + i}`).join('\n');
    const gz = gzipSync(rows);
    const cases: [string, Buffer | string, RegExp][] = [
      ['cut.csv.gz', gz.subarray(0, 2000), /is not a valid gzip file \(unexpected end of file\)/],
      ['plain.csv.gz', rows, /is named \.gz but is not gzip-compressed/],
      [
        'image.csv',
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]),
        /is not a text file \(binary content\)/,
      ],
      ['doc.csv', '{"user": "u1", "item": "i1"}\n', /not valid CSV \(Invalid Opening Quote/],
      ['missing.csv', '', /no such file/],
    ];
    for (const [name, content, message] of cases) {
      const file = path.join(dir, name);
      if (name !== 'missing.csv') writeFileSync(file, content);
      const dataDir = path.join(dir, `data-${name}`);
      const r = flywheel(['import', file, '--data-dir', dataDir]);
      assert.equal(r.status, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, message, name);
      assertOneLine(r.stderr);
      assert.equal(existsSync(dataDir), false, `${name}: no data dir left behind`);
    }
    // Broken half-way, after some events were stored: they stay (re-import skips them), and it says so.
    const half = path.join(dir, 'half.csv.gz');
    writeFileSync(half, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const r = flywheel(['import', half, '--data-dir', path.join(dir, 'data-half')]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /not a valid gzip file .*events of its first \d+ lines were stored; importing the file again skips them/);
    assertOneLine(r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed import into an existing data dir removes only what it created', () => {
  const dir = tmp();
  try {
    const dataDir = path.join(dir, 'data');
    mkdirSync(dataDir);
    writeFileSync(path.join(dataDir, 'notes.txt'), 'mine');
    const file = path.join(dir, 'bad.csv');
    writeFileSync(file, 'user,item,timestamp\n' + 'u1,i1,later\n'.repeat(10));
    const r = flywheel(['import', file, '--data-dir', dataDir]);
    assert.equal(r.status, 1, r.stderr);
    assert.deepEqual(readdirSync(dataDir), ['notes.txt']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unknown --columns roles are refused, naming the allowed roles, on every subcommand that reads a file', () => {
  for (const cmd of [
    ['import', FIXTURE, '--data-dir', path.join(tmpdir(), 'flywheel-never-created')],
    ['segments', FIXTURE],
    ['anomalies', FIXTURE],
    ['eval', '--input', FIXTURE, '--split-date', '1998-02-10'],
  ]) {
    const r = flywheel([...cmd, '--format', 'tsv', '--columns', 'usr,item,rating,timestamp', '--no-header']);
    assert.equal(r.status, 2, `${cmd[0]}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /--columns: unknown column role "usr" \(allowed: id, user, session, item, type, timestamp, quantity, price, rating, title, category, or - to skip a column\)/,
    );
    assertOneLine(r.stderr);
  }
  assert.equal(existsSync(path.join(tmpdir(), 'flywheel-never-created')), false);
});

test(
  "one writer per data dir: import into a running gateway's dir and a second gateway are refused naming the pid; a stale lock is taken over",
  { timeout: 120_000 },
  async () => {
    const dir = tmp();
    try {
      const dataDir = path.join(dir, 'data');
      const port = await freePort();
      const gateway = await startServeProcess(['serve', '--data-dir', dataDir], port);
      try {
        const r = flywheel(['import', FIXTURE, ...MOVIELENS, '--data-dir', dataDir]);
        assert.equal(r.status, 2, r.stdout + r.stderr);
        assert.match(r.stderr, new RegExp(`data dir .* is in use by pid ${gateway.pid} \\(flywheel gateway`));
        assertOneLine(r.stderr);
        const second = flywheel(['serve', '--data-dir', dataDir, '--port', String(await freePort())]);
        assert.equal(second.status, 2, second.stdout + second.stderr);
        assert.match(second.stderr, new RegExp(`in use by pid ${gateway.pid}`));
        // The running gateway was not disturbed.
        assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      } finally {
        gateway.kill('SIGTERM');
        await waitForExit(gateway);
      }
      assert.equal(existsSync(path.join(dataDir, 'flywheel.lock')), false, 'released on shutdown');

      // A lock left by a process that died (kill -9) is stale: taken over.
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      writeFileSync(
        path.join(dataDir, 'flywheel.lock'),
        JSON.stringify({ pid: Number(dead.stdout), purpose: 'flywheel gateway', host: 'h', since: '2026-01-01T00:00:00Z' }),
      );
      const r = flywheel(['import', FIXTURE, ...MOVIELENS, '--data-dir', dataDir]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(existsSync(path.join(dataDir, 'flywheel.lock')), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('lines the reader refuses are dead letters with their reason and line number, read back by a gateway on the data dir', { timeout: 120_000 }, async () => {
  const dir = tmp();
  try {
    const dataDir = path.join(dir, 'data');
    const file = path.join(dir, 'mixed.csv');
    writeFileSync(
      file,
      [
        'user,item,type,timestamp',
        'u1,i1,VIEW,2011-01-01T00:00:00Z',
        'u2,i2,VIEW,2011-01-01T00:01:00Z',
        'u3,i3,VIEW,2011-01-01T00:02:00Z',
        'u4,,VIEW,2011-01-01T00:03:00Z',
        'u5,i5,VIEW,not-a-time',
      ].join('\n') + '\n',
    );
    const r = flywheel(['import', file, '--format', 'csv', '--data-dir', dataDir, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const port = await freePort();
    const gateway = await startServeProcess(['serve', '--data-dir', dataDir], port);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ deadLetters(first: 10) { source reason raw } }' }),
      });
      const body = (await res.json()) as { data?: { deadLetters: { source: string; reason: string; raw: string }[] }; errors?: unknown };
      assert.equal(body.errors, undefined, JSON.stringify(body.errors));
      const letters = body.data!.deadLetters.map((d) => ({ source: d.source, reason: d.reason }));
      assert.deepEqual(
        letters.sort((a, b) => a.source.localeCompare(b.source)),
        [
          { source: `import:${file}:5`, reason: 'missing item' },
          { source: `import:${file}:6`, reason: 'unparseable timestamp' },
        ],
      );
      assert.match(body.data!.deadLetters.find((d) => d.reason === 'unparseable timestamp')!.raw, /not-a-time/);
    } finally {
      gateway.kill('SIGTERM');
      await waitForExit(gateway);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
