// Sending limits reached, as server checks: the post-data hook writes one journal line (tag
// SENDING_LIMIT_LOG_TAG) each time it refuses a login's message; the checks read those lines and
// say who hit which limit, with the fix (a stolen password is the usual cause). One check per
// login and limit, so alerts.ts tells each episode once: it stays a warning while the login keeps
// being refused, and passes (one "resolved") once no refusal came for a quiet time. Why a quiet
// time rather than a journal cursor: see docs/server-checks.md.
import { LIMIT_WINDOWS, limitWords, SENDING_LIMIT_LOG_TAG } from '../chasquid/sending-limits';
import { SENDING_LIMIT_KEYS, type HostConfig, type SendingLimitKey } from '../config';
import { monitorMinutes } from '../config/validate-monitor';
import { shellScript, type RemoteConnection } from '../remote';
import type { Check, CheckStatus } from './index';

/** Counts that could not be kept refuse every message of the login: quiet after an hour. */
const NOT_CHECKED_QUIET = 3600;
/** At most this many login-and-limit rows cross the wire (the rest are counted). */
export const LIMIT_EPISODES_SHOWN = 50;

/** What the hook refused for one login and one limit (or `not-checked`), within the read window. */
export interface LimitEpisode {
  login: string;
  limit: SendingLimitKey | 'not-checked';
  /** The limit's value at the last refusal (undefined for `not-checked`). */
  max?: number;
  refusals: number;
  /** Unix seconds of the first and last refusal. */
  first: number;
  last: number;
}

export interface LimitEvents {
  /** The server's clock at reading (unix seconds). */
  now: number;
  /** How far back the journal was read (seconds). */
  window: number;
  episodes: LimitEpisode[];
  /** Rows left off beyond LIMIT_EPISODES_SHOWN. */
  more: number;
}

/**
 * How long after its last refusal an episode is still going on: the limit's own window (a login
 * refused by an hourly limit may send again an hour later), and never less than the time between
 * two runs of the server's timer (with its random delay), so every episode is seen by one run.
 */
export function quietSeconds(host: HostConfig, limit: LimitEpisode['limit']): number {
  const base = limit === 'not-checked' ? NOT_CHECKED_QUIET : LIMIT_WINDOWS[limit];
  const every = host.monitor ? (monitorMinutes(host.monitor.every) ?? 0) * 60 : 0;
  return Math.max(base, every > 0 ? Math.ceil(every * 1.1) + 60 : 0);
}

/** How far back the journal is read: the longest quiet time any episode of this host can have. */
export function limitEventsWindow(host: HostConfig): number {
  return Math.max(...[...SENDING_LIMIT_KEYS, 'not-checked' as const].map((k) => quietSeconds(host, k)));
}

/**
 * $1 the tag, $2 seconds back. Prints the server's clock, then one row per login and limit
 * (`@@ episode LOGIN LIMIT MAX COUNT FIRST LAST`, in order of first refusal), aggregated on the
 * server so the output stays small however many lines the journal holds.
 */
const READ_SCRIPT = `set -u
now=$(date +%s)
printf '@@ now %s\\n' "$now"
journalctl -q --no-pager -o short-unix -t "$1" --since "@$((now - $2))" 2>/dev/null |
  awk -v shown=${LIMIT_EPISODES_SHOWN} '
    / limit reached: / { k = ""; m = "-" }
    / limit not checked: / { k = "not-checked"; m = "-" }
    !/ limit (reached|not checked): / { next }
    {
      u = ""
      for (i = 2; i <= NF; i++) {
        if ($i ~ /^user=/) u = substr($i, 6)
        else if ($i ~ /^limit=/) k = substr($i, 7)
        else if ($i ~ /^max=/) m = substr($i, 5)
      }
      if (u == "" || k == "") next
      key = u " " k; t = int($1)
      if (!(key in n)) { order[++c] = key; first[key] = t }
      n[key]++; last[key] = t; max[key] = m
    }
    END {
      for (i = 1; i <= c && i <= shown; i++) { key = order[i]; print "@@ episode", key, max[key], n[key], first[key], last[key] }
      if (c > shown) print "@@ more", c - shown
    }' || true
`;

const LIMIT_NAMES: ReadonlySet<string> = new Set<string>([...SENDING_LIMIT_KEYS, 'not-checked']);

