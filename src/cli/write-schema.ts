import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildGatewaySchema } from '../../resolvers/build-schema';

/**
 * Writes schema/schema.graphql from the code (`npm run schema:write`), or with `--check` fails when
 * the committed file differs from what the code produces (CI runs the check).
 */
const SCHEMA_FILE = path.resolve(__dirname, '../../../schema/schema.graphql');

async function main(): Promise<void> {
  const schema = await buildGatewaySchema();
  const text = `# Generated from graph-models/ and resolvers/ by \`npm run schema:write\`. Do not edit.\n\n${printSchema(lexicographicSortSchema(schema))}\n`;
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(SCHEMA_FILE, 'utf8');
    } catch {
      /* missing counts as stale */
    }
    if (current !== text) {
      console.error('schema/schema.graphql is stale: run `npm run build && npm run schema:write` and commit the result');
      process.exit(1);
    }
    console.log('schema/schema.graphql is up to date');
    return;
  }
  writeFileSync(SCHEMA_FILE, text);
  console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
