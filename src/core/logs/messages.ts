// Recent messages from chasquid's log: one row per queued message (or rejection), with the
// outcome of its deliveries. Pure, so the "Recent Messages" view is unit-tested on real lines.
import { parseLogLine } from './parse';

export type Outcome = 'sent' | 'failed' | 'temporary failure' | 'queued' | 'rejected';

export interface RecentMessage {
  /** chasquid's queue id; undefined for a rejection (never queued). */
  queueId?: string;
  time?: string;
  from: string;
  /** Recipients as the client gave them. */
  to: string[];
  /** Where chasquid delivered to after aliases, with each outcome. */
  deliveries: Record<string, Outcome>;
  result: Outcome;
  /** The error chasquid gave, for failures and rejections. */
  detail?: string;
}

const RANK: Record<Outcome, number> = { rejected: 4, failed: 3, 'temporary failure': 2, queued: 1, sent: 0 };

/** Newest first. A message's result is its worst delivery (a permanent failure beats a sent copy). */
export function recentMessages(lines: Iterable<string>, limit = 200): RecentMessage[] {
  const byId = new Map<string, RecentMessage>();
  const rows: RecentMessage[] = [];
  const queued = (id: string, time: string | undefined, from: string, to: string[]) => {
    const row: RecentMessage = { queueId: id, time, from, to, deliveries: {}, result: 'queued' };
    byId.set(id, row);
    rows.push(row);
    return row;
  };
  for (const line of lines) {
    const e = parseLogLine(line);
    if (!e) continue;
    if (e.kind === 'queued') queued(e.id, e.time, e.from, e.to);
    else if (e.kind === 'rejected')
      rows.push({
        time: e.time,
        from: e.from ?? '',
        to: e.to,
        deliveries: {},
        result: 'rejected',
        detail: e.error,
      });
    else if (e.kind === 'sent' || e.kind === 'failed') {
      // A message queued before the lines we read still gets a row.
      const row = byId.get(e.id) ?? queued(e.id, e.time, e.from, []);
      row.deliveries[e.to] = e.kind === 'sent' ? 'sent' : e.permanent ? 'failed' : 'temporary failure';
      if (e.kind === 'failed') row.detail = e.error;
      row.result = Object.values(row.deliveries).reduce(
        (a, b) => (RANK[b] > RANK[a] ? b : a),
        'sent' as Outcome,
      );
    }
  }
  return rows.slice(-limit).reverse();
}
