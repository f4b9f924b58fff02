// Bundles the extension, the CLI and the webview front ends with esbuild.
//
// The extension is several CommonJS bundles: dist/extension.js (what activation loads: config,
// tree, command registration) and one dist/features/<name>.js per src/vscode/features/<name>.ts,
// loaded on first use by src/vscode/lazy.ts. Code shared by two features is copied into both,
// except src/core/remote (ssh2, the connection pool): every bundle requires it from
// dist/features/remote.js, so one pool exists and ssh2 is loaded once; and the big packages
// (dist/features/vendor/*.js), so each is on disk and in memory once (yaml is among them, and
// dist/extension.js requires it too: reading mailwright.yaml is part of activation).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { backupBundleOptions, checkBundleOptions, renewBundleOptions } from './renew-bundle.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  target: 'node20',
  platform: 'node',
  format: 'cjs',
  // ssh2 tries an optional native crypto addon and cpu-features; both fall back to pure JS.
  external: ['vscode', 'cpu-features', '*.node'],
};

const FEATURES_DIR = 'src/vscode/features';
const features = readdirSync(FEATURES_DIR)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => basename(f, '.ts'));
// lazy.ts types each bundle from its source: a feature it does not know could never be loaded.
const lazySource = readFileSync('src/vscode/lazy.ts', 'utf8');
for (const name of features) {
  if (!lazySource.includes(`${name}: typeof import('./features/${name}')`)) {
    throw new Error(`${FEATURES_DIR}/${name}.ts has no entry in src/vscode/lazy.ts Features: add it there`);
  }
}

const REMOTE_INDEX = resolve('src/core/remote/index.ts');
/**
 * Imports of src/core/remote become require('./remote.js'): the remote bundle owns SSH state.
 * (In dist/extension.js such a require would load SSH at activation: checkExtensionBundles fails then.)
 */
function remoteFromItsBundle() {
  return {
    name: 'remote-from-its-bundle',
    setup(build) {
      build.onResolve({ filter: /(^|\/)remote(\/index)?$/ }, (args) => {
        if (args.kind !== 'import-statement' && args.kind !== 'require-call') return undefined;
        const target = resolve(args.resolveDir, args.path);
        if (
          target + '.ts' !== REMOTE_INDEX &&
          target + '/index.ts' !== REMOTE_INDEX &&
          target !== REMOTE_INDEX
        )
          return undefined;
        return { path: './remote.js', external: true };
      });
    },
  };
}

// Big packages that several bundles use get one bundle each, dist/features/vendor/<name>.js, that
// every bundle requires, instead of a copy per bundle (yaml alone was ~80 KB minified in each).
// Only packages imported statically: an external import() of a CommonJS bundle gets a namespace
// without the named exports (execa, ESM-only and import()ed, stays inlined).
const VENDOR = ['mailauth', 'nodemailer', 'acme-client', 'dns-packet', 'yaml'];
// Of those, what activation needs anyway (mailwright.yaml is read to draw the tree).
const ACTIVATION_VENDOR = ['yaml'];
/** Imports of a VENDOR package become a require of its bundle, relative to the importer's outdir. */
function vendorFromItsBundle(outdir) {
  const names = new RegExp(`^(${VENDOR.map((v) => v.replace(/[-/]/g, '\\$&')).join('|')})$`);
  const prefix = outdir === 'dist' ? './features/vendor' : './vendor';
  return {
    name: 'vendor-from-its-bundle',
    setup(build) {
      build.onResolve({ filter: names }, (args) =>
        args.kind === 'dynamic-import'
          ? {
              errors: [
                {
                  text: `import('${args.path}') of a vendor bundle: its named exports would be missing; import it statically`,
                },
              ],
            }
          : { path: `${prefix}/${args.path}.js`, external: true },
      );
    },
  };
}

// Packages that must never be part of what activation loads.
const NOT_AT_ACTIVATION = [
  'ssh2',
  'acme-client',
  'mailauth',
  'nodemailer',
  'execa',
  'node-forge',
  'dns-packet',
];

const extensionBuilds = [
  {
    ...common,
    entryPoints: { extension: 'src/vscode/extension.ts' },
    outdir: 'dist',
    metafile: true,
    plugins: [remoteFromItsBundle(), vendorFromItsBundle('dist')],
  },
  ...features.map((name) => ({
    ...common,
    entryPoints: { [name]: join(FEATURES_DIR, `${name}.ts`) },
    outdir: 'dist/features',
    metafile: true,
    plugins:
      name === 'remote'
        ? [vendorFromItsBundle('dist/features')]
        : [remoteFromItsBundle(), vendorFromItsBundle('dist/features')],
  })),
  ...VENDOR.map((name) => ({
    ...common,
    // The package as it is: consumers' imports work as if it were bundled with them.
    stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: '.', loader: 'js' },
    outfile: `dist/features/vendor/${name}.js`,
    metafile: true,
  })),
];

