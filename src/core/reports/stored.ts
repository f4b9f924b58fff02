// The reports kept on a server, read in one round trip and summarised: what `mailwright reports`
// prints and the Reports panel shows.
import { reverseName } from '../dns/address';
import type { DnsLookup } from '../dns/model';
import { shellScript, type RemoteConnection } from '../remote';
import { ReportError } from './errors';
import { collectReports, ownerDomain, type SetAside } from './index';
import { reportAttachments } from './message';
import {
  MAX_READ_BYTES,
  MAX_REPORT_MESSAGE_BYTES,
  parseStoreListing,
  READ_STORE_SCRIPT,
  REPORT_STORE_DIR,
  type StoreListing,
} from './store';
import { summariseReports, type AnyReport, type DomainSummary } from './summary';

/** The store's messages (newest first, bounded), fetched as root in one command. */
export async function readReportStore(
  conn: RemoteConnection,
  signal?: AbortSignal,
  limits: { maxMessageBytes?: number; maxReadBytes?: number } = {},
): Promise<StoreListing> {
  const r = await conn.exec(
    shellScript(READ_STORE_SCRIPT, [
      REPORT_STORE_DIR,
      String(limits.maxMessageBytes ?? MAX_REPORT_MESSAGE_BYTES),
      String(limits.maxReadBytes ?? MAX_READ_BYTES),
    ]),
    { sudo: true, signal },
  );
  return parseStoreListing(r.stdout);
}

export interface StoredReports {
  summaries: DomainSummary[];
  /** Messages (or attachments in them) not counted, each with its reason. */
  setAside: SetAside[];
  /** Messages read from the store. */
  messages: number;
  tooLarge: StoreListing['tooLarge'];
  skipped: StoreListing['skipped'];
  dropped: StoreListing['dropped'];
}

/**
 * Every stored message's report attachments read against the host's domains; a message with none
 * (a person writing to postmaster@, say) and each bad report are set aside, never stopping the rest.
 * `only`: the summary of this domain alone.
 */
export function summariseStore(
  listing: StoreListing,
  domains: readonly string[],
  only?: string,
): StoredReports {
  const items: Array<{ name: string; bytes: Uint8Array }> = [];
  const setAside: SetAside[] = [];
  for (const message of listing.messages) {
    const parts = reportAttachments(message.bytes);
    if (parts.length === 0) {
      setAside.push({
        name: message.name,
        problem: 'invalid',
        message: new ReportError(
          'invalid',
          'The message holds no report (no gzip, zip, XML or JSON attachment).',
        ).message,
      });
    }
    parts.forEach((part, i) =>
      items.push({ name: parts.length > 1 ? `${message.name}#${i + 1}` : message.name, bytes: part.bytes }),
    );
  }
  const collected = collectReports(items, domains);
  const reports: AnyReport[] = collected.reports;
  const summaries = summariseReports(reports, ownerDomain(domains)).filter((s) => !only || s.domain === only);
  return {
    summaries,
    setAside: [...setAside, ...collected.setAside],
    messages: listing.messages.length,
    tooLarge: listing.tooLarge,
    skipped: listing.skipped,
    dropped: listing.dropped,
  };
}

/** How many sources get a PTR lookup, how many at once, and how long each may take. */
export const REVERSE_LIMITS = { sources: 100, concurrency: 8, timeoutMs: 1500 } as const;

/**
 * The reverse name of each source IP (the first PTR value), looked up at most once per run
 * (`cache`), a few at a time, the first REVERSE_LIMITS.sources sources only (failing ones come
 * first in a summary): a summary with thousands of sources must not wait on thousands of lookups.
 */
export async function addReverseNames(
  summaries: DomainSummary[],
  lookup: DnsLookup,
  signal?: AbortSignal,
  cache = new Map<string, Promise<string | undefined>>(),
): Promise<void> {
  const sources = summaries.flatMap((s) => s.sources).slice(0, REVERSE_LIMITS.sources);
  const ptr = (ip: string) => {
    let found = cache.get(ip);
    if (!found) {
      found = lookup.query(reverseName(ip), 'PTR', signal).then(
        (a) => (a.status === 'ok' ? a.values[0] : undefined),
        () => undefined,
      );
      cache.set(ip, found);
    }
    return found;
  };
  let next = 0;
  const worker = async () => {
    while (next < sources.length) {
      signal?.throwIfAborted();
      const source = sources[next++]!;
      const name = await ptr(source.ip);
      if (name) source.reverse = name;
    }
  };
  await Promise.all(Array.from({ length: REVERSE_LIMITS.concurrency }, worker));
}
