// The addresses the jail blocks right now, and unblocking one: what `mailwright blocked` and the
// editor's Blocked rows do. An address read from the server is checked before it is shown, and
// checked again (and quoted) before it goes back to the server.
import { ExpectedError, UsageError } from '../errors';
import { normalizeIpAddress } from '../names';
import { printable } from '../printable';
import { shellCommand, shellScript, type RemoteConnection } from '../remote';
import { BLOCKED_SHELL, JAIL_NAME, parseBlocked, type BlockedList } from './jail';

/** The jail's blocked addresses (empty when fail2ban has blocked nobody, or is not set up). */
export async function listBlocked(conn: RemoteConnection, signal?: AbortSignal): Promise<BlockedList> {
  const r = await conn.exec(shellScript(BLOCKED_SHELL), { sudo: true, signal, check: false });
  return parseBlocked(r.stdout);
}

/** The address as Mailwright writes it, or a UsageError saying why it is not one. */
export function blockedAddress(text: string): string {
  const check = normalizeIpAddress(text);
  if (!check.ok)
    throw new UsageError(
      `${printable(text)} cannot be unblocked: ${check.reason}. Give one address as \`mailwright blocked\` lists it, e.g. 203.0.113.7 or 2001:db8::7.`,
    );
  return check.value;
}

/**
 * Lifts the jail's block on `text` (fail2ban-client, so fail2ban forgets it too and does not
 * block it again at its next start). Resolves when the address is no longer in the list.
 */
export async function unblock(
  conn: RemoteConnection,
  text: string,
  signal?: AbortSignal,
): Promise<BlockedList> {
  const address = blockedAddress(text);
  const before = await listBlocked(conn, signal);
  if (!before.addresses.includes(address))
    throw new ExpectedError(
      `${address} is not blocked on this server (blocked now: ${before.addresses.join(', ') || 'none'}).`,
    );
  const r = await conn.exec(shellCommand(['fail2ban-client', 'set', JAIL_NAME, 'unbanip', address]), {
    sudo: true,
    signal,
    check: false,
  });
  const after = await listBlocked(conn, signal);
  if (r.exitCode !== 0 || after.addresses.includes(address))
    throw new ExpectedError(
      `fail2ban did not unblock ${address}: ${printable((r.stderr || r.stdout).trim()) || `exit code ${r.exitCode}`}. ` +
        'Check that fail2ban runs (systemctl status fail2ban), or provision the server again.',
    );
  return after;
}
