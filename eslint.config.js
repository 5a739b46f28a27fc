// One lint config for the whole repository: typescript-eslint with type information, so promise misuse
// (no-floating-promises, no-misused-promises) is caught everywhere.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/gen/**', '**/dist/**', 'deploy/local/kafka/lib/**', 'signal-catalog/**/*.json'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: [
            '*.js',
            '*.mjs',
            'services/*/bin/*.js',
            'services/*/scripts/*.mjs',
            'bench/*.mjs',
            'deploy/local/*.mjs',
            'deploy/local/*/*.mjs',
          ],
        },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      'max-len': ['error', { code: 120, ignoreUrls: true, ignorePattern: '^\\s*// (eslint|prettier)' }],
    },
  },
  {
    // Not yet under max-len: these files are being shortened by their owners right now; remove each entry once its
    // lines fit in 120 characters. Generated code is exempt for good.
    files: [
      'services/gateway/**',
      'services/decoder/**',
      'test/gateway/**',
      'test/decoder/**',
      'bench/gateway.ts',
      'bench/decoder-service.ts',
      'services/cli/src/commands/start.ts',
      'services/cli/src/all-in-one/**',
      'services/api/src/adapters/pg-subscriptions.ts',
      'services/api/src/main.ts',
      'services/api/src/config.ts',
      'services/notifier/src/main.ts',
      '**/gen/**',
    ],
    rules: { 'max-len': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
