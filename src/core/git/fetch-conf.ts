// Fetches the server's conf directory as a tar archive in ONE exec channel, secrets left out
// on the server side. exec() collects stdout as UTF-8 text, so the archive travels as base64.
import { shellScript, type RemoteConnection } from '../remote';
import { SECRET_TAR_EXCLUDES } from './secret-paths';

// "$1" is the directory, the rest are tar options. The fd juggling keeps tar's exit status
// (POSIX sh has no pipefail): base64 writes to the real stdout (fd 4) while tar's status is
// captured through fd 3.
const FETCH_SCRIPT = `dir=$1; shift
[ -d "$dir" ] || { echo "mailwright: $dir does not exist on this server" >&2; exit 3; }
exec 4>&1
status=$( { { tar -C "$dir" "$@" -cf - . ; echo $? >&3; } | base64 >&4; } 3>&1 )
exit "\${status:-1}"`;

export function tarExcludeArgs(): string[] {
  return SECRET_TAR_EXCLUDES.map((p) => `--exclude=${p}`);
}

export async function fetchConfTar(
  conn: RemoteConnection,
  confDir: string,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Buffer> {
  const result = await conn.exec(shellScript(FETCH_SCRIPT, [confDir, ...tarExcludeArgs()]), {
    sudo: true, // users files and some certs are readable by root only
    timeoutMs: opts.timeoutMs ?? 60_000,
    signal: opts.signal,
  });
  return Buffer.from(result.stdout.replace(/\s+/g, ''), 'base64');
}
