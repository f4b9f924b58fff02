// The script that gathers every fact in one SSH round trip. It must run under
// dash, bash and busybox sh (an installer or rescue system may answer SSH),
// never fail as a whole, and print tagged sections that parse.ts turns into
// Facts. An optional sudo password is read from stdin (never argv) so root-only
// files can be looked at.
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { WRITE_LEFTOVER_NAMES } from '../remote/files';
import { EXIT_ON_SIGNALS, shellQuote } from '../remote/quote';
import { RENEW_PUBLIC_FILES, RENEW_UNIT } from '../acme/server-paths';
import { BLOCKED_SHELL, BRUTE_FORCE_FILES, BRUTE_FORCE_PACKAGES, JAIL_PATH } from '../brute-force/jail';
import { CHECK_PUBLIC_FILES, CHECK_STATE_PATH, CHECK_UNIT } from '../checks/server-paths';
import { BACKUP_PUBLIC_FILES, BACKUP_SETTINGS_PATH, BACKUP_UNIT } from '../backup/server-paths';
import { ROLLOVER_DIR } from '../dane/server-paths';
import {
  DOVECOT_CONF_PATH,
  DOVECOT_PACKAGES,
  MAIL_STORE_DIR,
  MAIL_STORE_USER,
  MAILBOX_USERS_PATH,
} from '../dovecot/conf';

/** What Mailwright wrote on the server and the hashes it wrote (the journal keeps it). */
export const MANAGED_STATE_DIR = '/var/lib/mailwright';
export const MANAGED_STATE_PATH = `${MANAGED_STATE_DIR}/managed.json`;

/** The folders whose free space and inodes the facts tell: mailboxes, chasquid's data and queue. */
export const STORAGE_DIRS = ['/var/mail', '/var/lib/chasquid'] as const;

/** sha256sum lines of every file of chasquid's configuration (its git folder aside); run as root. */
export const CHASQUID_FILE_HASHES = "find /etc/chasquid -type f ! -path '*/.git/*' -exec sha256sum {} +";

/**
 * Type, mode and link target of everything under /etc/chasquid (its git folder aside), one line
 * each: with the hashes above, what a snapshot of the folder would hold. Run as root.
 */
export const CHASQUID_TREE = "find /etc/chasquid -path /etc/chasquid/.git -prune -o -printf '%y %m %p %l\\n'";

/**
 * Shell: prints `line` for each line $l of $q (dpkg-query's "status|package|version" lines, IFS a
 * newline) whose package is one of `packages`; $r is the line after the status.
 */
function forPackages(packages: readonly string[], line: string): string {
  return `for l in $q; do r=\${l#*|}; case \${r%%|*} in ${packages.map(shellQuote).join('|')}) printf '%s\\n' ${line} ;; esac; done`;
}

/**
 * Shell: $sums, the lines of one sha256sum run over those of `files` that are regular files (as
 * one run per file would print them, in the same order). IFS must be a newline and globbing off.
 */
function hashAll(files: readonly string[]): string {
  return `set --
for f in ${files.map(shellQuote).join(' ')}; do [ -f "$f" ] && set -- "$@" "$f"; done
sums=
[ $# = 0 ] || sums=$(sha256sum "$@")`;
}

