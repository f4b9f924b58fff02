// Activation cost (goals: <= 300 KB loaded, < 100 ms): bytes of the extension's files
// that activation actually requires, and the time of require + activate(), for the split build
// in dist/ and for everything in one bundle (as before the split, built here the same way).
// Also: the time until the tree's first rows from mailwright.yaml, and what that loaded.
//
// Each figure comes from a fresh Node process that loads the bundle the way VS Code's extension
// host does (require, then activate(context)) against a recording stand-in of the `vscode` API
// with a real workspace folder; it is not the extension host itself (no API proxies, no IPC),
// so absolute times are Node's. Run `npm run package` first for the shipped (minified) figures.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = join(__dirname, '..');
const SPLIT = join(ROOT, 'dist', 'extension.js');
const KB = 1024;
const GOAL_BYTES = 300 * KB;
const GOAL_MS = 100;
const RUNS = 5;

interface Measurement {
  requireMs: number;
  activateMs: number;
  /** CPU time of require + activate() (user + system): less sensitive to a busy machine. */
  cpuMs: number;
  /** Extension files (not Node built-ins) in require.cache after activate(). */
  files: { path: string; bytes: number }[];
  treeMs: number;
  treeRows: number;
  treeFiles: string[];
}

/** The child: a vscode stand-in, then require + activate + the tree's first rows. Plain JS. */
const CHILD = String.raw`
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const [bundle, workspace] = process.argv.slice(-2);
class Disposable { constructor(f) { this.f = f; } dispose() { this.f?.(); } static from(...d) { return new Disposable(() => d.forEach((x) => x.dispose())); } }
class EventEmitter { constructor() { this.l = new Set(); this.event = (f) => (this.l.add(f), new Disposable(() => this.l.delete(f))); } fire(e) { for (const f of this.l) f(e); } dispose() { this.l.clear(); } }
class Uri { constructor(scheme, p) { this.scheme = scheme; this.path = p; this.fsPath = p; this.authority = ''; }
  static file(p) { return new Uri('file', p); } static joinPath(u, ...p) { return new Uri(u.scheme, path.join(u.path, ...p)); }
  static from(c) { return new Uri(c.scheme, c.path); } static parse(s) { return new Uri('file', s); } toString() { return this.scheme + '://' + this.path; } }
class FileSystemError extends Error { static FileNotFound(m) { return new FileSystemError(String(m)); } }
const calls = new Map();
// Anything not modelled below: a callable, constructible object whose members are the same
// (so an API we forgot cannot break activation), and which counts its use.
const any = (name) => new Proxy(function () {}, {
  get: (_t, k) => (k === 'then' ? undefined : k === 'dispose' ? () => {} : any(name + '.' + String(k))),
  apply: () => (calls.set(name, (calls.get(name) ?? 0) + 1), any(name + '()')),
  construct: () => any('new ' + name),
});
const output = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, append() {}, appendLine() {}, show() {}, dispose() {} };
let treeProvider;
const vscode = new Proxy({
  Disposable, EventEmitter, Uri, FileSystemError,
  TreeItem: class { constructor(label, state) { this.label = label; this.collapsibleState = state; } },
  ThemeIcon: class { constructor(id, color) { this.id = id; this.color = color; } },
  ThemeColor: class { constructor(id) { this.id = id; } },
  MarkdownString: class { constructor(v = '') { this.value = v; } appendMarkdown(s) { this.value += s; return this; } appendText(s) { this.value += s; return this; } },
  Range: class { constructor(...a) { this.a = a; } },
  Diagnostic: class { constructor(r, m, s) { this.range = r; this.message = m; this.severity = s; } },
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  StatusBarAlignment: { Left: 1, Right: 2 }, DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
  l10n: { t: (s, ...a) => String(s).replace(/\{(\d+)\}/g, (_m, i) => String(a[i])) },
  window: new Proxy({
    createOutputChannel: () => output,
    createTreeView: (_id, o) => ((treeProvider = o.treeDataProvider), { onDidChangeSelection: () => new Disposable(), dispose() {} }),
    createStatusBarItem: () => ({ show() {}, hide() {}, dispose() {} }),
  }, { get: (t, k) => t[k] ?? any('window.' + String(k)) }),
  workspace: new Proxy({
    workspaceFolders: [{ uri: Uri.file(workspace), name: 'ws', index: 0 }],
    getConfiguration: () => ({ get: (_k, d) => d }),
    fs: { stat: async (u) => fs.promises.stat(u.fsPath).then(() => ({ type: 1 }), () => { throw new FileSystemError('no'); }), readFile: (u) => fs.promises.readFile(u.fsPath) },
  }, { get: (t, k) => t[k] ?? any('workspace.' + String(k)) }),
}, { get: (t, k) => t[k] ?? any(String(k)) });
// esbuild's import helper copies the module's own names: every namespace and enum needs one.
const ns = (name) => new Proxy({}, { get: (t, k) => t[k] ?? any(name + '.' + String(k)) });
const vscodeModule = Object.fromEntries(Reflect.ownKeys(vscode).map((k) => [k, vscode[k]]));
for (const n of ['languages', 'commands', 'env', 'extensions']) vscodeModule[n] = ns(n);
for (const n of ['FileType', 'FileChangeType', 'ProgressLocation', 'ViewColumn', 'TabInputText', 'CancellationTokenSource']) vscodeModule[n] = any(n);
const load = Module._load;
Module._load = function (request, ...rest) { return request === 'vscode' ? vscodeModule : load.call(this, request, ...rest); };
const extensionFiles = () => Object.keys(require.cache).filter((f) => !f.startsWith('node:'));
(async () => {
  const before = new Set(extensionFiles());
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ext = require(bundle);
  const t1 = performance.now();
  ext.activate({ subscriptions: [], secrets: any('secrets'), extensionUri: Uri.file(path.dirname(path.dirname(bundle))), extensionPath: path.dirname(path.dirname(bundle)) });
  const t2 = performance.now();
  const cpu = process.cpuUsage(c0);
  const files = extensionFiles().filter((f) => !before.has(f)).map((f) => ({ path: f, bytes: fs.statSync(f).size }));
  const rows = await treeProvider.getChildren();
  const t3 = performance.now();
  const treeFiles = extensionFiles().filter((f) => !before.has(f));
  process.stdout.write(JSON.stringify({ requireMs: t1 - t0, activateMs: t2 - t1, cpuMs: (cpu.user + cpu.system) / 1000, files, treeMs: t3 - t0, treeRows: rows.length, treeFiles }));
  process.exit(0); // facts of the example host were asked for in the background: not measured
})();
`;

