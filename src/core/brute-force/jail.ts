// Brute-force protection of SMTP AUTH, decided here and nowhere else: the fail2ban filter that
// reads chasquid's failed logins from the journal, the jail that blocks an address after
// repeated failures, and how the blocked addresses are read back. Why fail2ban (and not
// nftables rate limits): docs/brute-force.md. Pure: no SSH here (the facts parser and the
// editor's tree use it at activation).
import type { BruteForceConfig } from '../config/types';
import { durationSeconds } from '../config/validate-brute-force';
import { normalizeIpAddress, normalizeIpNetwork } from '../names';
import { MAIL_PORT_NUMBERS } from '../ports';
import { printable } from '../printable';

/** fail2ban's name of Mailwright's jail (and of its filter). */
export const JAIL_NAME = 'mailwright-chasquid';
export const FILTER_PATH = `/etc/fail2ban/filter.d/${JAIL_NAME}.conf`;
/**
 * A .conf in jail.d: read after the distribution's jail.d/defaults-debian.conf (so it wins over
 * it) and before jail.local and any *.local (so what the administrator writes there wins).
 */
export const JAIL_PATH = '/etc/fail2ban/jail.d/mailwright.conf';
export const BRUTE_FORCE_FILES = [FILTER_PATH, JAIL_PATH] as const;
/** fail2ban reads the journal through python3-systemd; its nftables action needs nft. */
export const BRUTE_FORCE_PACKAGES = ['fail2ban', 'nftables', 'python3-systemd'] as const;
/** The nftables table and sets of fail2ban's nftables action for this jail. */
export const NFT_TABLE = 'f2b-table';
export const NFT_SETS = [`addr-set-${JAIL_NAME}`, `addr6-set-${JAIL_NAME}`] as const;

/**
 * chasquid's mail log line for a failed AUTH, the same from 1.11 (Debian 12) to 1.15 (Debian 13),
 * sent to syslog and so to the journal under the identifier "chasquid":
 *   198.51.100.9:51852 auth failed for alice@example.test
 *   [fd00:5eed:0:2::1]:33332 auth failed for alice@example.test
 * The address is the first thing on the line, before anything the client chose (the user name
 * comes last, and 1.11 logs it raw, newlines included): a user name can never pose as an address.
 * Each failure also gives a second line ("SMTP.Conn …: error: AUTH failed: 535 …") that the
 * filter leaves out, so a failure counts once.
 */
export const FAIL_REGEX = String.raw`^%(__prefix_line)s\[?<ADDR>\]?:\d+ auth failed for `;

export const FILTER_CONF = `# Managed by Mailwright: chasquid's failed SMTP logins (AUTH). Edits show as drift in its plan.
[INCLUDES]
before = common.conf

[Definition]
_daemon = chasquid
failregex = ${FAIL_REGEX.trimEnd()}
ignoreregex =

[Init]
journalmatch = SYSLOG_IDENTIFIER=chasquid
`;

/** Addresses never blocked whatever the settings say: loopback. */
export const ALWAYS_IGNORED = ['127.0.0.0/8', '::1'] as const;

/** The block of the jail file that switches the distribution's sshd jail off. */
const SSHD_OFF = `# Mailwright blocks mail logins only and leaves SSH alone: the distribution's sshd jail is off
# (on Debian 12 it cannot start without a syslog file, which stops every jail). To have it, set
# enabled = true under [sshd] in jail.local.
[sshd]
enabled = false
`;

const SSHD_KEPT = `# fail2ban was here before Mailwright: its jails, sshd's included, are left as they are.
`;

/**
 * Whether the jail file switches the distribution's sshd jail off. Installing fail2ban for mail
 * must not start banning SSH logins, so the jail file switches it off where fail2ban did not run
 * before Mailwright's jail file (not installed, or installed and not running: Debian 12's sshd
 * jail without a syslog file stops fail2ban). Where fail2ban ran (the administrator's own
 * protection of SSH), its sshd jail is never touched. Decided from what the server holds, so that
 * every later plan decides the same: the jail file, once written, keeps its choice.
 */
