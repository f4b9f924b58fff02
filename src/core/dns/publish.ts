// Publishing the expected records through a DNS provider: a plan that creates what is missing
// and updates exactly the value Mailwright owns in each "slot" (the SPF TXT, the DMARC TXT…),
// never deletes, and lists what else lives at the same names so the user sees it.
import { ExpectedError, isExpectedError } from '../errors';
import { inRecordSlot, isSingleValued, recordKey, sameRecordValue, type ExpectedRecord } from './model';
import { normalizeName } from '../names';
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
  const held = (record: ExpectedRecord) => !provider.types || provider.types.includes(record.type);
  const zoneRecords = expected.filter((record) => record.publishedAt === 'zone' && held(record));
  const names = [...new Set(zoneRecords.map((record) => normalizeName(record.name)))];
  const listed = new Map<string, DnsRecord[]>();
  await Promise.all(
    names.map(async (name) => {
      listed.set(name, await provider.list(name, undefined, signal));
    }),
  );

  const decided = new Map<ExpectedRecord, PublishChange>();
  const groups = new Map<string, ExpectedRecord[]>();
  for (const record of zoneRecords) {
    const key = recordKey(record.name, record.type);
    groups.set(key, [...(groups.get(key) ?? []), record]);
  }
  for (const group of groups.values()) {
    const first = group[0];
    if (!first) continue;
    const existing = (listed.get(normalizeName(first.name)) ?? []).filter((r) => r.type === first.type);
    for (const change of planGroup(group, existing)) decided.set(change.record, change);
  }
  return expected.map(
    (record) =>
      decided.get(record) ?? {
        action: 'skip',
        record,
        reason:
          record.publishedAt === 'reverse'
            ? REVERSE_DNS_REASON
            : `the ${provider.kind} provider cannot hold ${record.type} records: add it at your DNS host by other means, if it offers them.`,
      },
  );
}

/** Decisions for the expected records sharing one name and type. */
function planGroup(group: ExpectedRecord[], existing: DnsRecord[]): PublishChange[] {
  const used = new Set<DnsRecord>();
  const changes = new Map<ExpectedRecord, PublishChange>();
  for (const record of group) {
    const same = existing.find((r) => !used.has(r) && sameRecordValue(record, r.value));
    if (!same) continue;
    used.add(same);
    changes.set(record, {
      action: 'keep',
      record,
      previous: same,
      reason: 'already published with this value',
    });
  }
  for (const record of group) {
    if (changes.has(record)) continue;
    const previous = existing.find(
      (r) =>
        !used.has(r) &&
        inRecordSlot(record, r.value) &&
        !group.some((other) => sameRecordValue(other, r.value)),
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
    if (first && isSingleValued(first.kind) && inRecordSlot(first, other.value)) {
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
      `${count('skip')} to set elsewhere (reverse DNS, or a type the provider cannot hold). Nothing is ever deleted.`,
  );
  return lines.join('\n');
}
