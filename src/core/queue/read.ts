// Reading chasquid's queue and acting on one message, each in one SSH round trip. The queue is
// read from chasquid's own files (see docs/queue.md for why not its monitoring page); the data
// of a message (up to chasquid's size limit) never crosses the wire for a listing.
import { CHASQUID_DATA_DIR } from '../chasquid/paths';
import { decodeStringLiteral } from '../chasquid/prototext-string';
import { CHASQUID_RUNNING_SCRIPT, chasquidLog, startFailureCause } from '../plan/actions/service';
import { CancelledError, shellScript, type RemoteConnection } from '../remote';
import { parseQueueFile, parseQueueReport, queueIdProblem, QUEUE_FILE_PREFIX } from './parse';
import type { QueueListing } from './items';

export const QUEUE_DIR = `${CHASQUID_DATA_DIR}/queue`;

export interface QueueOptions {
  signal?: AbortSignal;
  /** The queue folder (tests); chasquid's by default. */
  dir?: string;
}

/**
 * Sets $DECODED: an awk function giving the size in bytes of the string on a queue file's data
 * line, each escape sequence Go writes counted as the one byte it stands for. The line is split
 * at backslashes once: linear, where a regular expression substitution over a message of
 * megabytes takes minutes in mawk.
 */
const DECODED_AWK = `DECODED='
function decoded(line,   s, p, n, i, q, c, d, size) {
  s = line; sub(/^data:[ \\t]*"/, "", s); sub(/"[ \\t]*$/, "", s)
  n = split(s, p, "\\\\")
  size = length(p[1])
  for (i = 2; i <= n; i++) {
    q = p[i]
    if (q == "" && i < n) { size += 1 + length(p[i + 1]); i++; continue }
    c = substr(q, 1, 1); d = 1
    if (c ~ /[0-7]/) { while (d < 3 && substr(q, d + 1, 1) ~ /[0-7]/) d++ }
    else if (c == "x") { while (d < 3 && substr(q, d + 1, 1) ~ /[0-9a-fA-F]/) d++ }
    size += 1 + length(q) - d
  }
  return size
}'`;

/**
 * Prints, for parseQueueReport: the server's clock, chasquid's state and start, each queue file's
 * time and size, its lines but the data (grep skips a line of megabytes at disk speed, awk
 * did not), and chasquid's mail log lines about those ids since the oldest was queued. $1: the
 * queue folder.
 */
const LIST_SCRIPT = `set -u
dir=$1
printf '@@ now %s\\n@@ systemd\\n' "$(date +%s)"
systemctl show --timestamp=unix -p ActiveState -p ExecMainStartTimestamp chasquid 2>/dev/null || true
[ -d "$dir" ] || { echo '@@ nodir'; exit 0; }
set -- "$dir"/${QUEUE_FILE_PREFIX}*
[ -e "$1" ] || exit 0
stat -c '@@ file %Y %s %n' -- "$@"
echo '@@ fields'
items=$(LC_ALL=C grep -v -H -- '^data:' "$@")
printf '%s\\n' "$items"
oldest=$(printf '%s\\n' "$items" | awk '/created_at_ts/ { t = 1 } t && /seconds:/ { v = $NF + 0; if (o == "" || v < o) o = v; t = 0 } END { print o + 0 }')
ids=''
for f in "$@"; do ids="$ids\${ids:+
}\${f##*/${QUEUE_FILE_PREFIX}} from="; done
echo '@@ journal'
journalctl -q --no-pager -o short-iso-precise -t chasquid --since "@$((oldest - 5))" 2>/dev/null |
  grep -F -e "$ids" || true
`;

/** The queue as it is now: one round trip, as root (the folder is chasquid's alone). */
export async function readQueue(conn: RemoteConnection, opts: QueueOptions = {}): Promise<QueueListing> {
  const r = await conn.exec(shellScript(LIST_SCRIPT, [opts.dir ?? QUEUE_DIR]), {
    sudo: true,
    signal: opts.signal,
    timeoutMs: 60_000,
  });
  return parseQueueReport(r.stdout);
}

/** How much of a message's data `show` reads: its headers are in there unless they are huge. */
const HEAD_BYTES = 256 * 1024;

/** $1: the item's file; prints it without its data, then the data's size and its first part. */
const SHOW_SCRIPT = `set -u
${DECODED_AWK}
[ -f "$1" ] || { echo '@@ missing'; exit 0; }
LC_ALL=C awk -v max="$2" "$DECODED"'
  /^data:/ {
    print "@@ size " decoded($0)
    s = $0; sub(/^data:[ \\t]*"/, "", s)
    print "@@ head " substr(s, 1, max)
    next
  }
  { print }
' "$1"
`;

export interface QueuedMessage {
  id: string;
  from: string;
  to: string[];
  /** The header section as chasquid keeps it (its Received line and DKIM signature included). */
  headers: string;
  sizeBytes: number;
  /** The header section was longer than what was read, and is cut. */
  headersCut: boolean;
}

