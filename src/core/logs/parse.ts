// chasquid's mail log lines (internal/maillog), as journalctl -o short-iso or syslog shows them.
// Pure: no I/O. Unknown lines give undefined, so a newer chasquid never breaks the view.

export type LogEvent =
  | { kind: 'queued'; time?: string; id: string; from: string; to: string[]; ip: string }
  | { kind: 'sent'; time?: string; id: string; from: string; to: string }
  | { kind: 'failed'; time?: string; id: string; from: string; to: string; permanent: boolean; error: string }
  | { kind: 'rejected'; time?: string; ip: string; from?: string; to: string[]; error: string }
  | { kind: 'auth'; time?: string; ip: string; user: string; ok: boolean }
  | { kind: 'done'; time?: string; id: string; from: string }
  /** A delivery round ended with recipients still pending; `next` is a Go duration ("1m46s"). */
  | { kind: 'loop'; time?: string; id: string; from: string; next: string };

// "2026-05-01T10:00:00+0000 vps chasquid[123]: msg" (journal) or "May  1 10:00:00 vps chasquid[123]: msg" (syslog).
const PREFIX =
  /^(?<time>\d{4}-\d\d-\d\dT[\d:.]+(?:[+-]\d\d:?\d\d|Z)?|[A-Z][a-z]{2} [ \d]\d [\d:]{8})\s+\S+\s+[\w.@/-]+(?:\[\d+\])?:\s?(?<msg>.*)$/;

const QUEUED = /^(?<id>\S+) from=(?<from>\S*) queued ip=(?<ip>\S+) to=\[(?<to>[^\]]*)\]$/;
const SENT = /^(?<id>\S+) from=(?<from>\S*) to=(?<to>\S+) sent(?: successfully)?$/;
const FAILED =
  /^(?<id>\S+) from=(?<from>\S*) to=(?<to>\S+) (?:sent )?failed \((?<how>temporary|permanent)\): (?<error>.*)$/;
const REJECTED = /^(?<ip>\S+) rejected(?: from=(?<from>\S*))?(?: to=\[(?<to>[^\]]*)\])? - (?<error>.*)$/;
const AUTH = /^(?<ip>\S+) auth(?:entication)? (?<res>succeeded|failed|successful) for (?<user>\S+)$/;
const DONE = /^(?<id>\S+) from=(?<from>\S*) all done$/;
const LOOP = /^(?<id>\S+) from=(?<from>\S*) completed loop, next in (?<next>\S+)$/;

/** Splits a journal/syslog line into its timestamp and message; a bare message is kept whole. */
export function splitLogLine(line: string): { time?: string; message: string } {
  const m = PREFIX.exec(line);
  return m?.groups ? { time: m.groups.time, message: m.groups.msg ?? '' } : { message: line };
}

const list = (s: string | undefined) => (s ? s.split(' ').filter(Boolean) : []);

export function parseLogLine(line: string): LogEvent | undefined {
  const { time, message } = splitLogLine(line.trimEnd());
  let g = QUEUED.exec(message)?.groups;
  if (g) return { kind: 'queued', time, id: g.id!, from: g.from!, to: list(g.to), ip: g.ip! };
  if ((g = SENT.exec(message)?.groups)) return { kind: 'sent', time, id: g.id!, from: g.from!, to: g.to! };
  if ((g = FAILED.exec(message)?.groups))
    return {
      kind: 'failed',
      time,
      id: g.id!,
      from: g.from!,
      to: g.to!,
      permanent: g.how === 'permanent',
      error: g.error!,
    };
  if ((g = REJECTED.exec(message)?.groups))
    return { kind: 'rejected', time, ip: g.ip!, from: g.from, to: list(g.to), error: g.error! };
  if ((g = AUTH.exec(message)?.groups))
    return { kind: 'auth', time, ip: g.ip!, user: g.user!, ok: g.res !== 'failed' };
  if ((g = DONE.exec(message)?.groups)) return { kind: 'done', time, id: g.id!, from: g.from! };
  if ((g = LOOP.exec(message)?.groups))
    return { kind: 'loop', time, id: g.id!, from: g.from!, next: g.next! };
  return undefined;
}
