// Restart chasquid after a saved change and tell whether it keeps running.
import { chasquidLog, CHASQUID_RUNNING_SCRIPT } from '../../core/plan/actions/service';
import { recordRunningOnServer } from '../../core/plan/journal';
import { shellCommand, shellScript, type RemoteConnection } from '../../core/remote';

// Restart first, then the same running check the provisioning service step uses.
const RESTART_AND_CHECK = `systemctl reset-failed chasquid 2>/dev/null || true
systemctl restart chasquid || true
sleep 1
${CHASQUID_RUNNING_SCRIPT}`;

export async function restartChasquid(conn: RemoteConnection, signal?: AbortSignal): Promise<boolean> {
  const r = await conn.exec(shellScript(RESTART_AND_CHECK, ['2']), {
    sudo: true,
    check: false,
    timeoutMs: 90_000,
    signal,
  });
  if (r.exitCode !== 0) return false;
  await recordRunningOnServer(conn);
  return true;
}

export async function isChasquidActive(conn: RemoteConnection): Promise<boolean> {
  const r = await conn.exec(shellCommand(['systemctl', 'is-active', 'chasquid']), {
    sudo: true,
    check: false,
  });
  return r.stdout.trim() === 'active';
}

export { chasquidLog };
