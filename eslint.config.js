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
            'deploy/k8s/*.mjs',
            'deploy/observability/*/*.mjs',
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
    // Generated code keeps its generator's lines.
    files: ['**/gen/**'],
    rules: { 'max-len': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