/** Shell: the lines of $sums (hashAll) that hash one of `files`. */
function hashLines(files: readonly string[]): string {
  return `for l in $sums; do case \${l#*  } in ${files.map(shellQuote).join('|')}) printf '%s\\n' "$l" ;; esac; done`;
}

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
  // Space and inodes where mail is kept (the mailboxes and chasquid's data and queue), and the
  // section "df" (the root filesystem): one df for space and one for inodes, one line per folder
  // after the header (-P), in the order asked. Should df fail for one, each is asked alone.
  [
    'storage',
    `nl='
'
set --
for d in ${STORAGE_DIRS.join(' ')}; do [ -d "$d" ] && set -- "$@" "$d"; done
if k=$(df -Pk / "$@") && i=$(df -Pi / "$@"); then
  h=\${k%%"$nl"*} k=\${k#*"$nl"} i=\${i#*"$nl"*"$nl"}
  r=\${k%%"$nl"*} k=\${k#*"$nl"}
  for d; do
    echo "disk $d \${k%%"$nl"*}"
    echo "inodes $d \${i%%"$nl"*}"
    k=\${k#*"$nl"} i=\${i#*"$nl"}
  done
  sec df
  printf '%s\\n' "$h" "$r"
else
  for d; do
    echo "disk $d $(df -Pk "$d" | tail -n 1)"
    echo "inodes $d $(df -Pi "$d" | tail -n 1)"
  done
  sec df
  df -Pk /
fi`,
  ],
  ['meminfo', "grep -E '^(MemTotal|MemAvailable):' /proc/meminfo"],
  ['chasquid-bin', 'command -v chasquid'],
  ['dpkg-arch', 'dpkg --print-architecture'],
  ['mail-store', `getent passwd ${MAIL_STORE_USER} | cut -d: -f1,3; stat -c '%U:%G %a' ${MAIL_STORE_DIR}`],
  [
    'chasquid-units',
    "[ -d /run/systemd/system ] && systemctl list-unit-files --no-legend --no-pager 'chasquid*'",
  ],
  // dpkg keeps a removed package's record ("deinstall ok config-files"): the status tells. One
  // dpkg-query for every package the facts name; the shell splits its lines into "chasquid-pkg",
  // "dovecot-pkg" (all three packages make Dovecot usable) and "brute-force" (fail2ban for failed
  // SMTP logins: its packages, Mailwright's files, and the address this login comes from, which
  // the jail never blocks).
  [
    'dpkg',
    `q=$(dpkg-query -W -f '\${Status}|\${Package}|\${Version}\\n' chasquid ${DOVECOT_PACKAGES.join(' ')} ${BRUTE_FORCE_PACKAGES.join(' ')})
IFS='
'
set -f
sec chasquid-pkg
${forPackages(['chasquid'], `"\${l%%|*}|\${r#*|}"`)}
sec dovecot-pkg
${forPackages(DOVECOT_PACKAGES, '"$l"')}
sec brute-force
${forPackages(BRUTE_FORCE_PACKAGES, '"pkg $l"')}
${hashAll(BRUTE_FORCE_FILES)}
${hashLines(BRUTE_FORCE_FILES)}
echo "ssh-client \${SSH_CONNECTION%% *}"`,
  ],
  // One apt-cache, one systemctl and one sha256sum for what several sections tell (each process
  // costs on a small VPS); the shell splits their output into the sections "chasquid-policy" (what
  // the distribution offers; empty lists on a fresh VPS say "(none)" until apt-get update),
  // "chasquid-service" and "dovecot-service" (active, enabled), "brute-force-service" (fail2ban's),
  // "renewal" (Node.js installed, or else what apt offers; the renewal timer; its public files),
  // "check-timer" (the server checks' timer and files, plan/actions/check-timer.ts) and
  // "backup-timer" (the scheduled backups' timer, its last run's result and files,
  // plan/actions/backup-timer.ts). apt-cache prints the packages in the order asked.
  [
    'packages',
    `nl='
'
if command -v node >/dev/null; then node=$(node --version) pk=chasquid; else node= pk='chasquid nodejs'; fi
pol="$nl$(LC_ALL=C apt-cache policy $pk)"
cpol=\${pol%%"\${nl}nodejs:"*}
sec chasquid-policy
printf '%s\\n' "\${cpol#"$nl"}"
cand=
case $pol in *"\${nl}nodejs:"*)
  npol=\${pol#*"\${nl}nodejs:"}
  case $npol in *"Candidate: "*) cand=\${npol#*"Candidate: "}; cand=\${cand%%"$nl"*} ;; esac ;;
esac
i=0 ca= ce= da= de= ta= te= fa= fe= ka= ke= ba= be= br=
if [ -d /run/systemd/system ]; then
  # One block of properties per unit, in the order asked, blocks separated by an empty line.
  while IFS='=' read -r k v; do
    case $i:$k in
    0:ActiveState) ca=$v ;; 0:UnitFileState) ce=$v ;;
    1:ActiveState) da=$v ;; 1:UnitFileState) de=$v ;;
    2:ActiveState) ta=$v ;; 2:UnitFileState) te=$v ;;
    3:ActiveState) fa=$v ;; 3:UnitFileState) fe=$v ;;
    4:ActiveState) ka=$v ;; 4:UnitFileState) ke=$v ;;
    5:ActiveState) ba=$v ;; 5:UnitFileState) be=$v ;;
    6:Result) br=$v ;;
    *:) i=$((i + 1)) ;;
    esac
  done <<MWUNITS
$(systemctl show -p ActiveState -p UnitFileState -p Result chasquid.service dovecot.service ${RENEW_UNIT}.timer fail2ban.service ${CHECK_UNIT}.timer ${BACKUP_UNIT}.timer ${BACKUP_UNIT}.service)
MWUNITS
  sec chasquid-service; printf '%s\\n' "$ca" "$ce"
  sec dovecot-service; printf '%s\\n' "$da" "$de"
  sec brute-force-service; printf '%s\\n' "ActiveState=$fa" "UnitFileState=$fe"
fi
IFS=$nl
set -f
${hashAll([...RENEW_PUBLIC_FILES, ...CHECK_PUBLIC_FILES, ...BACKUP_PUBLIC_FILES])}
sec renewal
echo "node $node"
[ -n "$node" ] || echo "candidate $cand"
[ -d /run/systemd/system ] && echo "timer-enabled $te" && echo "timer-active $ta"
${hashLines(RENEW_PUBLIC_FILES)}
sec check-timer
[ -d /run/systemd/system ] && printf '%s\\n' "timer-active $ka" "timer-enabled $ke"
${hashLines(CHECK_PUBLIC_FILES)}
sec backup-timer
[ -d /run/systemd/system ] && printf '%s\\n' "timer-active $ba" "timer-enabled $be" "service-result $br"
${hashLines(BACKUP_PUBLIC_FILES)}`,
  ],
  // The jail as found (world-readable, no secrets): the diff of a hand edit is shown from it.
  ['brute-force-jail', `cat ${JAIL_PATH}`],
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
sec conf-tree
$p ${CHASQUID_TREE}
sec managed
$p cat ${MANAGED_STATE_PATH}
# The last results of the server's own checks (no secret in it).
sec check-state
$p cat ${CHECK_STATE_PATH}
# The mail hosts whose DANE key rollover is under way (one state file each): the DNS check then
# expects a second TLSA record, and reads that state only for them.
sec dane-rollovers
$p ls ${ROLLOVER_DIR}
# The scheduled backups' archives (names, times, sizes) in the folder their settings name.
sec backup-archives
d=$(sed -n 's/^ *"dir": "\\([^"]*\\)",*$/\\1/p' ${BACKUP_SETTINGS_PATH} | head -n 1)
if [ -n "$d" ]; then
  echo "now $(date +%s)"; echo "dir $d"
  $p find "$d" -maxdepth 1 -type f -name 'mailwright-backup-*.age' -printf 'file %T@ %s %m %u:%g %f\\n'
