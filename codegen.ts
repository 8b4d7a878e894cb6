import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for the operations kept in schema/operations/, generated from the committed schema
 * (which is itself printed from the code). The end-to-end tests import these as a frontend would;
 * the persisted-documents manifest is what a safelist mode can accept.
 * Regenerate with `npm run codegen` after changing the schema or an operation.
 */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['schema/operations/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'src/generated/graphql/': {
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: 'sha256' },
      },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string' },
      },
    },
    // The web console's own operations, as strings (no graphql-js in the browser bundle), each with its
    // persisted-document hash so the console works in safelist mode too.
    'console/src/generated/': {
      documents: ['schema/operations/console.graphql'],
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: 'sha256' },
      },
      config: {
        documentMode: 'string',
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string' },
      },
    },
  },
};

export default config;
