// Which DNS records change when a host's mail moves to a server with other addresses (a
// restore onto a new VPS): the same expected records, computed for the old and the new
// addresses, compared name by name. The DKIM keys move with the backup, so they are left out.
import type { DomainConfig, HostConfig } from '../config';
import { expectedRecords } from './expected';
import type { ExpectedRecord } from './model';

export interface MovedRecord {
  name: string;
  type: string;
  /** Values for the old server, then for the new one. */
  from: string[];
  to: string[];
  publishedAt: ExpectedRecord['publishedAt'];
}

type Addresses = { ipv4: string[]; ipv6: string[] };

export function dnsChangesOnMove(
  host: HostConfig,
  domain: DomainConfig,
  from: Addresses,
  to: Addresses,
  fleet: readonly HostConfig[] = [host],
): MovedRecord[] {
  const slots = (addresses: Addresses) => {
    const map = new Map<string, ExpectedRecord[]>();
    for (const r of expectedRecords({ host, domain, addresses, dkimKeys: [], fleet })) {
      const key = `${r.type} ${r.name}`;
      map.set(key, [...(map.get(key) ?? []), r]);
    }
    return map;
  };
  const before = slots(from);
  const after = slots(to);
  const changes: MovedRecord[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const a = (before.get(key) ?? []).map((r) => r.value).sort();
    const b = (after.get(key) ?? []).map((r) => r.value).sort();
    if (a.join('\n') === b.join('\n')) continue;
    const r = (after.get(key) ?? before.get(key))![0]!;
    changes.push({ name: r.name, type: r.type, from: a, to: b, publishedAt: r.publishedAt });
  }
  return changes;
}
