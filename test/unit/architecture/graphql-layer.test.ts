import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Every GraphQL type class is declared in graph-models/ (no @ObjectType / @InputType / @ArgsType /
 * @InterfaceType in src/ or resolvers/). The direction of the GraphQL layer (src/api -> resolvers ->
 * graph-models -> the domain, which imports no GraphQL) is checked by the dependency rules
 * (.dependency-cruiser.cjs, `npm run lint:deps`).
 */
const ROOT = path.resolve(__dirname, '../../../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'generated' ? [] : sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

test('every GraphQL type class is declared in graph-models', () => {
  const product = ['src', 'resolvers'].flatMap((d) => sourceFiles(path.join(ROOT, d)));
  assert.ok(product.length > 50, `read ${product.length} files: is the product where this test looks (${ROOT})?`);
  const found = product.filter((f) => /@(ObjectType|InputType|ArgsType|InterfaceType)\(/.test(readFileSync(f, 'utf8'))).map((f) => path.relative(ROOT, f));
  assert.deepEqual(found, []);
});
