import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// src/experiments is a pure domain: the experiments service, the GraphQL API, the attribution stage and the
// simulator call it; it imports none of them (nor the graph, the log or the app), only its own files, node's
// built-ins and the @stdlib distribution functions.
test('src/experiments imports only itself, node: built-ins and @stdlib', () => {
  const dir = path.resolve(__dirname, '..', '..', '..', '..', 'src', 'experiments');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 8, `found ${files.length} files in ${dir}`);
  for (const f of files) {
    const source = readFileSync(path.join(dir, f), 'utf8');
    for (const m of source.matchAll(/from\s+'([^']+)'/g)) {
      const spec = m[1]!;
      assert.ok(spec.startsWith('./') || spec.startsWith('node:') || spec.startsWith('@stdlib/'), `${f} imports ${spec}`);
    }
  }
});