export function switchesSshdOff(server: {
  /** fail2ban is installed and running. */
  fail2banRunning: boolean;
  /** Mailwright's jail file is on the server. */
  jailPresent: boolean;
  /** Its text, when it could be read. */
  jail?: string;
}): boolean {
  if (server.jailPresent) return server.jail === undefined || /^\[sshd\]$/m.test(server.jail);
  return !server.fail2banRunning;
}

/**
 * The jail: `maxRetry` failures within `findTime` block the address on the mail ports for
 * `banTime`, through nftables (IPv4 and IPv6). `sshClient` is the address the SSH login that
 * provisions comes from: never blocked, so that the administrator cannot lock themselves out.
 * `sshdOff`: see switchesSshdOff.
 */
export function jailConf(settings: BruteForceConfig, sshClient?: string, sshdOff = true): string {
  const client = sshClient ? normalizeIpAddress(sshClient) : undefined;
  const ignore = [
    ...ALWAYS_IGNORED,
    ...(client?.ok ? [client.value] : []),
    ...settings.ignore.flatMap((n) => {
      const check = normalizeIpNetwork(n);
      return check.ok ? [check.value] : [];
    }),
  ];
  return `# Managed by Mailwright (mailwright.yaml: bruteForce). Edits show as drift in its plan.
# Put your own settings in /etc/fail2ban/jail.local: it is read after this file.

${sshdOff ? SSHD_OFF : SSHD_KEPT}
[${JAIL_NAME}]
enabled = true
filter = ${JAIL_NAME}
backend = systemd
banaction = nftables[type=multiport]
port = ${MAIL_PORT_NUMBERS.join(',')}
maxretry = ${settings.maxRetry}
findtime = ${durationSeconds(settings.findTime)}
bantime = ${durationSeconds(settings.banTime)}
ignoreself = true
ignoreip = ${[...new Set(ignore)].join(' ')}
`;
}

/** What BLOCKED_SHELL prints when Mailwright's jail is not on the server. */
const NO_JAIL = 'no-jail';

/**
 * Root shell that prints the jail's blocked addresses: one JSON line per nftables set
 * (`nft -j list set`), nothing when a set does not exist (fail2ban makes them at the first block).
 */
export const BLOCKED_SHELL = `if [ -f ${JAIL_PATH} ]; then for s in ${NFT_SETS.join(' ')}; do nft -j list set inet ${NFT_TABLE} "$s" 2>/dev/null && echo; done; else echo ${NO_JAIL}; fi`;

export interface BlockedList {
  /** Mailwright's jail is on the server (else nothing is blocked by it). */
  jail: boolean;
  /** Valid addresses, canonical, sorted. */
  addresses: string[];
  /** Elements that are not one address (a network, or text no address looks like), made printable. */
  unreadable: string[];
}

/** The addresses in `nft -j list set` output (several JSON documents, one per line). */
export function parseBlocked(text: string): BlockedList {
  const addresses = new Set<string>();
  const unreadable: string[] = [];
  const lines = text.split('\n');
  for (const line of lines) {
    if (!line.trim().startsWith('{')) continue;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      continue;
    }
    const items = (doc as { nftables?: unknown }).nftables;
    if (!Array.isArray(items)) continue;
    for (const item of items) {
      const elems = (item as { set?: { elem?: unknown } })?.set?.elem;
      if (!Array.isArray(elems)) continue;
      for (const elem of elems) {
        // A plain element is a string; one with a timeout is { elem: { val: … } }.
        const value = typeof elem === 'string' ? elem : (elem as { elem?: { val?: unknown } })?.elem?.val;
        const check = typeof value === 'string' ? normalizeIpAddress(value) : undefined;
        if (check?.ok) addresses.add(check.value);
        else unreadable.push(printable(JSON.stringify(value ?? elem)));
      }
    }
  }
  return { jail: !lines.includes(NO_JAIL), addresses: [...addresses].sort(), unreadable };
}