// The CLI is ES modules split at each command's import(): a start loads dist/cli/bin.mjs (the
// command table, the parser, the output) and then only the chunks the command needs, e.g. plan
// and apply never load acme-client, mailauth or nodemailer. dist/cli.js (package.json's bin) is
// a CommonJS stub that imports it. Bundled CommonJS packages use require() and __dirname: each
// chunk gets its own.
const CLI_REQUIRE = [
  "import { createRequire as __cliCreateRequire } from 'node:module';",
  "import { fileURLToPath as __cliFileURLToPath } from 'node:url';",
  'const require = __cliCreateRequire(import.meta.url);',
  'const __filename = __cliFileURLToPath(import.meta.url);',
  "const __dirname = __cliFileURLToPath(new URL('.', import.meta.url));",
].join(' ');
const cliBuild = {
  ...common,
  format: 'esm',
  splitting: true,
  entryPoints: { bin: 'src/cli/bin.ts' },
  outdir: 'dist/cli',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  banner: { js: CLI_REQUIRE },
};
const CLI_STUB = `#!/usr/bin/env node
// mailwright: the command line is dist/cli/bin.mjs and the chunks it loads (scripts/build.mjs).
import('./cli/bin.mjs').catch((e) => {
  console.error(e);
  process.exit(1);
});
`;

const builds = [...extensionBuilds, cliBuild];
// The certificate renewal that runs on servers, from their timer (see scripts/renew-bundle.mjs).
builds.push(renewBundleOptions);
// The server checks that run from their timer, a sibling of the renewal program (same options).
builds.push(checkBundleOptions);
// The scheduled backups, likewise.
builds.push(backupBundleOptions);
// Webview front ends: browser code with its style sheet, served from dist/webview only.
builds.push({
  bundle: true,
  sourcemap: production ? false : 'inline',
  minify: production,
  logLevel: 'info',
  target: 'chrome120',
  platform: 'browser',
  format: 'iife',
  entryPoints: {
    dashboard: 'webview/dashboard/main.ts',
    'dashboard-style': 'webview/dashboard/style.css',
    dns: 'webview/dns/main.ts',
    'dns-style': 'webview/dns/style.css',
    'mail-report': 'webview/mail-report/main.ts',
    'mail-report-style': 'webview/mail-report/style.css',
    reports: 'webview/reports/main.ts',
    'reports-style': 'webview/reports/style.css',
  },
  outdir: 'dist/webview',
  entryNames: '[name]',
});
// Tests that run inside VS Code's extension host (test/ui starts them); never packaged.
if (existsSync('test/vscode/index.ts')) {
  builds.push({
    ...common,
    entryPoints: { 'test/index': 'test/vscode/index.ts' },
    outdir: 'out',
    external: [...common.external, 'mocha'],
  });
}

/** Fails the build when activation would load a heavy package; prints each bundle's size. */
function checkExtensionBundles(results) {
  const rows = [];
  for (const result of results) {
    for (const [file, output] of Object.entries(result.metafile?.outputs ?? {})) {
      if (!file.endsWith('.js')) continue;
      const packages = new Set(
        Object.keys(output.inputs)
          .map((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1])
          .filter(Boolean),
      );
      if (file === 'dist/extension.js') {
        const needed = new Set(ACTIVATION_VENDOR.map((name) => `./features/vendor/${name}.js`));
        const eager = output.imports.filter((i) => i.external && /\.js$/.test(i.path) && !needed.has(i.path));
        if (eager.length) {
          throw new Error(
            `dist/extension.js requires ${eager.map((i) => i.path).join(', ')} when it loads: some module it imports pulls in src/core/remote (see "// src/..." above that require in the unminified bundle). Import types only, or load() it.`,
          );
        }
        const heavy = NOT_AT_ACTIVATION.filter((p) => packages.has(p));
        if (heavy.length) {
          throw new Error(
            `dist/extension.js contains ${heavy.join(', ')}: activation must not load them. Move the import behind load() (src/vscode/lazy.ts).`,
          );
        }
      }
      if (file !== 'dist/features/remote.js' && packages.has('ssh2')) {
        throw new Error(`${file} contains its own ssh2: import src/core/remote (its index), not its files`);
      }
      rows.push(`${file.padEnd(36)} ${(output.bytes / 1024).toFixed(0).padStart(6)} KB`);
    }
  }
  console.log(`extension bundles${production ? ' (minified)' : ''}:\n  ${rows.join('\n  ')}`);
}

/** The CLI's stub; the old chunks go first so dist/cli holds only what this build made. */
function writeCliStub() {
  writeFileSync('dist/cli.js', CLI_STUB, { mode: 0o755 });
}
rmSync('dist/cli', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });

if (watch) {
  writeCliStub();
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  const results = await Promise.allSettled(builds.map((b) => esbuild.build(b)));
  writeCliStub();
  // esbuild has printed its errors; the extension's own checks still run on what was built.
  const failed = results.filter((r) => r.status === 'rejected').length;
  const extension = results.slice(0, extensionBuilds.length);
  if (extension.every((r) => r.status === 'fulfilled')) checkExtensionBundles(extension.map((r) => r.value));
  if (failed) {
    console.error(`build: ${failed} of ${builds.length} bundles failed`);
    process.exit(1);
  }
}
