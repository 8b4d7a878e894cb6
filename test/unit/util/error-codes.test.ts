import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CODES, ErrorCode } from '../../../src/util/error-codes';

/**
 * src/util/error-codes.ts is the one list of `extensions.code` values (README's error table is generated
 * from it). Code that still writes a code as a string literal (`code: 'NOT_FOUND'`) must name one of the
 * list, and every code of the list must be raised somewhere, so the README neither misses nor invents one.
 */
const ROOT = path.resolve(__dirname, '../../../..');
const LIST = path.join(ROOT, 'src/util/error-codes.ts');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'generated' ? [] : sources(full);
    return name.endsWith('.ts') && full !== LIST ? [full] : [];
  });
}

const files = ['src', 'resolvers', 'graph-models'].flatMap((d) => sources(path.join(ROOT, d)));
const text = new Map(files.map((f) => [path.relative(ROOT, f), readFileSync(f, 'utf8')]));
const known = new Set<string>(ERROR_CODES.map((e) => e.code));

test('every error code written as a literal is in src/util/error-codes.ts', () => {
  assert.ok(text.size > 50, `read ${text.size} files: is the product where this test looks (${ROOT})?`);
  const unknown: string[] = [];
  for (const [file, source] of text) {
    // `code: 'X'` in an extensions object, `extensions.code === 'X'` in a check
    for (const m of source.matchAll(/\bcode: '([A-Z][A-Z0-9_]+)'|extensions\??\.code [!=]== '([A-Z][A-Z0-9_]+)'/g)) {
      const code = m[1] ?? m[2]!;
      if (!known.has(code)) unknown.push(`${file}: ${code}`);
    }
  }
  assert.deepEqual(unknown, [], 'add these codes (with their meaning) to src/util/error-codes.ts, then npm run api-reference:write');
});

test('every code of the list is raised somewhere', () => {
  const unused = [...known].filter((code) => ![...text.values()].some((s) => s.includes(`ErrorCode.${code}`) || s.includes(`'${code}'`)));
  assert.deepEqual(unused, [], 'codes in src/util/error-codes.ts that nothing raises: remove them (and rewrite the README table)');
});

test('ErrorCode constants are the codes themselves', () => {
  for (const { code } of ERROR_CODES) assert.equal(ErrorCode[code], code);
});
