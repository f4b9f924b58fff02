import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The core must run without VS Code (CLI, tests): keep the editor API out of it.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'vscode', message: 'src/core must not depend on the VS Code API.' }] },
      ],
    },
  },
  {
    // All SSH traffic goes through src/core/remote so quoting, host keys and secrets are handled once.
    files: ['src/**/*.ts'],
    ignores: ['src/core/remote/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'ssh2', message: 'Only src/core/remote may use ssh2.' },
            { name: 'vscode', message: 'Only src/vscode may import vscode.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/vscode/**/*.ts', 'test/ui/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'ssh2', message: 'Only src/core/remote may use ssh2.' }] },
      ],
    },
  },
);
