// ESLint 9 flat config: `npm run lint` (with `prettier --check`). typescript-eslint's recommended rules without
// type information (the type-checked set needs a TypeScript program per run: slow, and tsc already checks types).
// Formatting is Prettier's alone: no stylistic rules here.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/', 'node_modules/', 'data/', '.backends/', 'src/generated/', 'console/src/generated/', 'artifacts/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        // type-graphql needs decorator metadata: an import used only as a type in a decorated signature is still
        // a runtime value there, so consistent-type-imports must know (it then leaves files with decorators alone)
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
      },
    },
  },
  {
    languageOptions: {
      globals: { ...globals.node },
    },
    rules: {
      // `import type` for imports used only as types: they vanish from the CommonJS output, and a reader sees
      // which imports are dependencies at run time (the dependency rules count both)
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      // Named exports only: one name per thing across the code (grep-able, renamed together), and no `.default`
      // interop in the CommonJS output tsc emits. Tool configs that must export a default are exempt below.
      'no-restricted-exports': ['error', { restrictDefaultExports: { direct: true, named: true, defaultFrom: true, namedFrom: true, namespaceFrom: true } }],
      // `_name` marks a value left unused on purpose (a property dropped by a rest destructuring, a callback's
      // position); `{ a: _a, ...rest }` is how the code omits a key
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // a destructuring that reassigns some of its names stays one `let`
      'prefer-const': ['error', { destructuring: 'all' }],
      // prom-client calls a metric's collect() with the metric as `this`; `self` is the owner it reads from
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
    },
  },
  {
    // The web console runs in the browser (bundled by esbuild, checked by console/tsconfig.json).
    files: ['console/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['codegen.ts', '*.config.mjs'],
    rules: { 'no-restricted-exports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: {
      // plain Node scripts (bin/, scripts/, tool configs) load their dependencies with require()
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
);