/** The reading script's output; rows that do not parse are left out. */
export function parseLimitEvents(text: string, window: number): LimitEvents {
  const result: LimitEvents = { now: 0, window, episodes: [], more: 0 };
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== '@@') continue;
    if (f[1] === 'now' && /^\d+$/.test(f[2] ?? '')) result.now = Number(f[2]);
    else if (f[1] === 'more' && /^\d+$/.test(f[2] ?? '')) result.more = Number(f[2]);
    else if (f[1] === 'episode' && f.length === 8) {
      const [, , login, limit, max, refusals, first, last] = f as [string, ...string[]];
      if (!login || !limit || !LIMIT_NAMES.has(limit)) continue;
      if (![refusals, first, last].every((x) => /^\d+$/.test(x ?? ''))) continue;
      result.episodes.push({
        login,
        limit: limit as LimitEpisode['limit'],
        ...(/^\d+$/.test(max ?? '') && { max: Number(max) }),
        refusals: Number(refusals),
        first: Number(first),
        last: Number(last),
      });
    }
  }
  return result;
}

/** The refusals of the last window, in one round trip, as root (the journal's syslog lines). */
export async function readLimitEvents(
  conn: RemoteConnection,
  host: HostConfig,
  opts: { signal?: AbortSignal } = {},
): Promise<LimitEvents> {
  const window = limitEventsWindow(host);
  const r = await conn.exec(shellScript(READ_SCRIPT, [SENDING_LIMIT_LOG_TAG, String(window)]), {
    sudo: true,
    signal: opts.signal,
    timeoutMs: 60_000,
  });
  const events = parseLimitEvents(r.stdout, window);
  if (events.now === 0) throw new Error(`the journal could not be read: ${r.stderr.trim() || 'no output'}`);
  return events;
}

const SUMMARY_ID = 'sending-limits';
const SUMMARY_TITLE = 'Sending limits reached';

const utc = (unix: number) => `${new Date(unix * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const duration = (seconds: number) =>
  seconds % 3600 === 0 ? `${seconds / 3600} h` : `${Math.round(seconds / 60)} min`;

/** One check per login and limit refused within the window; a single passing row when none was. */
export function sendingLimitChecks(host: HostConfig, events: LimitEvents | Error | undefined): Check[] {
  if (events === undefined) return [];
  if (events instanceof Error)
    return [
      {
        id: SUMMARY_ID,
        title: SUMMARY_TITLE,
        status: 'warn',
        evidence: [`The refusals could not be read: ${events.message}`],
        fix: `Look at journalctl -t ${SENDING_LIMIT_LOG_TAG} on the server.`,
      },
    ];
  if (events.episodes.length === 0)
    return [
      {
        id: SUMMARY_ID,
        title: SUMMARY_TITLE,
        status: 'pass',
        evidence: [`No login was refused by a sending limit in the last ${duration(events.window)}.`],
      },
    ];
  const checks = events.episodes.map((e): Check => {
    const quiet = quietSeconds(host, e.limit);
    const going = events.now - e.last < quiet;
    const status: CheckStatus = going ? (e.limit === 'not-checked' ? 'fail' : 'warn') : 'pass';
    const when = `${e.refusals} message(s) refused from ${utc(e.first)} to ${utc(e.last)}`;
    if (e.limit === 'not-checked')
      return {
        id: `sending-limit:${e.login}:not-checked`,
        title: `Sending limits of ${e.login} not checked`,
        status,
        evidence: [
          `${when}: the counts could not be kept on the server.`,
          ...(going ? [] : [`None since, for ${duration(quiet)}.`]),
        ],
        ...(going && {
          fix: `Every message of ${e.login} is refused until the counts can be kept: look at journalctl -t ${SENDING_LIMIT_LOG_TAG} and the free space, then run mailwright apply to set the counts' folder up again.`,
        }),
      };
    return {
      id: `sending-limit:${e.login}:${e.limit}`,
      title: `${e.login} reached the limit of ${e.max ?? '?'} ${limitWords(e.limit)}`,
      status,
      evidence: [`${when}.`, ...(going ? [] : [`None since, for ${duration(quiet)}.`])],
      ...(going && {
        fix: `If ${e.login} did not send this much, someone else has the password: reset it with mailwright user passwd ${e.login}. If it was them, raise ${e.limit} for them under limits: in mailwright.yaml and apply.`,
      }),
    };
  });
  if (events.more > 0)
    checks.push({
      id: SUMMARY_ID,
      title: SUMMARY_TITLE,
      status: 'warn',
      evidence: [`${events.more} more login(s) and limit(s) were refused: not shown.`],
      fix: `See them all with journalctl -t ${SENDING_LIMIT_LOG_TAG} on the server.`,
    });
  return checks;
}
