// The renewal program that runs on servers (src/server/renew.ts -> dist/server/renew.js): one
// file, no vscode, for the distribution's Node.js (18 on Debian 12 and Ubuntu 24.04). It talks
// to its own machine, never over SSH, so ssh2 is replaced by a stub (the connection class is
// shared with the SSH code but its SSH half is never called there).
export const RENEW_BUNDLE_FILE = 'dist/server/renew.js';
/** The server checks' program (src/server/check.ts), built the same way: a sibling, not part of renew.js. */
export const CHECK_BUNDLE_FILE = 'dist/server/check.js';
/** The scheduled backups' program (src/server/backup.ts), likewise. */
export const BACKUP_BUNDLE_FILE = 'dist/server/backup.js';

const noSsh = {
  name: 'no-ssh2',
  setup(build) {
    build.onResolve({ filter: /^ssh2$/ }, () => ({ path: 'ssh2', namespace: 'no-ssh2' }));
    build.onLoad({ filter: /.*/, namespace: 'no-ssh2' }, () => ({
      contents: 'module.exports = { Client: class {}, utils: {} };',
      loader: 'js',
    }));
  },
};

/** esbuild options; the build is deterministic, so the same sources give the same file (and hash). */
export const renewBundleOptions = {
  entryPoints: ['src/server/renew.ts'],
  outfile: RENEW_BUNDLE_FILE,
  bundle: true,
  minify: true,
  legalComments: 'none',
  sourcemap: false,
  logLevel: 'warning',
  target: 'node18',
  platform: 'node',
  format: 'cjs',
  external: ['cpu-features', '*.node'],
  plugins: [noSsh],
};

/** The check program: the same options, its own entry and file (no ACME code in it). */
export const checkBundleOptions = {
  ...renewBundleOptions,
  entryPoints: ['src/server/check.ts'],
  outfile: CHECK_BUNDLE_FILE,
};

/** The backup program: the same options, its own entry and file. */
export const backupBundleOptions = {
  ...renewBundleOptions,
  entryPoints: ['src/server/backup.ts'],
  outfile: BACKUP_BUNDLE_FILE,
};