function measure(bundle: string, workspace: string): Measurement {
  const r = spawnSync(process.execPath, ['-e', CHILD, '--', bundle, workspace], {
    encoding: 'utf8',
    cwd: ROOT,
  });
  if (r.status !== 0) throw new Error(`measuring ${bundle} failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as Measurement;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Everything the split build has, in one bundle, built with the same options as dist/. */
async function buildSingleBundle(dir: string, minify: boolean): Promise<string> {
  const features = readdirSync(join(ROOT, 'src/vscode/features')).map((f) => basename(f, '.ts'));
  const entry = join(dir, 'single.ts');
  writeFileSync(
    entry,
    [
      `export * from ${JSON.stringify(join(ROOT, 'src/vscode/extension'))};`,
      ...features.map((f) => `import ${JSON.stringify(join(ROOT, 'src/vscode/features', f))};`),
    ].join('\n'),
  );
  const outfile = join(dir, 'dist', 'extension.js');
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode', 'cpu-features', '*.node'],
    logLevel: 'error',
  });
  return outfile;
}

function report(label: string, runs: Measurement[]) {
  const bytes = runs[0]!.files.reduce((n, f) => n + f.bytes, 0);
  const requireMs = median(runs.map((r) => r.requireMs));
  const activateMs = median(runs.map((r) => r.activateMs));
  const treeMs = median(runs.map((r) => r.treeMs));
  const cpuMs = median(runs.map((r) => r.cpuMs));
  const short = (file: string) =>
    file.replace(ROOT + '/', '').replace(/^.*mailwright-bench-activation-[^/]+\//, '(one bundle) ');
  const list = runs[0]!.files.map((f) => `${short(f.path)} ${(f.bytes / KB).toFixed(0)} KB`);
  console.log(`${label}:`);
  console.log(
    `  loaded at activation: ${(bytes / KB).toFixed(0)} KB in ${list.length} file(s): ${list.join(', ')}`,
  );
  console.log(
    `  require ${requireMs.toFixed(1)} ms + activate() ${activateMs.toFixed(1)} ms = ${(requireMs + activateMs).toFixed(1)} ms (median of ${runs.length}; CPU time ${cpuMs.toFixed(1)} ms)`,
  );
  const treeFiles = runs[0]!.treeFiles.map(short);
  console.log(
    `  tree's first rows (${runs[0]!.treeRows} host) ${treeMs.toFixed(1)} ms after require; files loaded by then: ${treeFiles.join(', ')}`,
  );
  return { bytes, ms: requireMs + activateMs };
}

async function main() {
  if (!existsSync(SPLIT)) throw new Error(`${SPLIT} missing: run npm run build (or npm run package)`);
  // dist/ is minified after npm run package: compare with a single bundle built the same way.
  const minified = !existsSync(`${SPLIT}.map`) || statSync(`${SPLIT}.map`).mtimeMs < statSync(SPLIT).mtimeMs;
  const dir = mkdtempSync(join(tmpdir(), 'mailwright-bench-activation-'));
  try {
    const workspace = join(dir, 'workspace');
    mkdirSync(workspace);
    writeFileSync(
      join(workspace, 'mailwright.yaml'),
      'version: 1\nhosts:\n  - name: example\n    ssh: root@127.0.0.1:1\n    auth: agent\n    mailHost: smtp.example.test\n    domains:\n      - name: example.test\n',
    );
    const single = await buildSingleBundle(dir, minified);
    // Times on a busy machine (other builds and tests) are longer: say how busy it was.
    console.log(`load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`);
    const split = report(
      `split build (dist/, ${minified ? 'minified' : 'not minified: npm run package for the shipped figures'})`,
      Array.from({ length: RUNS }, () => measure(SPLIT, workspace)),
    );
    const old = report(
      'everything in one bundle (before the split)',
      Array.from({ length: RUNS }, () => measure(single, workspace)),
    );
    console.log(
      `activation: ${(split.bytes / KB).toFixed(0)} KB (goal <= 300 KB: ${split.bytes <= GOAL_BYTES ? 'met' : 'NOT met'}; one bundle: ${(old.bytes / KB).toFixed(0)} KB, ${(old.bytes / split.bytes).toFixed(1)}x more), ` +
        `${split.ms.toFixed(1)} ms (goal < ${GOAL_MS} ms: ${split.ms < GOAL_MS ? 'met' : 'NOT met'}; one bundle: ${old.ms.toFixed(1)} ms, ${(old.ms / split.ms).toFixed(1)}x slower)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
void main().catch((e: Error) => {
  console.error(e.message);
  process.exitCode = 1;
});
