// Reading and atomically replacing files on a server. A write uploads to a
// private temp file, copies it next to the target, gives it the target's
// owner and mode, keeps the previous version, and renames it into place, so
// an interrupted write never leaves a half-written file behind.
import { createHash, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { EXIT_ON_SIGNALS, shellCommand, shellScript } from './quote';
import type { RemoteConnection } from './connection';
import { printable } from '../printable';
import { CancelledError, CommandError, RemoteError } from './errors';

/** Where the previous version of every file Mailwright replaced is kept. */
export const BACKUP_ROOT = '/var/backups/mailwright';

export function backupPathFor(path: string): string {
  return posix.join(BACKUP_ROOT, path) + '.prev';
}

/** The temporary files the scripts below make next to their target, named with the script's process id. */
const NEW_PREFIX = '.mailwright-new.';
const RESTORE_PREFIX = '.mailwright-restore.';
/** Glob patterns of those names (tar --exclude, .gitignore). */
export const WRITE_TEMP_PATTERNS: readonly string[] = [`${NEW_PREFIX}*`, `${RESTORE_PREFIX}*`];

/**
 * Whether a path is one of those temporary files: one that outlives its script was left by a
 * write cut off between its copy and its rename (a power loss), and the target is as it was.
 */
export function isWriteLeftover(path: string): boolean {
  return posix.isAbsolute(path) && /^\.mailwright-(new|restore)\.\d+$/.test(posix.basename(path));
}

/** The find(1) test that matches those files' names. */
export const WRITE_LEFTOVER_NAMES = `\\( -name '${NEW_PREFIX}*' -o -name '${RESTORE_PREFIX}*' \\)`;

export interface WriteOptions {
  /** Mode for a new file (octal string like "0640"); an existing file keeps its own unless set here. */
  mode?: string;
  /** owner[:group] for a new file; an existing file keeps its own unless set here. */
  owner?: string;
  signal?: AbortSignal;
}

export interface WriteResult {
  path: string;
  /** Whether a previous version existed (and was kept in backupPath). */
  replaced: boolean;
  backupPath: string;
}

function assertAbsolute(path: string): void {
  if (!posix.isAbsolute(path) || path.split('/').includes('..')) {
    throw new RemoteError(`Remote path must be absolute and without "..": ${path}`);
  }
}

/** Reads a file as root when needed (config files are often not readable by the login user). */
export async function readRemoteFile(conn: RemoteConnection, path: string): Promise<Buffer> {
  assertAbsolute(path);
  if (conn.isRoot) {
    const sftp = await conn.sftp();
    return new Promise<Buffer>((resolve, reject) =>
      sftp.readFile(path, (err: Error | undefined, data: Buffer) =>
        err ? reject(new RemoteError(`Cannot read ${path}: ${err.message}`)) : resolve(data),
      ),
    );
  }
  const result = await conn.exec(shellCommand(['base64', '-w0', '--', path]), { sudo: true });
  return Buffer.from(result.stdout.trim(), 'base64');
}

/** Whether a remote file exists (as root). */
export async function remoteFileExists(conn: RemoteConnection, path: string): Promise<boolean> {
  assertAbsolute(path);
  const r = await conn.exec(shellCommand(['test', '-e', path]), { sudo: true, check: false });
  return r.exitCode === 0;
}

/** A write that stopped before its final rename (upload cut, script failed): the target is as it was. */
export class WriteNotDoneError extends RemoteError {
  override name = 'WriteNotDoneError';
}

async function upload(
  conn: RemoteConnection,
  tempPath: string,
  content: Buffer,
  signal: AbortSignal | undefined,
  target: string,
): Promise<void> {
  const sftp = await conn.sftp();
  await new Promise<void>((resolve, reject) => {
    const stream = sftp.createWriteStream(tempPath, { mode: 0o600 });
    const done = (error?: Error) => {
      signal?.removeEventListener('abort', onAbort);
      unsubscribe();
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => {
      stream.destroy();
      done(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const unsubscribe = conn.onceDisconnected(() =>
      done(
        new WriteNotDoneError(
          `The connection to ${conn.options.name} was lost while uploading ${target}; the file was not changed.`,
          'Once the server answers again, apply again: finished steps are not repeated.',
        ),
      ),
    );
    stream.on('error', (e: Error) =>
      done(
        new WriteNotDoneError(
          `Uploading ${target} to ${conn.options.name} failed (${e.message}); the file was not changed.`,
        ),
      ),
    );
    stream.on('close', () => done());
    stream.end(content);
  });
}

// $1 target, $2 uploaded temp, $3 backup path, $4 mode for new/forced, $5 owner for new/forced,
// $6 force (1/0), $7 sha256 of the intended content (a cut upload must never be installed)
const INSTALL_SCRIPT = `set -eu
t=$1 up=$2 bak=$3 mode=$4 owner=$5 force=$6 sum=$7
dir=$(dirname -- "$t")
new="$dir/${NEW_PREFIX}$$"
trap 'rm -f -- "$new" "$up"' EXIT
${EXIT_ON_SIGNALS}
[ -d "$dir" ] || { echo "directory $dir does not exist" >&2; exit 3; }
got=$(sha256sum < "$up" | cut -d' ' -f1)
[ "$got" = "$sum" ] || { echo "its upload arrived incomplete (checksum mismatch)" >&2; exit 5; }
cp -- "$up" "$new"
mkdir -p -m 0700 -- "$(dirname -- "$bak")"
if [ -e "$t" ]; then
  chown --reference="$t" -- "$new"
  chmod --reference="$t" -- "$new"
  cp -p -- "$t" "$bak"
  rm -f -- "$bak.absent"
  echo replaced
else
  chmod 0644 -- "$new"
  rm -f -- "$bak"
  : > "$bak.absent"
  echo created
fi
if [ "$force" = 1 ] || [ ! -e "$t" ]; then
  [ -z "$mode" ] || chmod -- "$mode" "$new"
  [ -z "$owner" ] || chown -- "$owner" "$new"
fi
sync -- "$new" 2>/dev/null || true
mv -f -- "$new" "$t"
`;

/**
 * The install script stops before its rename on any error, so a CommandError means the target
 * was not changed; a full disk (the commonest cause) is named as such, with the place to free.
 */
function explainWriteFailure(conn: RemoteConnection, path: string, error: unknown): unknown {
  if (!(error instanceof CommandError)) return error;
  const host = conn.options.name;
  const lines = printable(error.stderr, { keepNewlines: true }).trim().split('\n');
  const noRoom = lines.find((l) => /no space left on device|disk quota exceeded/i.test(l));
  if (noRoom) {
    // cp names the file it could not write: next to the target, or the kept previous version.
    const written = /'([^']+)'/.exec(noRoom)?.[1];
    const full = posix.dirname(written ?? path);
    return new WriteNotDoneError(
      `Disk full on ${host}: ${full} has no room left, so ${path} could not be written; the file was not changed.`,
      `Free space there (\`df -h ${full}\` on ${host} shows the file system), then apply again.`,
    );
  }
  const cause = lines.at(-1) || `exit ${error.exitCode ?? 'signal'}`;
  return new WriteNotDoneError(
    `Could not write ${path} on ${host}: ${cause}. The file was not changed.`,
    'Apply again once the server is back to normal: finished steps are not repeated.',
  );
}

export async function writeRemoteFileAtomic(
  conn: RemoteConnection,
  path: string,
  content: string | Buffer,
  opts: WriteOptions = {},
): Promise<WriteResult> {
  assertAbsolute(path);
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  // A private name in /tmp: the SFTP user may not be able to write the target directory.
  const temp = `/tmp/.mailwright-upload-${randomBytes(8).toString('hex')}`;
  await upload(conn, temp, bytes, opts.signal, path);
  const force = opts.mode !== undefined || opts.owner !== undefined ? '1' : '0';
  const backupPath = backupPathFor(path);
  const result = await conn
    .exec(
      shellScript(INSTALL_SCRIPT, [
        path,
        temp,
        backupPath,
        opts.mode ?? '',
        opts.owner ?? '',
        force,
        createHash('sha256').update(bytes).digest('hex'),
      ]),
      { sudo: true, signal: opts.signal },
    )
    .catch((error: unknown) => {
      throw explainWriteFailure(conn, path, error);
    });
  return { path, replaced: result.stdout.trim() === 'replaced', backupPath };
}

const RESTORE_SCRIPT = `set -eu
t=$1 bak=$2
if [ -e "$bak" ]; then
  new="$(dirname -- "$t")/${RESTORE_PREFIX}$$"
  trap 'rm -f -- "$new"' EXIT
  ${EXIT_ON_SIGNALS}
  cp -p -- "$bak" "$new"
  mv -f -- "$new" "$t"
  echo restored
elif [ -e "$bak.absent" ]; then
  rm -f -- "$t"
  echo removed
else
  echo "no previous version of $t is kept" >&2
  exit 4
fi
`;

/** Puts back the version a previous writeRemoteFileAtomic replaced (or removes a file it created). */
export async function restoreRemoteFile(
  conn: RemoteConnection,
  path: string,
): Promise<'restored' | 'removed'> {
  assertAbsolute(path);
  const r = await conn.exec(shellScript(RESTORE_SCRIPT, [path, backupPathFor(path)]), { sudo: true });
  return r.stdout.trim() as 'restored' | 'removed';
}

/** The file's content, or null when it does not exist: one round trip, as root. */
export async function readRemoteFileIfExists(conn: RemoteConnection, path: string): Promise<Buffer | null> {
  assertAbsolute(path);
  const r = await conn.exec(
    shellScript('if [ -e "$1" ]; then echo present; base64 -w0 -- "$1"; fi', [path]),
    {
      sudo: true,
    },
  );
  const [marker, data = ''] = r.stdout.split('\n');
  return marker === 'present' ? Buffer.from(data, 'base64') : null;
}

/** Removes a file as root (no error when it is already gone). */
export async function removeRemoteFile(conn: RemoteConnection, path: string): Promise<void> {
  assertAbsolute(path);
  await conn.exec(shellCommand(['rm', '-f', '--', path]), { sudo: true });
}
