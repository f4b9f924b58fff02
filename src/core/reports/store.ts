// The store of received reports on the server. chasquid pipes each message sent to a kept report
// address to a small program (an alias `mailwright-reports: | <program> <domain> <days>`), which
// writes it atomically into a folder of the domain that only chasquid's user and root can read,
// and keeps the folder bounded: a message too large to be a report is dropped, old ones and the
// oldest beyond a count and a total size are deleted. The reader fetches the folders in one
// round trip, bounded too, and every message is read as hostile input (src/core/reports).
import { MAX_REPORT_BYTES } from './decode';

/**
 * One folder per receiving domain, chasquid:chasquid 0700: reports are who sends mail as the
 * domain. Not under /var/lib/mailwright, which is root's alone (0700) and which chasquid's user,
 * running the program, could not enter.
 */
export const REPORT_STORE_DIR = '/var/lib/mailwright-reports';
/** The program chasquid pipes a report message to (beside chasquid's hooks: it is part of its mail handling). */
export const KEEP_REPORT_PROGRAM = '/etc/chasquid/hooks/mailwright-keep-report';
/** The alias of each kept domain that pipes to the program; the report addresses point at it too. */
export const REPORT_STORE_ALIAS = 'mailwright-reports';

/**
 * The largest message kept: a report at its largest (MAX_REPORT_BYTES) base64-encoded, plus room
 * for the headers. Anything larger could not hold a report that would be read.
 */
export const MAX_REPORT_MESSAGE_BYTES = Math.ceil(MAX_REPORT_BYTES / 3) * 4 + 256 * 1024;
/** Messages kept per domain: a domain hears from a few dozen receivers a day. */
export const MAX_STORED_REPORTS = 5000;
/** Bytes kept per domain, whatever the count: the oldest go first. */
export const MAX_STORED_BYTES = 256 * 1024 * 1024;
/** Bytes fetched by one read (newest first); older messages beyond are named, not fetched. */
export const MAX_READ_BYTES = 48 * 1024 * 1024;
/** Lines of the log of dropped (oversize) messages, per domain. */
const MAX_DROPPED_LOG_BYTES = 64 * 1024;

/** The pipe command of a domain's store alias (chasquid splits it at spaces; nothing is quoted). */
export function keepReportCommand(domain: string, retentionDays: number): string {
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(domain)) throw new RangeError(`not a domain name: ${domain}`);
  if (!Number.isInteger(retentionDays) || retentionDays < 1)
    throw new RangeError('retention must be >= 1 day');
  return `${KEEP_REPORT_PROGRAM} ${domain} ${retentionDays}`;
}

/**
 * The program (POSIX sh, coreutils and findutils as every supported system has them). It runs as
 * chasquid's user with the message on stdin; a non-zero exit makes chasquid bounce the message to
 * its (often forged) sender, so a message it does not keep still exits 0 and is logged instead.
 */
export const KEEP_REPORT_SCRIPT = `#!/bin/sh
# Mailwright: keeps a DMARC or TLS report mailed to a report address of this server.
# chasquid pipes the message here (alias "${REPORT_STORE_ALIAS}: | ${KEEP_REPORT_PROGRAM} <domain> <days>").
# Written by Mailwright from mailwright.yaml (reports: keep); edit the yaml, not this file.
set -eu
umask 077
store=${REPORT_STORE_DIR}
max=${MAX_REPORT_MESSAGE_BYTES}
count=${MAX_STORED_REPORTS}
total=${MAX_STORED_BYTES}
case \${1:-} in '' | .* | *[!a-z0-9.-]*) echo "mailwright-keep-report: bad domain" >&2; exit 64 ;; esac
case \${2:-} in '' | *[!0-9]*) echo "mailwright-keep-report: bad number of days" >&2; exit 64 ;; esac
dir=$store/$1
[ -d "$dir" ] || mkdir -m 0700 "$dir"
tmp=$(mktemp "$dir/.incoming.XXXXXX")
trap 'rm -f "$tmp"' EXIT
head -c $((max + 1)) >"$tmp"
cat >/dev/null
size=$(wc -c <"$tmp")
now=$(date -u +%Y%m%dT%H%M%SZ)
if [ "$size" -gt "$max" ]; then
  log=$dir/dropped.log
  if [ ! -f "$log" ] || [ "$(wc -c <"$log")" -lt ${MAX_DROPPED_LOG_BYTES} ]; then
    echo "$now over $max bytes" >>"$log"
  fi
  echo "mailwright-keep-report: a message for $1 is larger than $max bytes: not kept" >&2
  exit 0
fi
mv "$tmp" "$dir/$now-$$.eml"
trap - EXIT
find "$dir" -maxdepth 1 -type f -name '*.eml' -mtime +"$2" -exec rm -f {} +
find "$dir" -maxdepth 1 -type f -name '*.eml' -printf '%T@ %s %f\\n' | sort -rn |
  awk -v c="$count" -v t="$total" '{ n++; s += $2; if (n > c || s > t) print $3 }' |
  while read -r old; do rm -f "$dir/$old"; done
exit 0
`;

/**
 * Prints the stored messages newest first: `file <domain>/<name> <size>` and its base64 on the
 * next line, `big …` for one over the size a report can have (not sent), `skipped …` beyond the
 * read budget, and `dropped <domain> <count>` for the messages the program did not keep.
 * $1 the store, $2 the largest message, $3 the budget. Run as root.
 */
export const READ_STORE_SCRIPT = `set -eu
[ -d "$1" ] || exit 0
cd "$1"
max=$2 budget=$3 used=0
find . -mindepth 2 -maxdepth 2 -type f -name '*.eml' -printf '%T@ %s %P\\n' | sort -rn |
  while read -r t s p; do
    if [ "$s" -gt "$max" ]; then echo "big $p $s"; continue; fi
    if [ $((used + s)) -gt "$budget" ]; then echo "skipped $p $s"; continue; fi
    used=$((used + s))
    echo "file $p $s"
    base64 -w0 -- "$p"
    echo
  done
for f in */dropped.log; do [ -f "$f" ] && echo "dropped \${f%%/*} $(wc -l <"$f")"; done
exit 0`;

export interface StoredMessage {
  /** `<domain>/<file>` in the store. */
  name: string;
  bytes: Buffer;
}

export interface StoreListing {
  messages: StoredMessage[];
  /** Stored messages over the size a report can have: not fetched. */
  tooLarge: Array<{ name: string; size: number }>;
  /** Older messages beyond what one read fetches. */
  skipped: Array<{ name: string; size: number }>;
  /** Per domain, messages the program dropped for their size. */
  dropped: Record<string, number>;
}

/** READ_STORE_SCRIPT's output, read back. */
export function parseStoreListing(output: string): StoreListing {
  const listing: StoreListing = { messages: [], tooLarge: [], skipped: [], dropped: {} };
  const lines = output.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = /^(file|big|skipped|dropped) (\S+) (\d+)$/.exec(line);
    if (!m) continue;
    const [, kind, name, number] = m as unknown as [string, string, string, string];
    if (kind === 'file') {
      listing.messages.push({ name, bytes: Buffer.from(lines[i + 1] ?? '', 'base64') });
      i++;
    } else if (kind === 'big') listing.tooLarge.push({ name, size: Number(number) });
    else if (kind === 'skipped') listing.skipped.push({ name, size: Number(number) });
    else listing.dropped[name] = Number(number);
  }
  return listing;
}
