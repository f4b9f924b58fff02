// Loads a feature bundle on first use, so activation stays small: scripts/build.mjs makes one
// CommonJS file per src/vscode/features/<name>.ts (dist/features/<name>.js); only dist/extension.js is
// loaded when VS Code activates us. Everything behind `load` is typed from its source module.
import { join } from 'node:path';

/** The features bundled apart from the extension, by bundle name. */
export interface Features {
  /** ssh2, the connection pool and fact gathering: the only owner of SSH state. */
  remote: typeof import('./features/remote');
  /** The provisioning dashboard (plan and apply). */
  dashboard: typeof import('./features/dashboard');
  /** ACME renewal planning (acme-client, DNS providers). */
  acme: typeof import('./features/acme');
  /** Add Server and the tree's actions on users, aliases, files and hosts. */
  actions: typeof import('./features/actions');
  /** The mailwright:// file system: open, validate, upload and commit server files. */
  files: typeof import('./features/files');
  /** The log tail documents and the recent messages list. */
  logs: typeof import('./features/logs');
  /** The DNS checks, zone export, publishing and the DNS Records panel. */
  dns: typeof import('./features/dns');
  /** Message analysis (mailauth) and the Mail Report panel. */
  report: typeof import('./features/report');
  /** Back Up… and Restore from Backup… (age encryption, archives, the restore plan). */
  backup: typeof import('./features/backup');
  /** chasquid's queue: reading it, a message's headers, deleting one. */
  queue: typeof import('./features/queue');
}

export type FeatureName = keyof Features;

/** Names of every feature bundle (the build and the lazy-loading test use this list). */
export const FEATURE_NAMES: readonly FeatureName[] = [
  'remote',
  'dashboard',
  'acme',
  'actions',
  'files',
  'logs',
  'dns',
  'report',
  'backup',
  'queue',
];

/** Path of a feature's bundle next to this file; from the sources (tsx), its module. */
export function featurePath(name: FeatureName): string {
  return join(__dirname, 'features', __filename.endsWith('.ts') ? name : `${name}.js`);
}

/**
 * The feature's module, loaded on the first call (Node caches it: later calls cost nothing).
 * Never synchronous: whoever asks (a tree row starting its facts) returns first, and a
 * missing or broken bundle rejects like any other failing command.
 */
export async function load<K extends FeatureName>(name: K): Promise<Features[K]> {
  await new Promise((resolve) => setImmediate(resolve));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- runtime loading is the point
  return require(featurePath(name)) as Features[K];
}
