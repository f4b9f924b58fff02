// DNS changes made in stages, with the state kept on the server: the DKIM key rotation and the
// DANE key rollover both publish a new record beside the current one, wait until every
// authoritative server serves it, switch, wait again (a retention, a TTL) and remove the old
// record. What both need lives here once: the state file, publishing and removing exact values
// through a provider (never another value), and the wait for the servers; the stage lines and
// dates, which the editor shows without loading any of this, are in stages.ts.
import { ExpectedError } from '../errors';
import { readRemoteFileIfExists, writeRemoteFileAtomic, type RemoteConnection } from '../remote';
import { sameRecordValue, type RecordKind } from './model';
import { PropagationTimeoutError, waitForRecord } from './propagation';
import type { DnsProvider, DnsRecord } from './providers/types';

/** The state file, or undefined when there is none; `parse` refuses one it cannot read. */
export async function readStageState<T>(
  conn: RemoteConnection,
  path: string,
  parse: (text: string) => T,
): Promise<T | undefined> {
  const text = await readRemoteFileIfExists(conn, path);
  return text === null ? undefined : parse(text.toString('utf8'));
}

/** Written atomically, root only, after each stage and before the next begins. */
export async function saveStageState(
  conn: RemoteConnection,
  path: string,
  state: object,
  signal?: AbortSignal,
): Promise<void> {
  await writeRemoteFileAtomic(conn, path, `${JSON.stringify(state, null, 2)}\n`, {
    mode: '0600',
    owner: 'root:root',
    ...(signal && { signal }),
  });
}

/** A record a stage writes or removes; the kind says how its values compare. */
export interface StagedRecord extends DnsRecord {
  kind: RecordKind;
}

function holds(record: StagedRecord, found: DnsRecord): boolean {
  return sameRecordValue(record, found.value);
}

/** Creates each record the provider does not hold yet with this value (a second run writes nothing). */
export async function publishStagedRecords(
  provider: DnsProvider,
  records: readonly StagedRecord[],
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  for (const record of records) {
    const present = (await provider.list(record.name, record.type, signal)).some((r) => holds(record, r));
    if (!present) await provider.create(record, signal);
    log(`${present ? 'Already published' : 'Published'}: ${record.type} ${record.name}`);
  }
}

/** Deletes exactly these values (other records at the names stay); gone already is fine. */
export async function removeStagedRecords(
  provider: DnsProvider,
  records: readonly StagedRecord[],
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  for (const record of records) {
    const found = (await provider.list(record.name, record.type, signal)).filter((r) => holds(record, r));
    for (const r of found) await provider.delete(r, signal);
    log(`${found.length > 0 ? 'Removed' : 'Already gone'}: ${record.type} ${record.name}`);
  }
}

/** A new record is not served by every authoritative server yet: the next run continues. */
export class RecordsNotServedError extends ExpectedError {
  override name = 'RecordsNotServedError';
}

/**
 * Resolves once every authoritative server serves every record; otherwise, after `waitMs`, a
 * RecordsNotServedError that ends with `meanwhile` (what still holds, and to run again).
 */
export async function waitUntilServed(
  records: readonly DnsRecord[],
  options: { waitMs: number; servers?: string[]; signal?: AbortSignal },
  meanwhile: string,
): Promise<void> {
  try {
    await Promise.all(
      records.map((record) =>
        waitForRecord(record, true, {
          timeoutMs: options.waitMs,
          ...(options.servers && { servers: options.servers }),
          ...(options.signal && { signal: options.signal }),
        }),
      ),
    );
  } catch (error) {
    if (!(error instanceof PropagationTimeoutError)) throw error;
    throw new RecordsNotServedError(`${error.message} ${meanwhile}`);
  }
}
