// chasquid's queue as the server reports it (see read.ts for the one script that reports it):
// each queued message's file (protobuf text, `m:<id>` under the queue folder, without its data)
// and chasquid's own mail log lines about it. Pure: no I/O.
import { parseTextProto, type PtField, type PtValue } from '../chasquid/prototext';
import { parseLogLine } from '../logs/parse';
import type { QueueItem, QueueListing, QueueRecipient, RecipientStatus } from './items';

/** What chasquid names a queue item: base64url of random bytes (11 characters since 1.x). */
const QUEUE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Why `id` cannot be a queue id, or undefined when it can. */
export function queueIdProblem(id: string): string | undefined {
  if (QUEUE_ID.test(id)) return undefined;
  return `"${id}" is not a queue id: chasquid's ids are letters, digits, "-" and "_" (as \`mailwright queue\` lists them)`;
}

export const QUEUE_FILE_PREFIX = 'm:';

/** The fields of a queue file that Mailwright reads. */
export interface QueueFile {
  id: string;
  from: string;
  to: string[];
  recipients: Omit<QueueRecipient, 'attempts'>[];
  createdAtMs: number | null;
}

const decoder = new TextDecoder();

function scalarText(value: PtValue): string | undefined {
  if (value.kind !== 'scalar') return undefined;
  const s = value.scalar;
  return s.kind === 'string' ? decoder.decode(s.bytes ?? new Uint8Array()) : s.text;
}

function fieldsOf(value: PtValue): PtField[] {
  return value.kind === 'message' ? value.fields : [];
}

const text = (fields: PtField[], name: string): string | undefined => {
  const f = fields.find((x) => x.name === name);
  return f ? scalarText(f.value) : undefined;
};

const STATUS: Record<string, RecipientStatus> = { PENDING: 'pending', SENT: 'sent', FAILED: 'failed' };
const TYPE: Record<string, QueueRecipient['type']> = { EMAIL: 'email', PIPE: 'pipe', FORWARD: 'forward' };

/**
 * A queue file (protobuf text, as chasquid writes it) without its data field. Undefined when it
 * is not one: chasquid would not load it either.
 */
export function parseQueueFile(src: string): QueueFile | undefined {
  const doc = parseTextProto(src);
  if (doc.errors.length > 0) return undefined;
  const fields = doc.fields;
  const id = text(fields, 'ID');
  if (!id) return undefined;
  const ts = fields.find((f) => f.name === 'created_at_ts');
  const seconds = ts ? Number(text(fieldsOf(ts.value), 'seconds') ?? 0) : NaN;
  const nanos = ts ? Number(text(fieldsOf(ts.value), 'nanos') ?? 0) : 0;
  return {
    id,
    from: text(fields, 'from') ?? '',
    to: fields.filter((f) => f.name === 'To').map((f) => scalarText(f.value) ?? ''),
    recipients: fields
      .filter((f) => f.name === 'rcpt')
      .map((f) => {
        const r = fieldsOf(f.value);
        const original = text(r, 'original_address');
        const lastError = text(r, 'last_failure_message');
        // Zero values are not written: no status is PENDING, no type is EMAIL.
        return {
          address: text(r, 'address') ?? '',
          ...(original && { originalAddress: original }),
          status: STATUS[text(r, 'status') ?? 'PENDING'] ?? 'pending',
          type: TYPE[text(r, 'type') ?? 'EMAIL'] ?? 'email',
          ...(lastError && { lastError }),
        };
      }),
    createdAtMs: Number.isFinite(seconds) ? seconds * 1000 + Math.floor(nanos / 1e6) : null,
  };
}