fi
sec chasquid-conf
$p cat /etc/chasquid/chasquid.conf
sec blocked
$p sh -c '${BLOCKED_SHELL}'
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
# Temporary files of writes cut off before their rename, in the folders Mailwright writes to
# (chasquid's, Dovecot's and those of the files it manages); "busy" when their script still runs.
sec leftovers
set -- ${posix.dirname(MAILBOX_USERS_PATH)} $($p sed -n 's|^ *"\\(/[^"]*\\)/[^/"]*": .*|\\1|p' ${MANAGED_STATE_PATH})
{ $p find /etc/chasquid -path /etc/chasquid/.git -prune -o -type f ${WRITE_LEFTOVER_NAMES} -print
  $p find "$@" -maxdepth 1 -type f ${WRITE_LEFTOVER_NAMES} -print; } | while IFS= read -r f; do
  if [ -d "/proc/\${f##*.}" ]; then echo "busy $f"; else echo "$f"; fi
done
# What chasquid loads: directories with a fullchain.pem; other entries (README.certs) are not certificates.
for c in $($p ls /etc/chasquid/certs); do
  $p test -f "/etc/chasquid/certs/$c/fullchain.pem" || continue
  # The certificate itself (public): read on this machine, which costs the server no openssl run.
  sec "cert:$c"; $p cat "/etc/chasquid/certs/$c/fullchain.pem"
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

/** The section that reads stdin (the sudo password) and prints what only root may read. */
const STDIN_SECTION = 'sudo';

/**
 * Every section's commands are a shell function. Where a private temporary folder can be made,
 * all sections but the one reading stdin run at once, each into its own file there, while that
 * one runs in the foreground; the files are then printed in order and removed (also when the run
 * is cut off). Without one (a read-only /tmp in a rescue system) they run one after the other.
 * Either way the report is the same: each section's text stays together under its header, and
 * each section runs in a shell of its own (so one failing cannot stop the rest): the background
 * job's, which needs no subshell inside it (one process fewer per section), or a subshell.
 */
export function factsScript(): string {
  const fn = (i: number) => `mws${i}`;
  const functions = FACT_SECTIONS.map(([, shell], i) => `${fn(i)}() {\n${shell}\n}\n`);
  const name = (i: number) => FACT_SECTIONS[i]![0];
  const inSubshell = (i: number) => `sec ${name(i)}\n( ${fn(i)} )`;
  const indexes = FACT_SECTIONS.map((_, i) => i);
  const background = indexes.filter((i) => name(i) !== STDIN_SECTION);
  const foreground = indexes.filter((i) => name(i) === STDIN_SECTION);
  return (
    PRELUDE +
    functions.join('') +
    `mwd=$(mktemp -d) || mwd=
if [ -n "$mwd" ] && [ -d "$mwd" ]; then
trap 'rm -rf -- "$mwd"' EXIT
${EXIT_ON_SIGNALS}
${background.map((i) => `{ sec ${name(i)}; ${fn(i)}; } >"$mwd/${i}" </dev/null &`).join('\n')}
${foreground.map(inSubshell).join('\n')}
wait
cat ${background.map((i) => `"$mwd/${i}"`).join(' ')}
else
${indexes.map(inSubshell).join('\n')}
fi
sec end
`
  );
}

export function singleSectionScript(name: string, shell: string): string {
  return PRELUDE + sectionScript(name, shell);
}
