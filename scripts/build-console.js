#!/usr/bin/env node
'use strict';
// Builds the web console (console/src) into dist/console/ with esbuild: one ES-module entry plus chunks
// loaded on demand (the graph view's cytoscape), content-hashed names, minified, and a manifest the
// gateway reads to write the page (src/api/console.ts). Type checking is tsc's (console/tsconfig.json,
// run by `npm run build` before this); esbuild only strips types and bundles.
const { build } = require('esbuild');
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist', 'console');

async function main() {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.join(out, 'assets'), { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { console: 'console/src/main.tsx' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: false,
    legalComments: 'eof',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: path.join(out, 'assets'),
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const outputs = Object.entries(result.metafile.outputs);
  const name = (p) => path.basename(p);
  const entry = outputs.find(([, o]) => o.entryPoint === 'console/src/main.tsx');
  if (!entry) throw new Error('esbuild produced no entry for console/src/main.tsx');
  const manifest = {
    entry: name(entry[0]),
    css: entry[1].cssBundle ? [name(entry[1].cssBundle)] : [],
    files: outputs.map(([p]) => name(p)),
  };
  writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
