#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is TypeScript compiled to dist/ by `npm run build` (run by `prepare` on npm ci).
try {
  require('../dist/src/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/main.js')) {
    console.error('flywheel is not built yet: run `npm run build` (npm ci does it for you).');
    process.exit(1);
  }
  throw err;
}
