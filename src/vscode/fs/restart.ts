// Restart chasquid after a saved change and tell whether it keeps running.
import { shellCommand, shellScript, type RemoteConnection } from '../../core/remote';

// Active, and still the same process after a pause (a crash loop shows up as a new MainPID).
const RESTART_AND_CHECK = `set -u
systemctl reset-failed chasquid 2>/dev/null || true
systemctl restart chasquid || true
sleep 1
pid1=$(systemctl show -p MainPID --value chasquid)
sleep "$1"
pid2=$(systemctl show -p MainPID --value chasquid)
state=$(systemctl is-active chasquid)
echo "$state"
[ "$state" = active ] && [ "$pid1" = "$pid2" ] && [ "$pid1" != 0 ]
`;

export async function restartChasquid(conn: RemoteConnection, signal?: AbortSignal): Promise<boolean> {
  const r = await conn.exec(shellScript(RESTART_AND_CHECK, ['2']), {
    sudo: true,
    check: false,
    timeoutMs: 90_000,
    signal,
  });
  return r.exitCode === 0;
}

export async function isChasquidActive(conn: RemoteConnection): Promise<boolean> {
  const r = await conn.exec(shellCommand(['systemctl', 'is-active', 'chasquid']), {
    sudo: true,
    check: false,
  });
  return r.stdout.trim() === 'active';
}

export async function chasquidLog(conn: RemoteConnection, lines = 20): Promise<string> {
  const r = await conn.exec(
    shellCommand(['journalctl', '-u', 'chasquid', '-n', String(lines), '--no-pager', '-o', 'short-iso']),
    { sudo: true, check: false },
  );
  return r.stdout.trim();
}
