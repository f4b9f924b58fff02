// What must never leave the server into the workspace's git: private keys and password hashes.
// The same list drives three guards: the server-side tar exclusion (they never travel), the
// local extraction filter, and the generated .gitignore (in case someone copies files by hand).
import { isWriteLeftover, WRITE_TEMP_PATTERNS } from '../remote/files';

/** tar --exclude patterns (GNU tar: unanchored, `*` also matches `/` for exclusions). */
export const SECRET_TAR_EXCLUDES: readonly string[] = [
  'domains/*/users', // scrypt password hashes
  'dkim:*.pem', // chasquid >= 1.14 DKIM private keys
  '*dkim_privkey.pem', // chasquid 1.11 hook layout (certs/<d>/dkim_privkey.pem)
  'privkey.pem', // TLS private keys (certs/<name>/privkey.pem), wherever they are
  '.git', // a server-side repository holds every key in its history
  ...WRITE_TEMP_PATTERNS, // a write in progress, or one a power loss cut off: a copy of any of the above
];

const GITIGNORE_LINES = [
  '# Written by Mailwright: private keys and password hashes are never committed.',
  '# They are not even fetched from the server; this file guards against copies made by hand.',
  'users',
  'dkim:*.pem',
  '*dkim_privkey.pem',
  'privkey.pem',
  '*.key',
  '.git',
  ...WRITE_TEMP_PATTERNS,
];

export const CONF_GITIGNORE = `${GITIGNORE_LINES.join('\n')}\n`;

/** True for a path (relative to the conf directory, `/`-separated) that holds a secret. */
export function isSecretPath(relative: string): boolean {
  const parts = relative.replace(/^\.\//, '').split('/');
  const name = parts[parts.length - 1] ?? '';
  if (parts.includes('.git')) return true;
  // The temporary copy of a file being written (or left by a cut-off write) may be any of these.
  if (isWriteLeftover(`/${parts.join('/')}`)) return true;
  if (name === 'privkey.pem' || name.endsWith('dkim_privkey.pem') || name.endsWith('.key')) return true;
  if (name.startsWith('dkim:') && name.endsWith('.pem')) return true;
  // domains/<d>/users; any file named users is treated the same way (cheap, and never public).
  return name === 'users';
}
