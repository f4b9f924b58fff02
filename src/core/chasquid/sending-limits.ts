// Per-user sending limits, enforced by Mailwright's post-data hook (see docs/sending-limits.md).
// chasquid itself has no outbound limit, so one stolen password could send until the server's
// address is on every blocklist. The hook sees each accepted message once, after DATA and before
// chasquid queues it, with the authenticated login in AUTH_AS and the recipients in RCPT_TO; for a
// limited login it counts the message and its recipients in a log of the last 24 hours, under a
// lock, and refuses with a temporary error (451, the client retries later) once a limit is reached.
// Mail received from other servers (no AUTH_AS) is never counted.
import {
  SENDING_LIMIT_KEYS,
  type DomainConfig,
  type EffectiveLimits,
  type HostConfig,
  type SendingLimitKey,
} from '../config';
import { domainSendingLimits, hasSendingLimits, userSendingLimits } from '../config/validate-limits';
import { MANAGED_STATE_DIR } from '../facts/script';
import { HOOKS_DIR } from './paths';

/** The limits of every user, read by the hook (relative to chasquid's config directory). */
export const LIMITS_TABLE = `${HOOKS_DIR}/mailwright-limits`;
/** Where the hook keeps its counts: owned by chasquid (the hook runs as chasquid), no one else's. */
export const LIMITS_STATE_DIR = `${MANAGED_STATE_DIR}/limits`;
/** The log of counted messages in LIMITS_STATE_DIR: `<unix time> <login> <recipients>` per line. */
export const LIMITS_LOG_FILE = 'sent';
/**
 * The syslog tag (journalctl -t) of the one line written when a login reaches a limit:
 * `limit reached: user=<login> limit=<key> max=<n> retry-after=<unix time>`.
 */
export const SENDING_LIMIT_LOG_TAG = 'mailwright-sending-limit';
/** The windows the counts are kept over, in seconds: rolling, not fixed buckets. */
export const LIMIT_WINDOWS: Record<SendingLimitKey, number> = {
  messagesPerHour: 3600,
  messagesPerDay: 86400,
  recipientsPerHour: 3600,
  recipientsPerDay: 86400,
};
/** How long the log keeps a line: the longest window. */
const KEPT_SECONDS = Math.max(...Object.values(LIMIT_WINDOWS));
/** Whether a limit counts recipients (else messages). */
const countsRecipients = (key: SendingLimitKey) => key.startsWith('recipients');

const HEADER = '# Written by Mailwright from mailwright.yaml; edit the yaml, not this file.';
const NO_LIMIT = '-';

function limitColumns(limits: EffectiveLimits): string {
  return SENDING_LIMIT_KEYS.map((key) => String(limits[key] ?? NO_LIMIT)).join(' ');
}

/**
 * The table the hook reads, or undefined when no user of the host has a limit:
 *   state DIR                      where the counts are kept
 *   limit LOGIN MPH MPD RPH RPD    a user's limits ("-": none), in SENDING_LIMIT_KEYS order
 *   limit *@DOMAIN MPH MPD RPH RPD any other login of the domain (one not in mailwright.yaml)
 * `stateDir` is for tests that run the hook outside a server.
 */
