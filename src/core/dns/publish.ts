// Publishing the expected records through a DNS provider: a plan that creates what is missing
// and updates exactly the value Mailwright owns in each "slot" (the SPF TXT, the DMARC TXT…),
// never deletes, and lists what else lives at the same names so the user sees it.
import { ExpectedError, isExpectedError } from '../errors';
import { canonicalIp } from './address';
import { isSpfRecord } from './spf';
import type { ExpectedRecord, RecordKind } from './model';
import type { DnsProvider, DnsRecord } from './providers/types';

export type PublishAction = 'create' | 'update' | 'keep' | 'skip';

export interface PublishChange {
  action: PublishAction;
  record: ExpectedRecord;
  /** update: the value replaced; keep: the value that already matches. */
  previous?: DnsRecord;
  /** Why, in plain words. */
  reason: string;
  /** Values at the same name and type that Mailwright leaves alone, and what to do about them. */
  notes?: string[];
}

export interface PublishOptions {
  signal?: AbortSignal;
  /** Called after each change is made (or found to need nothing). */
  onChange?: (change: PublishChange, outcome: 'done' | 'unchanged') => void;
}

export interface PublishResult {
  /** Changes written to the provider (create and update), in order. */
  applied: PublishChange[];
  /** keep and skip: nothing written. */
  unchanged: PublishChange[];
}

const REVERSE_DNS_REASON =
  "PTR is not part of the domain's zone: set it at your VPS provider's reverse DNS page.";

/**
 * For each kind whose value occupies one "slot" at its name: which existing values are the
 * same slot (and so get updated rather than joined by a second value).
 */
const SLOT_OF: Partial<Record<RecordKind, (value: string, expected: ExpectedRecord) => boolean>> = {
  spf: (value) => isSpfRecord(value),
  'spf-include': (value) => isSpfRecord(value),
  dmarc: (value) => /^v=DMARC1\b/i.test(value.trim()),
  // Only the DKIM key lives at <selector>._domainkey.
  dkim: () => true,
  'tls-rpt': (value) => /^v=TLSRPTv1\b/i.test(value.trim()),
  'mta-sts': (value) => /^v=STSv1\b/i.test(value.trim()),
  a: () => true,
  aaaa: () => true,
  caa: (value, expected) =>
    caaIssueOf(value) !== undefined && caaIssueOf(value) === caaIssueOf(expected.value),
};

/** Kinds where two values in the slot break the record for receivers. */
const SINGLE_VALUED: ReadonlySet<RecordKind> = new Set([
  'spf',
  'spf-include',
  'dmarc',
  'dkim',
  'tls-rpt',
  'mta-sts',
]);

/** `0 issue "letsencrypt.org; validationmethods=dns-01"` -> `letsencrypt.org`. */
function caaIssueOf(value: string): string | undefined {
  const match = /^\s*\d+\s+issue\s+"?([^";]*)/i.exec(value);
  return match?.[1]?.trim().toLowerCase();
}

/** Compares values the way DNS does: names without case or final dot, addresses canonical, TXT exact. */
export function sameValue(type: DnsRecord['type'], a: string, b: string): boolean {
  switch (type) {
    case 'A':
    case 'AAAA':
      return canonicalIp(a.trim()) === canonicalIp(b.trim());
    case 'MX':
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return normalizeWords(a) === normalizeWords(b);
    case 'CAA': {
      const [flagsA, tagA, ...restA] = a.trim().split(/\s+/);
      const [flagsB, tagB, ...restB] = b.trim().split(/\s+/);
      const unquote = (parts: string[]) => parts.join(' ').replace(/^"|"$/g, '');
      return (
        Number(flagsA) === Number(flagsB) &&
        tagA?.toLowerCase() === tagB?.toLowerCase() &&
        unquote(restA) === unquote(restB)
      );
    }
    case 'TXT':
      return a === b;
  }
}

function normalizeWords(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .map((word) => word.replace(/\.$/, ''))
    .join(' ');
}

function asDnsRecord(record: ExpectedRecord): DnsRecord {
  return {
    name: record.name,
    type: record.type,
    value: record.value,
    ...(record.ttl !== undefined && { ttl: record.ttl }),
  };
}

function show(record: { type: string; value: string }): string {
  return record.type === 'TXT' ? `"${record.value}"` : record.value;
}

/**
 * What publishing `expected` through `provider` would change. Lists each name once, decides per
 * name and type: an identical value is kept, a different value in the same slot is updated,
 * anything else is created. Nothing is ever deleted.
 */
export async function planPublish(
  expected: ExpectedRecord[],
  provider: DnsProvider,
  signal?: AbortSignal,
): Promise<PublishChange[]> {
  const zoneRecords = expected.filter((record) => record.publishedAt === 'zone');
  const names = [...new Set(zoneRecords.map((record) => record.name.toLowerCase()))];
  const listed = new Map<string, DnsRecord[]>();
  await Promise.all(
    names.map(async (name) => {
      listed.set(name, await provider.list(name, undefined, signal));
    }),
  );

  const decided = new Map<ExpectedRecord, PublishChange>();
  const groups = new Map<string, ExpectedRecord[]>();
  for (const record of zoneRecords) {
    const key = `${record.name.toLowerCase()} ${record.type}`;
    groups.set(key, [...(groups.get(key) ?? []), record]);
  }
  for (const group of groups.values()) {
    const first = group[0];
    if (!first) continue;
    const existing = (listed.get(first.name.toLowerCase()) ?? []).filter((r) => r.type === first.type);
    for (const change of planGroup(group, existing)) decided.set(change.record, change);
  }
  return expected.map(
    (record) => decided.get(record) ?? { action: 'skip', record, reason: REVERSE_DNS_REASON },
  );
}

