// The script that gathers every fact in one SSH round trip. It must run under
// dash, bash and busybox sh (an installer or rescue system may answer SSH),
// never fail as a whole, and print tagged sections that parse.ts turns into
// Facts. An optional sudo password is read from stdin (never argv) so root-only
// files can be looked at.
import { randomBytes } from 'node:crypto';
import { RENEW_PUBLIC_FILES, RENEW_UNIT } from '../acme/server-paths';
import { DOVECOT_CONF_PATH, MAIL_STORE_DIR, MAIL_STORE_USER, MAILBOX_USERS_PATH } from '../dovecot/conf';

/** sha256sum lines of every file of chasquid's configuration (its git folder aside); run as root. */
export const CHASQUID_FILE_HASHES = "find /etc/chasquid -type f ! -path '*/.git/*' -exec sha256sum {} +";

/** Each section prints one kind of raw fact; sections are independent of each other. */
export const FACT_SECTIONS: ReadonlyArray<readonly [name: string, shell: string]> = [
  ['id', 'id -u; id -un; id -Gn'],
  ['os-release', 'cat /etc/os-release || cat /usr/lib/os-release'],
  ['banner', 'head -c 2000 /etc/motd; head -c 500 /etc/issue'],
  [
    'markers',
    `[ -e /usr/bin/tce-load ] && echo tinycore
{ [ -d /lib/debian-installer ] || [ -e /var/run/debian-installer ]; } && echo debian-installer
grep -qi 'rescue system' /etc/motd && echo rescue-motd
grep -qw subiquity /proc/cmdline && echo subiquity
command -v cloud-init >/dev/null && cloud-init status | head -1`,
  ],
  ['uname', 'uname -r; uname -m'],
  ['systemd', '[ -d /run/systemd/system ] && echo yes'],
  ['hostname', 'hostname; hostname -f'],
  ['addr', 'ip -o addr show'],
  ['tcp', 'cat /proc/net/tcp'],
  ['tcp6', 'cat /proc/net/tcp6'],
  ['ipv6-disabled', 'cat /proc/sys/net/ipv6/conf/all/disable_ipv6'],
  ['netplan', 'ls /etc/netplan/*.yaml'],
  ['apt', 'command -v apt-get'],
  ['df', 'df -Pk /'],
  ['meminfo', "grep -E '^(MemTotal|MemAvailable):' /proc/meminfo"],
  ['chasquid-bin', 'command -v chasquid'],
  // dpkg keeps a removed package's record ("deinstall ok config-files"): the status tells.
  ['chasquid-pkg', "dpkg-query -W -f '${Status}|${Version}\\n' chasquid"],
  // What the distribution offers; empty lists on a fresh VPS say "(none)" until apt-get update.
  ['chasquid-policy', 'LC_ALL=C apt-cache policy chasquid'],
  ['dpkg-arch', 'dpkg --print-architecture'],
  [
    'chasquid-service',
    '[ -d /run/systemd/system ] && { systemctl is-active chasquid; systemctl is-enabled chasquid; }',
  ],
  // Dovecot serves the mailboxes (all three packages make it usable).
  [
    'dovecot-pkg',
    "dpkg-query -W -f '${Status}|${Package}|${Version}\\n' dovecot-core dovecot-imapd dovecot-lmtpd",
  ],
  [
    'dovecot-service',
    '[ -d /run/systemd/system ] && { systemctl is-active dovecot; systemctl is-enabled dovecot; }',
  ],
  ['mail-store', `getent passwd ${MAIL_STORE_USER} | cut -d: -f1,3; stat -c '%U:%G %a' ${MAIL_STORE_DIR}`],
  [
    'chasquid-units',
    "[ -d /run/systemd/system ] && systemctl list-unit-files --no-legend --no-pager 'chasquid*'",
  ],
  // The unattended renewal: Node.js (installed, or else what apt offers) and its public files.
  [
    'renewal',
    `echo "node $(node --version)"
command -v node >/dev/null || echo "candidate $(LC_ALL=C apt-cache policy nodejs | sed -n 's/^ *Candidate: *//p')"
[ -d /run/systemd/system ] && echo "timer-enabled $(systemctl is-enabled ${RENEW_UNIT}.timer)" && echo "timer-active $(systemctl is-active ${RENEW_UNIT}.timer)"
for f in ${RENEW_PUBLIC_FILES.join(' ')}; do [ -f "$f" ] && sha256sum "$f"; done`,
  ],
  [
    'sudo',
    // A password read from stdin validates sudo once; the later \`sudo -n\` in the same shell then succeeds.
    // Root-only facts follow in the same section for that reason.
    `if [ "$(id -u)" = 0 ]; then mode=root; p=
elif sudo -n true; then mode=nopasswd; p="sudo -n"
elif IFS= read -r pw && [ -n "$pw" ] && printf '%s\\n' "$pw" | sudo -S -p '' -v; then mode=password; p="sudo -n"
elif id -Gn | grep -qwE 'sudo|wheel|admin'; then mode=password-unknown
else mode=none
fi
pw=
echo "$mode"
[ "$mode" = root ] || [ -n "\${p:-}" ] || exit 0
sec conf-files
$p ${CHASQUID_FILE_HASHES}
$p sha256sum ${DOVECOT_CONF_PATH}
sec managed
$p cat /var/lib/mailwright/managed.json
sec chasquid-conf
$p cat /etc/chasquid/chasquid.conf
sec dovecot-conf
$p cat ${DOVECOT_CONF_PATH}
# Names only: the hashes after the first colon never leave the server.
sec dovecot-users
$p cut -d: -f1 ${MAILBOX_USERS_PATH} | grep -v '^#'
for d in $($p ls /etc/chasquid/domains); do
  sec "domain-files:$d"; $p ls -1 "/etc/chasquid/domains/$d"
  sec "domain-users:$d"; $p sed -n 's/^[[:space:]]*key:[[:space:]]*"\\(.*\\)"[[:space:]]*$/\\1/p' "/etc/chasquid/domains/$d/users"
  sec "domain-aliases:$d"; $p cat "/etc/chasquid/domains/$d/aliases"
done
# What chasquid loads: directories with a fullchain.pem; other entries (README.certs) are not certificates.
for c in $($p ls /etc/chasquid/certs); do
  $p test -f "/etc/chasquid/certs/$c/fullchain.pem" || continue
  sec "cert:$c"; $p openssl x509 -noout -enddate -serial -subject -issuer -in "/etc/chasquid/certs/$c/fullchain.pem"
done`,
  ],
];