/** A Go duration as chasquid logs it ("1m46s", "20m0.5s", "1h2m3s") in milliseconds. */
export function goDurationMs(text: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
  if (!m || text === '') return undefined;
  return (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** The sections of the report read.ts's script prints. */
interface Report {
  nowMs: number;
  chasquidState: string;
  startedMs: number | null;
  present: boolean;
  files: { name: string; body: string[]; sizeBytes: number | null; mtimeMs: number | null }[];
  journal: string[];
}

function splitReport(stdout: string): Report {
  const report: Report = {
    nowMs: Date.now(),
    chasquidState: 'unknown',
    startedMs: null,
    present: true,
    files: [],
    journal: [],
  };
  let section: 'none' | 'systemd' | 'fields' | 'journal' = 'none';
  const files = new Map<string, Report['files'][number] & { bytes: number }>();
  for (const line of stdout.split('\n')) {
    const marker = /^@@ (\w+) ?(.*)$/.exec(line);
    if (marker) {
      const [, key, rest = ''] = marker;
      if (key === 'now') report.nowMs = Number(rest) * 1000 || report.nowMs;
      else if (key === 'nodir') report.present = false;
      else if (key === 'file') {
        // "@@ file <mtime> <bytes> <path>", from stat.
        const m = /^(\d+) (\d+) (.+)$/.exec(rest);
        if (m)
          files.set(m[3]!, {
            name: m[3]!,
            body: [],
            sizeBytes: null,
            mtimeMs: Number(m[1]) * 1000,
            bytes: Number(m[2]),
          });
      } else if (key === 'systemd' || key === 'fields' || key === 'journal') section = key;
      continue;
    }
    if (section === 'systemd') {
      // systemctl show --timestamp=unix: "ActiveState=active", "ExecMainStartTimestamp=@1796621994".
      const [key, value = ''] = line.split('=', 2);
      if (key === 'ActiveState' && value) report.chasquidState = value;
      if (key === 'ExecMainStartTimestamp' && /^@\d+$/.test(value))
        report.startedMs = Number(value.slice(1)) * 1000;
    } else if (section === 'fields') {
      // grep -H: "<path>:<line>", the path one stat named (it holds ':' itself).
      const at = line.indexOf(`/${QUEUE_FILE_PREFIX}`);
      const colon = at < 0 ? -1 : line.indexOf(':', at + QUEUE_FILE_PREFIX.length + 1);
      const file = colon > 0 ? files.get(line.slice(0, colon)) : undefined;
      file?.body.push(line.slice(colon + 1));
    } else if (section === 'journal' && line) report.journal.push(line);
  }
  for (const file of files.values()) {
    // What is not the other lines is the data line: `data:  "…"` and its newline around the message.
    const others = file.body.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    const spaces = /^\w+:( +)/.exec(file.body[0] ?? '')?.[1]?.length ?? 1;
    const stored = file.bytes - others - ('data:'.length + spaces + 3);
    report.files.push({
      name: file.name,
      body: file.body,
      mtimeMs: file.mtimeMs,
      sizeBytes: stored >= 0 ? stored : null,
    });
  }
  return report;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * chasquid's mail log lines about these items, per id: the attempts per recipient, and when it
 * said it would try again (only a decision of the chasquid that runs now counts).
 */
function logFacts(journal: string[], startedMs: number | null) {
  const attempts = new Map<string, Map<string, number>>();
  const lastAttempt = new Map<string, number>();
  const nextTry = new Map<string, number>();
  for (const line of journal) {
    const event = parseLogLine(line);
    if (!event || !('id' in event)) continue;
    const time = Date.parse((event.time ?? '').replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
    if (event.kind === 'loop') {
      const delay = goDurationMs(event.next);
      // A decision of an earlier chasquid died with it: a restart tries every message at once.
      if (delay === undefined || Number.isNaN(time) || (startedMs !== null && time < startedMs - 1000))
        continue;
      nextTry.set(event.id, time + delay);
    } else if (event.kind === 'failed' || event.kind === 'sent') {
      const perRcpt = attempts.get(event.id) ?? new Map<string, number>();
      perRcpt.set(event.to, (perRcpt.get(event.to) ?? 0) + 1);
      attempts.set(event.id, perRcpt);
      if (!Number.isNaN(time)) lastAttempt.set(event.id, time);
    }
  }
  // An attempt logged after the last decision: a round is under way, its end decides the next.
  for (const [id, at] of lastAttempt) if ((nextTry.get(id) ?? Infinity) < at) nextTry.delete(id);
  return { attempts, nextTry };
}

/** The report of read.ts's script as a listing, oldest message first. */
export function parseQueueReport(stdout: string): QueueListing {
  const report = splitReport(stdout);
  const log = logFacts(report.journal, report.startedMs);
  const running = report.chasquidState === 'active';
  const items: QueueItem[] = [];
  const unreadable: string[] = [];
  for (const file of report.files) {
    const base = file.name.slice(file.name.lastIndexOf('/') + 1);
    const parsed = parseQueueFile(file.body.join('\n'));
    if (!parsed || `${QUEUE_FILE_PREFIX}${parsed.id}` !== base || queueIdProblem(parsed.id)) {
      unreadable.push(base);
      continue;
    }
    const created = parsed.createdAtMs ?? file.mtimeMs ?? report.nowMs;
    const perRcpt = log.attempts.get(parsed.id);
    const recipients = parsed.recipients.map((r) => ({
      ...r,
      attempts: perRcpt ? (perRcpt.get(r.address) ?? 0) : null,
    }));
    const counts = recipients.map((r) => r.attempts ?? 0);
    const pending = recipients.filter((r) => r.status === 'pending');
    const next = running ? log.nextTry.get(parsed.id) : undefined;
    items.push({
      id: parsed.id,
      from: parsed.from,
      to: parsed.to,
      recipients,
      createdAt: iso(created),
      ageSeconds: Math.max(0, Math.floor((report.nowMs - created) / 1000)),
      storedBytes: file.sizeBytes,
      lastAttemptAt: file.mtimeMs !== null && file.mtimeMs - created > 1000 ? iso(file.mtimeMs) : null,
      attempts: perRcpt ? Math.max(0, ...counts) : null,
      nextTryAt: next !== undefined ? iso(next) : null,
      lastError:
        pending.find((r) => r.lastError)?.lastError ?? recipients.find((r) => r.lastError)?.lastError ?? null,
    });
  }
  items.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return {
    readAt: iso(report.nowMs),
    chasquidState: report.chasquidState,
    present: report.present,
    items,
    unreadable,
  };
}
