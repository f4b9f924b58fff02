// Bundles the extension, the CLI and the webview front ends with esbuild.
import { existsSync } from 'node:fs';
import * as esbuild from 'esbuild';

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

const builds = [
  { ...common, entryPoints: { extension: 'src/vscode/extension.ts' }, outdir: 'dist' },
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    banner: { js: '#!/usr/bin/env node' },
  },
];
// Webview front ends: browser code with its style sheet, served from dist/webview only.
builds.push({
  bundle: true,
  sourcemap: production ? false : 'inline',
  minify: production,
  logLevel: 'info',
  target: 'chrome120',
  platform: 'browser',
  format: 'iife',
  entryPoints: { dashboard: 'webview/dashboard/main.ts', 'dashboard-style': 'webview/dashboard/style.css' },
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

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
