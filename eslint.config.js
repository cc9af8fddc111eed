// Lint rules, including the module boundaries: the core and the shared contract import neither electron
// nor react, and the renderer never imports electron or Node modules.
import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'os',
  'child_process',
  'crypto',
  'http',
  'net',
  'url',
  'util',
  'worker_threads',
]

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'coverage/**',
      '.scratch/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: [
      '**/*.{js,mjs,cjs}',
      'scripts/**',
      'bin/**',
      'tests/**',
      'bench/**',
      '*.config.ts',
      'src/main/**',
      'src/preload/**',
    ],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['src/main/core/**', 'src/main/server/**', 'src/main/cli.ts', 'src/main/data-dir.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The core must not depend on Electron; receive what you need as arguments.' },
            { name: 'react', message: 'The core must not depend on React.' },
          ],
          patterns: [
            {
              group: ['react-dom', 'react-dom/*', '**/renderer/**', '**/preload/**'],
              message: 'The core must not import UI code.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/shared/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'Shared code runs everywhere; no Electron.' },
            { name: 'react', message: 'Shared code runs everywhere; no React.' },
          ],
          patterns: [{ group: nodeBuiltins, message: 'Shared code also runs in the renderer; no Node modules.' }],
        },
      ],
    },
  },
  {
    // The export check loads exports as a deploying team would; it must share no code with the writer.
    files: ['src/main/export-runtime/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!node:|\\./|@tensorflow/tfjs$|onnxruntime-node$)',
              message:
                'The export runtime imports only Node built-ins, @tensorflow/tfjs, onnxruntime-node and its own folder.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer reaches the core only through src/renderer/src/api.ts.' }],
          patterns: [
            { group: nodeBuiltins, message: 'The renderer is sandboxed: no Node modules.' },
            {
              group: ['**/main/**', '**/preload/**', 'better-sqlite3'],
              message: 'The renderer reaches the core only through api.ts.',
            },
          ],
        },
      ],
    },
  },
)
