// Activation cost, measured honestly: the size of dist/extension.js (everything activation
// requires: one bundle) and the time Node takes to load and evaluate it with a minimal vscode
// stub. That is NOT VS Code's real activation time (no extension host, no API proxies).
import { statSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';

const bundle = join(__dirname, '..', 'dist', 'extension.js');
const bytes = statSync(bundle).size;
// Every vscode.* name is a do-nothing class: enough to evaluate the module, nothing more.
const NAMES = [
  'TreeItem',
  'EventEmitter',
  'ThemeIcon',
  'ThemeColor',
  'Disposable',
  'Uri',
  'Range',
  'Diagnostic',
  'FileSystemError',
  'MarkdownString',
  'TabInputText',
  'window',
  'workspace',
  'commands',
  'languages',
  'l10n',
  'env',
  'TreeItemCollapsibleState',
  'FileType',
  'ProgressLocation',
  'StatusBarAlignment',
  'DiagnosticSeverity',
  'ViewColumn',
];
const stub = Object.fromEntries(NAMES.map((n) => [n, class {}]));
const load = (Module as unknown as { _load: (r: string, ...a: unknown[]) => unknown })._load;
(Module as unknown as { _load: unknown })._load = (request: string, ...rest: unknown[]) =>
  request === 'vscode' ? stub : load(request, ...rest);
const start = performance.now();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the bundle as VS Code does
require(bundle);
const ms = performance.now() - start;
console.log(
  `activation: dist/extension.js ${(bytes / 1024).toFixed(0)} KB (goal <= 300 KB: ${bytes <= 300 * 1024 ? 'met' : 'NOT met'}); require+evaluate with a vscode stub ${ms.toFixed(0)} ms (goal < 100 ms: ${ms < 100 ? 'met' : 'NOT met'}; not the real extension-host time)`,
);
