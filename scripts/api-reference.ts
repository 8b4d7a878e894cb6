import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, print, type GraphQLField, type GraphQLObjectType } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { resolvers } from '../resolvers/build-schema';
import { ERROR_CODES } from '../src/util/error-codes';

/**
 * Writes README.md's API reference between `<!-- api-reference:start -->` and `<!-- api-reference:end -->`
 * (`npm run api-reference:write`), or with `--check` fails when the README differs from what it would
 * write (`npm test` runs the check, after schema:check, so neither the schema nor the README can drift).
 *
 * - Root fields, arguments, return types and descriptions: schema/schema.graphql (graphql-js buildSchema).
 * - Roles: the `@Authorized(...)` metadata type-graphql recorded for the resolver methods (the same records
 *   its auth checker reads), so a constant such as ANALYSTS is resolved, not pattern-matched.
 * - Error codes: src/util/error-codes.ts, the list the code that raises errors takes its codes from.
 */
const ROOT = path.resolve(__dirname, '../..');
const README = path.join(ROOT, 'README.md');
const SCHEMA = path.join(ROOT, 'schema/schema.graphql');
const START = '<!-- api-reference:start -->';
const END = '<!-- api-reference:end -->';

type Operation = 'query' | 'mutation' | 'subscription';

/** Roles per operation and root field name, from type-graphql's metadata; `undefined`: no @Authorized. */
function rolesByRootField(): Map<string, readonly string[] | undefined> {
  void resolvers; // imported for its decorators, which fill the metadata storage
  const storage = getMetadataStorage();
  const byField = new Map<string, readonly string[] | undefined>();
  const lists: [Operation, { schemaName: string; methodName: string; target: object }[]][] = [
    ['query', storage.queries],
    ['mutation', storage.mutations],
    ['subscription', storage.subscriptions],
  ];
  for (const [operation, defs] of lists) {
    for (const def of defs) {
      const onMethod = storage.authorizedFields.find((a) => a.target === def.target && a.fieldName === def.methodName);
      const onClass = storage.authorizedResolver.find((a) => a.target === def.target);
      byField.set(`${operation} ${def.schemaName}`, (onMethod ?? onClass)?.roles as string[] | undefined);
    }
  }
  return byField;
}

/** One line for a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');
}

function describeRoles(roles: readonly string[] | undefined): string {
  if (roles === undefined) return 'anyone (no `@Authorized`)';
  if (roles.length === 0) return 'any authenticated caller';
  // the auth checker (src/auth/policy.ts) lets admin do everything
  return [...roles, ...(roles.includes('admin') ? [] : ['admin'])].join(', ');
}

function signature(field: GraphQLField<unknown, unknown>): string {
  const args = field.args.map((arg) => {
    const node = arg.astNode;
    const defaultValue = node?.defaultValue ? ` = ${print(node.defaultValue)}` : '';
    return `${arg.name}: ${String(arg.type)}${defaultValue}`;
  });
  return args.length > 0 ? `${field.name}(${args.join(', ')})` : field.name;
}

export function renderApiReference(sdl: string): string {
  const schema = buildSchema(sdl);
  const roles = rolesByRootField();
  const roots: [Operation, GraphQLObjectType | null | undefined][] = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ];
  const lines = [
    START,
    "<!-- Generated from schema/schema.graphql, the resolvers' @Authorized roles and src/util/error-codes.ts by `npm run api-reference:write`; `npm test` fails when it is stale. Do not edit. -->",
    '',
    '| operation | field and arguments | returns | roles | what it does |',
    '|---|---|---|---|---|',
  ];
  let count = 0;
  for (const [operation, type] of roots) {
    if (!type) continue;
    for (const field of Object.values(type.getFields())) {
      const key = `${operation} ${field.name}`;
      if (!roles.has(key)) throw new Error(`${key} is in schema/schema.graphql but no resolver declares it: is the schema stale (npm run schema:write)?`);
      lines.push(
        `| ${operation} | \`${cell(signature(field))}\` | \`${String(field.type)}\` | ${describeRoles(roles.get(key))} | ${cell(field.description ?? '')} |`,
      );
      count++;
    }
  }
  lines.push(
    '',
    `${count} root fields. Roles apply with authentication on (\`FLYWHEEL_AUTH\`); a shopper also acts only for their own user`,
    '(see "Access rules").',
    '',
    'Error codes (`extensions.code`):',
    '',
    '| code | meaning |',
    '|---|---|',
    ...ERROR_CODES.map(({ code, meaning }) => `| \`${code}\` | ${cell(meaning)} |`),
    END,
  );
  return lines.join('\n');
}

/** README with the section between the markers replaced; throws when the markers are missing. */
export function withApiReference(readme: string, section: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md needs the markers ${START} and ${END} (in that order)`);
  return readme.slice(0, start) + section + readme.slice(end + END.length);
}

function main(): void {
  const readme = readFileSync(README, 'utf8');
  const next = withApiReference(readme, renderApiReference(readFileSync(SCHEMA, 'utf8')));
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error("README.md's API reference is stale: run `npm run build && npm run api-reference:write` and commit the result");
      process.exit(1);
    }
    console.log("README.md's API reference is up to date");
    return;
  }
  writeFileSync(README, next);
  console.log(next === readme ? 'README.md unchanged' : 'wrote the API reference into README.md');
}

if (require.main === module) main();
