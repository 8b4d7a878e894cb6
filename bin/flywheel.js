#!/usr/bin/env -S node --max-semi-space-size=64
'use strict';
// Thin launcher: the CLI is TypeScript compiled to dist/ by `npm run build` (run by `prepare` on npm ci).
// The shebang sizes the young generation for a server's request garbage: with Node's default 16 MB
// semi-space, scavenges next to a multi-GB in-memory graph took 16 % of the time and pushed the GraphQL
// p99 over 20 ms on the 5M-interaction benchmark (BENCHMARKS.md, "Over GraphQL"). `node bin/flywheel.js`
// (as the tests run it) skips the shebang; set NODE_OPTIONS=--max-semi-space-size=64 there.

// graphql-js picks, when it is first loaded, between a plain `instanceof` and a development variant that
// looks for duplicate graphql copies on every failed type test (about a tenth of the execution time of a
// recommendations query). Flywheel gives NODE_ENV its own meaning (production = authentication required),
// so graphql is loaded in its production form here, whatever NODE_ENV says; package-lock.json holds a
// single graphql copy, which is what the development check guards against.
const nodeEnv = process.env.NODE_ENV;
process.env.NODE_ENV = 'production';
require('graphql');
if (nodeEnv === undefined) delete process.env.NODE_ENV;
else process.env.NODE_ENV = nodeEnv;

try {
  require('../dist/src/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/main.js')) {
    console.error('flywheel is not built yet: run `npm run build` (npm ci does it for you).');
    process.exit(1);
  }
  throw err;
}
