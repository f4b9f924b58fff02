// No backscatter from forwarding. chasquid refuses a sender whose SPF fails and an unknown
// recipient (550) while the client is still connected, but a message it accepted for an address
// that forwards to another server (a catch-all to Gmail, say) is bounced by chasquid itself when
// that server refuses it later: the bounce goes to the envelope sender, which for spam is a
// forged address of someone else. The post-data hook runs before chasquid accepts the message,
// so Mailwright's hook refuses there — with a permanent error the sending server reports to its
// own user — the unauthenticated messages whose sender did not pass SPF when any recipient is
// forwarded. A sender that passes SPF is who it says it is, so a bounce to it is not backscatter;
// nor is one to a message from this machine itself (loopback: the checks' mail alert).
// Whatever hook was there before (the distribution's, which runs spam filters and, for chasquid
// before 1.14, DKIM signing) keeps running after Mailwright's check.
import { catchAllProbe, routeOf, type DomainConfig } from '../config';
import { HOOKS_DIR } from './paths';
import { SENDING_LIMITS_HOOK_PART } from './sending-limits';

export const POST_DATA_HOOK = `${HOOKS_DIR}/post-data`;
/** The hook that was in place before Mailwright's; run after the check. */
export const PREVIOUS_POST_DATA_HOOK = `${HOOKS_DIR}/post-data.distrib`;
export const FORWARDING_TABLE = `${HOOKS_DIR}/mailwright-forwarding`;

const HEADER = '# Written by Mailwright from mailwright.yaml; edit the yaml, not this file.';

/** Marks the hook as Mailwright's (so a hook found on the server is known to be someone else's). */
export const HOOK_MARKER = '# mailwright-forward-guard';

/**
 * Which recipients are forwarded to another server, for the hook:
 *   forward-all D      every accepted address of D is forwarded (a domain without mailboxes)
 *   forward A          the address A is forwarded (or copied) outside
 *   local A            A stays on this server
 *   forward-unknown D  D's catch-all forwards outside: any name not listed as local is forwarded
 */
export function forwardingTable(domains: readonly DomainConfig[]): string {
  const lines = [HEADER, '# Read by hooks/post-data: refuses unverified senders for forwarded recipients.'];
  for (const domain of domains) {
    if (!domain.mailboxes) {
      lines.push(`forward-all ${domain.name}`);
      continue;
    }
    const names = [
      ...new Set([...domain.users, ...Object.keys(domain.aliases).filter((n) => n !== '*')]),
    ].sort();
    for (const name of names) {
      const address = `${name}@${domain.name}`;
      const outside = routeOf(domains, address).ends.some((e) => e.kind === 'outside');
      lines.push(`${outside ? 'forward' : 'local'} ${address}`);
    }
    const catchAll = domain.aliases['*'];
    if (catchAll && routeOf(domains, catchAllProbe(domain.name)).ends.some((e) => e.kind === 'outside'))
      lines.push(`forward-unknown ${domain.name}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The post-data hook (POSIX sh; chasquid runs it as user chasquid in its config directory with
 * AUTH_AS, SPF_PASS and RCPT_TO set, the message on stdin). Exit 20 = permanent refusal, and
 * the last line of stdout is the reply text.
 */
export const FORWARD_GUARD_HOOK = `#!/bin/sh
${HEADER}
${HOOK_MARKER}
# Refuses, before accepting it, an unauthenticated message whose sender did not pass SPF when
# one of its recipients is forwarded to another server: if that server refused it later,
# chasquid would bounce it to a sender address that is probably forged (backscatter).
# Before that, counts what authenticated logins send and refuses once a sending limit is reached.
# Then runs the hook that was here before (${PREVIOUS_POST_DATA_HOOK}), if any.
set -uf
${SENDING_LIMITS_HOOK_PART}table=${FORWARDING_TABLE}
# A message handed over by a program on this server itself (the checks' mail alert) is not
# checked: its sender is this server's, so a bounce of it cannot go to someone else.
here=0
case "\${REMOTE_ADDR:-}" in 127.*|'[::1]':*) here=1 ;; esac
if [ -z "\${AUTH_AS:-}" ] && [ "\${SPF_PASS:-0}" != 1 ] && [ "$here" = 0 ] && [ -r "$table" ]; then
  for rcpt in \${RCPT_TO:-}; do
    addr=$(printf '%s' "$rcpt" | tr 'A-Z' 'a-z')
    domain=\${addr##*@}
    name=\${addr%@*}
    base=\${name%%+*}
    clean=$(printf '%s' "$base" | tr -d '.')
    # Like chasquid: the exact address, then without the +suffix, then also without dots.
    if awk -v a="$addr" -v b="$base@$domain" -v c="$clean@$domain" -v d="$domain" '
      function undotted(x,  at, l) { at = index(x, "@"); l = substr(x, 1, at - 1); gsub(/\\./, "", l); return l substr(x, at) }
      ($1 == "forward-all" && $2 == d) { fwd = 1 }
      ($1 == "forward" && ($2 == a || $2 == b || undotted($2) == c)) { fwd = 1 }
      ($1 == "local" && ($2 == a || $2 == b || undotted($2) == c)) { here = 1 }
      ($1 == "forward-unknown" && $2 == d) { unknown = 1 }
      END { exit !(fwd || (unknown && !here)) }' "$table"; then
      echo "5.7.1 This address forwards to another server, which needs the sender to pass SPF: publish an SPF record for the sending domain, or send through its own mail server."
      exit 20
    fi
  done
fi
if [ -x ${PREVIOUS_POST_DATA_HOOK} ]; then
  exec ${PREVIOUS_POST_DATA_HOOK}
fi
cat >/dev/null
exit 0
`;