/**
 * How the report is framed — decided here and nowhere else. Sections carry file contents
 * (aliases, chasquid.conf, managed.json) that anyone with write access on the server controls,
 * so a header must be something no file can contain: each run draws a fresh random key on this
 * machine, sends it to the script as the first line of stdin (never argv, where `ps` shows it),
 * and every header is "\n@@mw:<key>:<name>\n". A line written into a file before the run cannot
 * hold the key, so it stays text of the section it is in. parse.ts reads only headers with the
 * run's key (`reportHeader`).
 */
export function newReportKey(): string {
  return randomBytes(16).toString('hex');
}

/** The header line (without its newlines) of section `name` in a report framed with `key`. */
export function reportHeader(key: string, name: string): string {
  return `@@mw:${key}:${name}`;
}

/** What the script reads before anything else: the key on stdin's first line; then the sudo password, if any. */
export function reportStdin(key: string, sudoPassword?: string): string {
  return `${key}\n${sudoPassword ? `${sudoPassword}\n` : ''}`;
}

/** Reads the key, prints section headers; sections run in subshells so one failing cannot stop the rest. */
const PRELUDE = `exec 2>/dev/null
IFS= read -r mwkey
sec() { printf '\\n@@mw:%s:%s\\n' "$mwkey" "$1"; }
`;

export function sectionScript(name: string, shell: string): string {
  return `sec ${name}\n( ${shell}\n)\n`;
}

export function factsScript(): string {
  return PRELUDE + FACT_SECTIONS.map(([name, shell]) => sectionScript(name, shell)).join('') + 'sec end\n';
}

export function singleSectionScript(name: string, shell: string): string {
  return PRELUDE + sectionScript(name, shell);
}