export function limitsTable(host: HostConfig, stateDir = LIMITS_STATE_DIR): string | undefined {
  if (!hasSendingLimits(host)) return undefined;
  const lines = [
    HEADER,
    '# Read by hooks/post-data: the sending limits of each login. Columns:',
    `# limit <login> ${SENDING_LIMIT_KEYS.join(' ')} ("${NO_LIMIT}": no limit)`,
    `state ${stateDir}`,
  ];
  for (const domain of host.domains) {
    for (const user of domain.users)
      lines.push(`limit ${user}@${domain.name} ${limitColumns(userSendingLimits(host, domain, user))}`);
    lines.push(`limit *@${domain.name} ${limitColumns(domainSendingLimits(host, domain))}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The logins of a host with their limits, as the table gives them to the hook. */
export function limitedLogins(host: HostConfig): Array<{ login: string; limits: EffectiveLimits }> {
  return host.domains.flatMap((domain: DomainConfig) =>
    domain.users.map((user) => ({
      login: `${user}@${domain.name}`,
      limits: userSendingLimits(host, domain, user),
    })),
  );
}

/** One login's limits and what it sent in each window, for `mailwright limits`. */
export interface LoginCounts {
  login: string;
  limits: EffectiveLimits;
  counts: Record<SendingLimitKey, number>;
  /** The limits the login has reached: its next message (or recipient) is refused. */
  reached: SendingLimitKey[];
  /** A login found in the log but not in mailwright.yaml (a user added on the server). */
  unlisted?: true;
}

/** Every user of the host, then any other login the log names, with counts at `now` (unix seconds). */
export function loginCounts(host: HostConfig, log: string, now: number): LoginCounts[] {
  const listed = limitedLogins(host);
  const known = new Set(listed.map((l) => l.login));
  const others = [
    ...new Set(
      log
        .split('\n')
        .map((line) => line.trim().split(/\s+/)[1])
        .filter((login): login is string => login !== undefined && !known.has(login)),
    ),
  ].sort();
  const rows = [
    ...listed,
    ...others.map((login) => {
      const domain = host.domains.find((d) => login.endsWith(`@${d.name}`));
      return { login, limits: domain ? domainSendingLimits(host, domain) : {}, unlisted: true as const };
    }),
  ];
  return rows.map((row) => {
    const counts = countsOf(log, row.login, now);
    const reached = SENDING_LIMIT_KEYS.filter((key) => {
      const limit = row.limits[key];
      return limit !== undefined && counts[key] >= limit;
    });
    return { ...row, counts, reached };
  });
}

/** A login's counts over each window at `now` (unix seconds), from the hook's log. */
export function countsOf(log: string, login: string, now: number): Record<SendingLimitKey, number> {
  const counts: Record<SendingLimitKey, number> = {
    messagesPerHour: 0,
    messagesPerDay: 0,
    recipientsPerHour: 0,
    recipientsPerDay: 0,
  };
  for (const line of log.split('\n')) {
    const [time, who, recipients] = line.trim().split(/\s+/);
    if (who !== login) continue;
    const age = now - Number(time);
    for (const key of SENDING_LIMIT_KEYS) {
      if (!(age < LIMIT_WINDOWS[key])) continue;
      counts[key] += countsRecipients(key) ? Number(recipients) || 0 : 1;
    }
  }
  return counts;
}

const WORDS: Record<SendingLimitKey, string> = {
  messagesPerHour: 'messages per hour',
  messagesPerDay: 'messages per day',
  recipientsPerHour: 'recipients per hour',
  recipientsPerDay: 'recipients per day',
};

// The awk program the hook runs under the lock. Reads the table; prints
//   ok                         counted (the new log is in $log.new)
//   none                       the login has no limit: not counted
//   T <index> <max> <time>     over a limit: temporary refusal, free again at <time>
//   P <index> <max>            more recipients in this message than a limit allows: permanent
// <index> is 1-K in SENDING_LIMIT_KEYS order (K of them, one table column each). The log's lines are in time order (appended under
// the lock), so the oldest lines are the first to leave a window.
const COUNT_AWK = `
$1 == "limit" && $2 == user { for (i = 1; i <= K; i++) L[i] = $(i + 2); own = 1 }
$1 == "limit" && $2 == anyone { for (i = 1; i <= K; i++) D[i] = $(i + 2); dom = 1 }
function over(i, win, isr,   lim, add, total, j, free) {
  lim = L[i]
  if (lim == "-" || lim == "") return
  lim += 0
  add = isr ? n + 0 : 1
  if (add > lim) { if (!perm) perm = i " " lim; return }
  total = 0
  for (j = 1; j <= c; j++) if (ut[j] > now - win) total += isr ? ur[j] : 1
  if (total + add <= lim) return
  for (j = 1; j <= c; j++) {
    if (ut[j] <= now - win) continue
    total -= isr ? ur[j] : 1
    if (total + add <= lim) break
  }
  if (j > c) free = now + win; else free = ut[j] + win
  if (free > when) { when = free; which = i " " lim }
}
END {
  if (!own && dom) for (i = 1; i <= K; i++) L[i] = D[i]
  if (!own && !dom) { print "none"; exit }
  any = 0
  for (i = 1; i <= K; i++) if (L[i] != "-") any = 1
  if (!any) { print "none"; exit }
  k = 0; c = 0
  while ((getline line < logf) > 0) {
    split(line, f, " ")
    if (f[1] + 0 <= now - ${KEPT_SECONDS}) continue
    keep[++k] = line
    if (f[2] == user) { c++; ut[c] = f[1] + 0; ur[c] = f[3] + 0 }
  }
  close(logf)
  perm = ""; when = 0; which = ""
  ${SENDING_LIMIT_KEYS.map((key, i) => `over(${i + 1}, ${LIMIT_WINDOWS[key]}, ${countsRecipients(key) ? 1 : 0})`).join('; ')}
  if (perm != "") { print "P " perm; exit }
  if (which != "") { print "T " which " " when; exit }
  out = logf ".new"
  printf "" > out
  for (j = 1; j <= k; j++) print keep[j] > out
  print now " " user " " n > out
  close(out)
  print "ok"
}`;

/**
 * The part of the post-data hook that enforces the limits (POSIX sh, run as chasquid in its config
 * directory). Does nothing without the table, so the hook is the same with limits on or off.
 * A message it cannot count (no state folder, lock not had within 30 s) is refused for now
 * rather than sent uncounted.
 */
export const SENDING_LIMITS_HOOK_PART = `# Sending limits: count what each authenticated login sends, refuse once a limit is reached.
limits=${LIMITS_TABLE}
if [ -n "\${AUTH_AS:-}" ] && [ -r "$limits" ]; then
  login=$(printf '%s' "$AUTH_AS" | tr 'A-Z' 'a-z')
  set -- \${RCPT_TO:-}
  rcpts=$#
  now=$(date +%s)
  state=$(awk '$1 == "state" { print $2; exit }' "$limits")
  verdict=$(
    exec 9>>"$state/lock" || exit 1
    flock -w 30 9 || exit 1
    v=$(awk -v K=${SENDING_LIMIT_KEYS.length} -v user="$login" -v anyone="*@\${login##*@}" -v n="$rcpts" -v now="$now" \\
      -v logf="$state/${LIMITS_LOG_FILE}" '${COUNT_AWK.replace(/'/g, "'\\''")}' "$limits") || exit 1
    if [ "$v" = ok ]; then mv -f "$state/${LIMITS_LOG_FILE}.new" "$state/${LIMITS_LOG_FILE}" || exit 1; fi
    printf '%s\\n' "$v"
  ) || verdict=error
  case $verdict in
  ok | none) ;;
  T\\ * | P\\ *)
    set -- $verdict
    case $2 in
