import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const VSCODE = { name: 'vscode', message: 'Only src/vscode may import vscode.' };
const SSH2 = { name: 'ssh2', message: 'Only src/core/remote may use ssh2.' };
const EDITOR_CODE = {
  group: ['**/vscode/**', '!@vscode/**'],
  message:
    'Only src/vscode (and tests) may import src/vscode: move what is shared to src/core or src/panels.',
};
const UI_MODEL = { group: ['**/panels/**'], message: 'src/core must not depend on the panels (src/panels).' };

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
    // The core must run without VS Code (CLI, tests): keep the editor API and the editor's code out
    // of it. All SSH traffic goes through src/core/remote so quoting, host keys and secrets are
    // handled once.
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/remote/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [VSCODE, SSH2], patterns: [EDITOR_CODE, UI_MODEL] }],
    },
  },
  {
    files: ['src/core/remote/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [VSCODE], patterns: [EDITOR_CODE, UI_MODEL] }],
    },
  },
  {
    // The webview protocol and the panels' models: run by the extension and bundled into the
    // webviews, so neither the editor API nor Node's modules.
    files: ['src/panels/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [VSCODE, SSH2],
          patterns: [
            EDITOR_CODE,
            { group: ['node:*'], message: 'src/panels is bundled into the webviews: no Node modules.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts', 'src/server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [VSCODE, SSH2], patterns: [EDITOR_CODE] }],
    },
  },
  {
    // A webview talks to the extension through src/panels only.
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [VSCODE, SSH2], patterns: [EDITOR_CODE] }],
    },
  },
  {
    files: ['src/vscode/**/*.ts', 'test/ui/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [SSH2] }],
    },
  },
);
