import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist',
      'dist-*',
      'test-results-*',
      'node_modules',
      'public',
      'test-results',
      'playwright-report',
      'bench/out',
      '.gpubench',
      '.gpurun',
      '.gl',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}', 'src/main.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules },
  },
  {
    // The engine's public surface: outside the engine and the worker that runs it (src/worker/host), code
    // imports the engine only through engine/index.ts (`../engine`) or, for values on the main thread,
    // engine/plain.ts (the tensor-free part: importing engine/index.ts there would put TensorFlow.js into the
    // page's bundle). The page's code (state, ui, the worker's client and protocol) imports only types from
    // engine/index.ts; the CLI may import anything from it.
    files: [
      'src/state/**/*.{ts,tsx}',
      'src/ui/**/*.{ts,tsx}',
      'src/worker/client/**/*.ts',
      'src/worker/protocol/**/*.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+engine/(?!plain$)',
              message: 'Import the engine through ../engine (types) or ../engine/plain (values).',
            },
            {
              regex: '^(\\.\\./)+engine$',
              allowTypeImports: true,
              message:
                'On the main thread import engine values from ../engine/plain (../engine loads TensorFlow.js).',
            },
          ],
        },
      ],
    },
  },
  {
    // The CLI and the model importers (which run in the worker, loaded on first use, and in the CLI) import
    // the engine only through its public surface. The importers never load on the page, so engine/index.ts
    // (TensorFlow.js) is fine there: the spec and format code they need is not tensor-free.
    files: ['src/cli/**/*.ts', 'src/importers/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+engine/',
              message: 'Import the engine through its public surface, ../engine (engine/index.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    // The engine never reads GPU memory synchronously.
    files: ['src/engine/**/*.ts', 'src/worker/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='dataSync']", message: 'Use await tensor.data().' },
        {
          selector: "CallExpression[callee.property.name='arraySync']",
          message: 'Use await tensor.array().',
        },
      ],
    },
  },
);
