// Lint rules: typescript-eslint's type-aware recommended set, so `any` and floating promises are caught.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'scripts/', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // node:test's test() returns a promise the runner itself awaits.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  // The web view's page runs in the browser: plain JavaScript modules, linted without type information.
  { files: ['src/sinks/web/client/**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['src/sinks/web/client/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: {
        window: 'readonly', document: 'readonly', EventSource: 'readonly', IntersectionObserver: 'readonly', requestAnimationFrame: 'readonly',
        setTimeout: 'readonly', setInterval: 'readonly', uPlot: 'readonly',
      },
    },
  },
  // Example user sinks are plain JavaScript outside the TypeScript project: linted without type information.
  { files: ['examples/**/*.js', 'examples/**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['examples/**/*.js', 'examples/**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setTimeout: 'readonly' },
    },
  },
);