export class QueueItemGoneError extends Error {
  constructor(readonly id: string) {
    super(
      `Message ${id} is not in chasquid's queue (any more): it was delivered, bounced or deleted. ` +
        'Run `mailwright queue` (or refresh the Queue row) to see what is queued now.',
    );
  }
}

function checkedPath(id: string, dir = QUEUE_DIR): string {
  const problem = queueIdProblem(id);
  if (problem) throw new RangeError(`${problem}.`);
  return `${dir}/${QUEUE_FILE_PREFIX}${id}`;
}

/** One queued message's envelope, headers and size (the body stays on the server). */
export async function showQueueMessage(
  conn: RemoteConnection,
  id: string,
  opts: QueueOptions = {},
): Promise<QueuedMessage> {
  const path = checkedPath(id, opts.dir);
  const r = await conn.exec(shellScript(SHOW_SCRIPT, [path, String(HEAD_BYTES)]), {
    sudo: true,
    signal: opts.signal,
    timeoutMs: 60_000,
  });
  const lines = r.stdout.split('\n');
  if (lines[0] === '@@ missing') throw new QueueItemGoneError(id);
  const head = lines.find((l) => l.startsWith('@@ head '))?.slice('@@ head '.length) ?? '';
  const size = Number(lines.find((l) => l.startsWith('@@ size '))?.slice('@@ size '.length));
  const file = parseQueueFile(lines.filter((l) => !l.startsWith('@@ ')).join('\n'));
  if (!file) throw new Error(`chasquid's queue file of ${id} could not be read.`);
  // The head may end inside an escape: what decodes before it is all the message there is.
  const data = Buffer.from(decodeStringLiteral(`"${head}"`, 0).bytes).toString('utf8');
  const end = /\r?\n\r?\n/.exec(data);
  return {
    id: file.id,
    from: file.from,
    to: file.to,
    headers: end ? data.slice(0, end.index) : data,
    sizeBytes: Number.isFinite(size) ? size : data.length,
    headersCut: !end && head.length >= HEAD_BYTES,
  };
}

/**
 * chasquid keeps every queued message in memory and writes its file again after each attempt:
 * a file removed while it runs comes back, and the message is still delivered. So chasquid is
 * stopped, the file removed, and chasquid started again (it then tries the rest of the queue at
 * once, as after any restart). A connection during the pause waits in systemd's socket; if one
 * starts chasquid before the file is gone, the stop is repeated.
 */
const DELETE_SCRIPT = `set -u
[ -f "$1" ] || { echo '@@ missing'; exit 0; }
was=$(systemctl is-active chasquid 2>/dev/null || true)
if [ "$was" != active ]; then rm -f -- "$1" && echo "@@ deleted $was"; exit; fi
trap 'systemctl start chasquid' EXIT
for i in 1 2 3; do
  systemctl stop chasquid || exit 1
  rm -f -- "$1" || exit 1
  systemctl is-active --quiet chasquid || break
done
[ ! -e "$1" ] || exit 1
echo '@@ deleted active'
`;

export interface DeleteResult {
  id: string;
  /** chasquid was restarted (it ran before); otherwise only the file was removed. */
  restarted: boolean;
}

/**
 * Deletes one queued message so that it is gone for good (also after a restart); refused
 * (QueueItemGoneError) when it is no longer queued. chasquid's running check then follows.
 */
export async function deleteQueueMessage(
  conn: RemoteConnection,
  id: string,
  opts: QueueOptions = {},
): Promise<DeleteResult> {
  const path = checkedPath(id, opts.dir);
  if (opts.signal?.aborted) throw new CancelledError();
  // Not cancellable once sent: chasquid must not be left stopped half way.
  const r = await conn.exec(shellScript(DELETE_SCRIPT, [path]), {
    sudo: true,
    timeoutMs: 120_000,
    check: false,
  });
  const out = r.stdout.trim();
  if (out === '@@ missing') throw new QueueItemGoneError(id);
  const m = /^@@ deleted (\S+)$/m.exec(out);
  if (r.exitCode !== 0 || !m)
    throw new Error(
      `Deleting ${id} from chasquid's queue failed (exit ${String(r.exitCode)}): ${(r.stderr || out).trim().slice(0, 500)}`,
    );
  const restarted = m[1] === 'active';
  if (restarted) {
    const running = await conn.exec(shellScript(CHASQUID_RUNNING_SCRIPT, ['2']), {
      sudo: true,
      check: false,
      timeoutMs: 30_000,
    });
    if (running.exitCode !== 0) {
      const cause = startFailureCause(await chasquidLog(conn));
      throw new Error(
        `${id} was deleted from the queue, but chasquid did not keep running after its restart` +
          `${cause ? `: ${cause}` : ''}. See \`journalctl -u chasquid\` on the server, then provision again.`,
      );
    }
  }
  return { id, restarted };
}