/** Decisions for the expected records sharing one name and type. */
function planGroup(group: ExpectedRecord[], existing: DnsRecord[]): PublishChange[] {
  const used = new Set<DnsRecord>();
  const changes = new Map<ExpectedRecord, PublishChange>();
  for (const record of group) {
    const same = existing.find((r) => !used.has(r) && sameValue(record.type, r.value, record.value));
    // A CAA issue for the same CA with parameters (e.g. validationmethods=) already allows it.
    const allowing =
      record.kind === 'caa'
        ? existing.find((r) => !used.has(r) && caaIssueOf(r.value) === caaIssueOf(record.value))
        : undefined;
    const found = same ?? allowing;
    if (!found) continue;
    used.add(found);
    const reason = same
      ? 'already published with this value'
      : `already allowed by ${show(found)}, which Mailwright leaves as it is`;
    changes.set(record, { action: 'keep', record, previous: found, reason });
  }
  for (const record of group) {
    if (changes.has(record)) continue;
    const inSlot = SLOT_OF[record.kind];
    const previous =
      inSlot &&
      existing.find(
        (r) =>
          !used.has(r) &&
          inSlot(r.value, record) &&
          !group.some((other) => sameValue(record.type, r.value, other.value)),
      );
    if (previous) {
      used.add(previous);
      changes.set(record, {
        action: 'update',
        record,
        previous,
        reason: `replaces the current ${record.type} value ${show(previous)}`,
      });
    } else {
      changes.set(record, {
        action: 'create',
        record,
        reason: `no ${record.type} record with this value at ${record.name}`,
      });
    }
  }

  // What stays at this name and type: foreign values, and second copies of single-valued records.
  const notes: string[] = [];
  const first = group[0];
  for (const other of existing.filter((r) => !used.has(r))) {
    const inSlot = first && SLOT_OF[first.kind];
    if (first && SINGLE_VALUED.has(first.kind) && inSlot?.(other.value, first)) {
      const problem =
        `another ${first.kind.toUpperCase()} record ${show(other)} stays at ${other.name}: Mailwright never deletes, ` +
        `so delete it by hand — two of them make receivers ignore both (permerror).`;
      notes.push(problem);
      const change = changes.get(first);
      if (change) change.reason = `${change.reason}; ${problem}`;
    } else {
      notes.push(`${show(other)} at ${other.name} is not managed by Mailwright and stays as it is.`);
    }
  }
  const firstChange = first && changes.get(first);
  if (firstChange && notes.length > 0) firstChange.notes = notes;
  return [...changes.values()];
}

/** Makes the creates and updates, in order; stops at the first failure (the error says which). */
export async function applyPublish(
  changes: PublishChange[],
  provider: DnsProvider,
  opts: PublishOptions = {},
): Promise<PublishResult> {
  const result: PublishResult = { applied: [], unchanged: [] };
  for (const change of changes) {
    opts.signal?.throwIfAborted();
    const next = asDnsRecord(change.record);
    try {
      if (change.action === 'create') await provider.create(next, opts.signal);
      else if (change.action === 'update' && change.previous)
        await provider.update(change.previous, next, opts.signal);
      else {
        result.unchanged.push(change);
        opts.onChange?.(change, 'unchanged');
        continue;
      }
    } catch (error) {
      const done = result.applied.length;
      const message = error instanceof Error ? error.message : String(error);
      // A refusal the user can fix (credentials, zone, rate limit) stays one: only its context is added.
      const Wrapped = isExpectedError(error) ? ExpectedError : Error;
      throw new Wrapped(
        `Could not ${change.action} ${change.record.type} ${change.record.name} ${show(change.record)}: ${message}` +
          (done > 0
            ? `\n${done} earlier change(s) were made; running publish again continues from here.`
            : ''),
        { cause: error },
      );
    }
    result.applied.push(change);
    opts.onChange?.(change, 'done');
  }
  return result;
}

const SYMBOL: Record<PublishAction, string> = { create: '+', update: '~', keep: '=', skip: '-' };

/** The plan as the CLI's dry run shows it: one line per record, the exact values, then the notes. */
export function formatPublishPlan(changes: PublishChange[]): string {
  const lines: string[] = [];
  for (const change of changes) {
    const { record } = change;
    const head = `${SYMBOL[change.action]} ${change.action.padEnd(6)} ${record.type.padEnd(5)} ${record.name}`;
    if (change.action === 'update' && change.previous)
      lines.push(head, `      from ${show(change.previous)}`, `      to   ${show(record)}`);
    else lines.push(`${head}  ${show(record)}`);
    if (change.action !== 'keep') lines.push(`      ${change.reason}`);
    for (const note of change.notes ?? []) lines.push(`      note: ${note}`);
  }
  const count = (action: PublishAction) => changes.filter((c) => c.action === action).length;
  lines.push(
    '',
    `${count('create')} to create, ${count('update')} to update, ${count('keep')} already right, ` +
      `${count('skip')} to set elsewhere (reverse DNS). Nothing is ever deleted.`,
  );
  return lines.join('\n');
}
