import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The GraphQL layer points inward: src/api -> resolvers -> graph-models -> the domain under src/.
 *   - the domain folders know nothing of GraphQL: no graphql, type-graphql, Apollo or graphql-ws import,
 *     and nothing from src/api, resolvers or graph-models;
 *   - graph-models (the GraphQL types) import neither resolvers nor src/api; resolvers do not import src/api;
 *   - src/api reaches the types through resolvers only;
 *   - every GraphQL type class lives in graph-models (no @ObjectType / @InputType / @ArgsType elsewhere).
 * import-cycles.test.ts forbids cycles; this test fixes the direction of the GraphQL layer.
 */
const ROOT = path.resolve(__dirname, '../../../..');
const DOMAIN = ['recommend', 'segments', 'anomaly', 'ingest', 'graph', 'events', 'event-log', 'privacy', 'import'].map((d) => `src/${d}`);
const GRAPHQL_PACKAGE = /^(graphql|graphql-[\w-]+|type-graphql|@graphql-[\w-]+\/.+|@apollo\/.+|@escape\.tech\/graphql-armor)(\/.*)?$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

const rel = (file: string) => path.relative(ROOT, file).split(path.sep).join('/');
const under = (file: string, folder: string) => rel(file).startsWith(`${folder}/`);

/** [importing file, specifier, resolved product file or undefined] for every import of the files under `folder`. */
function importsOf(folder: string): [string, string, string | undefined][] {
  const options: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, resolveJsonModule: true };
  return sourceFiles(path.join(ROOT, folder)).flatMap((file) =>
    ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((ref): [string, string, string | undefined] => {
      const resolved = ts.resolveModuleName(ref.fileName, file, options, ts.sys).resolvedModule?.resolvedFileName;
      return [rel(file), ref.fileName, resolved && !resolved.includes('node_modules') ? rel(resolved) : undefined];
    }),
  );
}

function forbidden(folders: string[], banned: (specifier: string, target: string | undefined) => boolean): string[] {
  return folders.flatMap((folder) => importsOf(folder).filter(([, spec, target]) => banned(spec, target)).map(([file, spec]) => `${file} imports ${spec}`));
}

test('the domain folders import no GraphQL package and nothing of the GraphQL layer', () => {
  const found = forbidden(DOMAIN, (spec, target) => GRAPHQL_PACKAGE.test(spec) || (target !== undefined && (target.startsWith('src/api/') || target.startsWith('resolvers/') || target.startsWith('graph-models/'))));
  assert.deepEqual(found, []);
});

test('graph-models import neither resolvers nor src/api; resolvers do not import src/api; src/api reaches graph-models through resolvers', () => {
  const found = [
    ...forbidden(['graph-models'], (_spec, target) => target !== undefined && (target.startsWith('resolvers/') || target.startsWith('src/api/'))),
    ...forbidden(['resolvers'], (_spec, target) => target !== undefined && (target.startsWith('src/api/') || target.startsWith('src/cli/'))),
    ...forbidden(['src/api'], (_spec, target) => target !== undefined && target.startsWith('graph-models/')),
  ];
  assert.deepEqual(found, []);
});

test('every GraphQL type class is declared in graph-models', () => {
  const product = ['src', 'resolvers'].flatMap((d) => sourceFiles(path.join(ROOT, d))).filter((f) => !under(f, 'src/generated'));
  const found = product.filter((f) => /@(ObjectType|InputType|ArgsType|InterfaceType)\(/.test(readFileSync(f, 'utf8'))).map(rel);
  assert.deepEqual(found, []);
});
