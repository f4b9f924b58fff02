// Waiting until a record is visible on EVERY authoritative server of its zone: the ACME CA
// may ask any of them, so one server having it is not enough.
import { ExpectedError } from '../errors';
import type { DnsRecord, RecordType } from './providers/types';
import { sleep } from '../sleep';
import { authoritativeLookup, resolverLookup, systemLookup } from './lookup';
import { normalizeName } from '../names';

export interface WaitOptions {
  /** Authoritative servers as `ip` or `ip:port`; found through the zone's NS records when absent. */
  servers?: string[];
  timeoutMs?: number;
  intervalMs?: number;
  signal?: AbortSignal;
}

export class PropagationTimeoutError extends ExpectedError {
  override name = 'PropagationTimeoutError';
  constructor(
    readonly record: string,
    /** Servers that still did not answer as expected. */
    readonly lagging: string[],
  ) {
    super(`${record} is not visible yet on ${lagging.join(', ')}.`);
  }
}

/** Resolves once every authoritative server serves `value` (joined strings) in a TXT record of `name`. */
export function waitForTxt(name: string, value: string, options: WaitOptions = {}): Promise<void> {
  return waitForRecord({ name, type: 'TXT', value }, true, options);
}

/** Waits until `record` is present (or, with present=false, gone) on every authoritative server. */
export async function waitForRecord(record: DnsRecord, present: boolean, options: WaitOptions = {}) {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const intervalMs = options.intervalMs ?? 2_000;
  const deadline = Date.now() + timeoutMs;
  const servers = options.servers ?? (await authoritativeServers(record.name));
  let lagging = servers;
  for (;;) {
    options.signal?.throwIfAborted();
    const checks = await Promise.all(
      lagging.map(async (server) => {
        const values = await lookupValues(server, record.name, record.type).catch((): string[] => []);
        return values.includes(normalizeValue(record)) === present;
      }),
    );
    lagging = lagging.filter((_, index) => !checks[index]);
    if (lagging.length === 0) return;
    const what = `${record.type} ${record.name} "${record.value}"${present ? '' : ' (removal)'}`;
    if (Date.now() + intervalMs > deadline) throw new PropagationTimeoutError(what, lagging);
    await sleep(intervalMs, options.signal);
  }
}

/** The zone's name servers' addresses, found through the system resolver (NS of the closest enclosing zone). */
export async function authoritativeServers(name: string): Promise<string[]> {
  return (await authoritativeLookup(name, systemLookup())).servers;
}

/** Values of one type at `name` from `server`, in DnsRecord's one-string form; none when the name or type is absent. */
export async function lookupValues(server: string, name: string, type: RecordType): Promise<string[]> {
  const answer = await resolverLookup([server], { timeoutMs: 2000, tries: 2 }).query(
    name.replace(/\.$/, ''),
    type,
  );
  if (answer.status === 'ok') return answer.values;
  if (answer.status === 'nodata' || answer.status === 'nxdomain') return [];
  throw Object.assign(new Error(answer.error ?? `no answer from ${server}`), { code: answer.status });
}

function normalizeValue(record: DnsRecord): string {
  return record.type === 'TXT' ? record.value : normalizeName(record.value);
}
