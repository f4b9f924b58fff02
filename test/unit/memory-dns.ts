// An in-memory DNS for the unit tests of the checks and linters: names and types map to values
// or to a failure status. Integration tests use real knot; this stands in where the test is
// about the decision made from answers, not about resolving.
import type { DnsLookup, LookupAnswer, LookupStatus, QueryType } from '../../src/core/dns/model';

/** name -> type -> the values served, or the status a query of it fails with. */
export type MemoryZone = Record<string, Partial<Record<QueryType, string[] | Exclude<LookupStatus, 'ok'>>>>;

const normal = (name: string) => name.toLowerCase().replace(/\.$/, '');

/**
 * Unknown names are NXDOMAIN; a known name without the asked type (or with no values) is NODATA.
 * Every query is remembered in `asked` as "name TYPE".
 */
export class MemoryDns implements DnsLookup {
  readonly asked: string[] = [];
  private readonly zone = new Map<string, Map<QueryType, string[] | Exclude<LookupStatus, 'ok'>>>();

  constructor(
    zone: MemoryZone = {},
    /** Named in the answers, as a real server's address is. */
    readonly server = 'memory',
  ) {
    for (const [name, types] of Object.entries(zone))
      for (const [type, answer] of Object.entries(types))
        if (answer) this.set(name, type as QueryType, answer);
  }

  set(name: string, type: QueryType, answer: string[] | Exclude<LookupStatus, 'ok'>): this {
    const n = normal(name);
    if (!this.zone.has(n)) this.zone.set(n, new Map());
    this.zone.get(n)!.set(type, answer);
    return this;
  }

  /** Adds values beside those already served. */
  add(name: string, type: QueryType, value: string): this {
    const known = this.zone.get(normal(name))?.get(type);
    return this.set(name, type, [...(Array.isArray(known) ? known : []), value]);
  }

  /** Removes one type; the name stays known (NODATA) while it has other types. */
  delete(name: string, type: QueryType): this {
    const n = normal(name);
    this.zone.get(n)?.delete(type);
    if (this.zone.get(n)?.size === 0) this.zone.delete(n);
    return this;
  }

  query(name: string, type: QueryType): Promise<LookupAnswer> {
    this.asked.push(`${name} ${type}`);
    const server = this.server;
    const types = this.zone.get(normal(name));
    if (!types) return Promise.resolve({ status: 'nxdomain', values: [], server });
    const answer = types.get(type);
    if (typeof answer === 'string')
      return Promise.resolve({ status: answer, values: [], server, error: `${answer} from ${server}` });
    if (!answer?.length) return Promise.resolve({ status: 'nodata', values: [], server });
    return Promise.resolve({ status: 'ok', values: [...answer], server });
  }
}