${SENDING_LIMIT_KEYS.map((key, i) => `    ${i + 1}) key=${key} what='${WORDS[key]}' ;;`).join('\n')}
    esac
    if [ "$1" = P ]; then
      logger -t ${SENDING_LIMIT_LOG_TAG} -p mail.warning "limit reached: user=$login limit=$key max=$3 recipients=$rcpts" 2>/dev/null || true
      echo "5.5.3 This message has $rcpts recipients, more than the limit of $3 $what for $login: send it to fewer recipients at a time."
      exit 20
    fi
    at=$(date -u -d "@$4" +%H:%M 2>/dev/null || echo later)
    logger -t ${SENDING_LIMIT_LOG_TAG} -p mail.warning "limit reached: user=$login limit=$key max=$3 retry-after=$4" 2>/dev/null || true
    echo "4.7.0 Sending limit of $3 $what reached for $login; try again after $at UTC."
    exit 75
    ;;
  *)
    logger -t ${SENDING_LIMIT_LOG_TAG} -p mail.err "limit not checked: user=$login state=$state" 2>/dev/null || true
    echo "4.3.0 The sending limits of $login could not be checked on this server; try again later."
    exit 75
    ;;
  esac
fi
`;

/** The words of a limit, for messages and listings. */
export function limitWords(key: SendingLimitKey): string {
  return WORDS[key];
}
