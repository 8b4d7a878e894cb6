#!/usr/bin/env node
'use strict';
// Runs node:test over compiled test files. Node 20's `node --test` does not expand `**` globs, so the
// files are collected here: every dist/test/<suite>/**/*.test.js for the suites named on the command line.
const { readdirSync, statSync, existsSync } = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const suites = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
const root = path.resolve(__dirname, '..', 'dist', 'test');

function collect(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return collect(full);
    return name.endsWith('.test.js') ? [full] : [];
  });
}

const files = suites.flatMap((s) => collect(path.join(root, s))).sort();
if (files.length === 0) {
  console.error(`no test files found under dist/test/{${suites.join(',')}}; did the build run?`);
  process.exit(1);
}
// --test-force-exit: a client library that keeps a socket or timer alive after its test closed everything
// it opened (kafkajs after a broker restart, say) must not hang CI once every test has reported; a real
// leak shows up in the gateway's own shutdown tests instead.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-force-exit', ...passThrough, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
