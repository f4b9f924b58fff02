// The user is the provider: Mailwright shows the record to add (or remove) and polls the
// zone's authoritative servers until the change is visible on all of them.
import { txtZoneText } from '../../dkim/record';
import { splitTxt } from '../../dkim/record';
import { authoritativeServers, lookupValues, PropagationTimeoutError, waitForRecord } from '../propagation';
import { DnsProviderError, type DnsProvider, type DnsRecord, type RecordType } from './types';

export interface ManualOptions {
  /** Shows the user what to change, e.g. in a notification or the terminal. */
  onInstruction: (text: string) => void;
  /** Authoritative servers (`ip` or `ip:port`); found through NS records when absent. */
  servers?: string[];
  ttl?: number;
  /** How long to wait for the user's change to be visible everywhere. */
  timeoutMs?: number;
  intervalMs?: number;
}

const ALL_TYPES: RecordType[] = ['A', 'AAAA', 'MX', 'TXT', 'CAA', 'CNAME', 'NS', 'PTR', 'TLSA'];

export class ManualProvider implements DnsProvider {
  readonly kind = 'manual';
  constructor(private readonly options: ManualOptions) {}

  async list(name: string, type?: RecordType): Promise<DnsRecord[]> {
    const [server = '127.0.0.1'] = await this.servers(name);
    const types = type ? [type] : ALL_TYPES;
    const found = await Promise.all(
      types.map(async (t) =>
        (await lookupValues(server, name, t)).map((value) => ({ name, type: t, value })),
      ),
    );
    return found.flat();
  }

  async create(record: DnsRecord, signal?: AbortSignal): Promise<void> {
    this.options.onInstruction(`Add this record at your DNS provider:\n  ${this.zoneLine(record)}`);
    await this.wait(record, true, signal);
  }

  async update(previous: DnsRecord, next: DnsRecord, signal?: AbortSignal): Promise<void> {
    this.options.onInstruction(
      `Replace this record at your DNS provider:\n  ${this.zoneLine(previous)}\nwith:\n  ${this.zoneLine(next)}`,
    );
    await this.wait(next, true, signal);
    await this.wait(previous, false, signal);
  }

  async delete(record: DnsRecord, signal?: AbortSignal): Promise<void> {
    this.options.onInstruction(
      `Remove this record at your DNS provider (other values of the name stay):\n  ${this.zoneLine(record)}`,
    );
    await this.wait(record, false, signal);
  }

  private zoneLine(record: DnsRecord): string {
    const value = record.type === 'TXT' ? txtZoneText(splitTxt(record.value)) : record.value;
    return `${record.name}. ${record.ttl ?? this.options.ttl ?? 300} IN ${record.type} ${value}`;
  }

  private async servers(name: string): Promise<string[]> {
    return this.options.servers ?? (await authoritativeServers(name));
  }

  private async wait(record: DnsRecord, present: boolean, signal?: AbortSignal): Promise<void> {
    try {
      await waitForRecord(record, present, {
        servers: await this.servers(record.name),
        timeoutMs: this.options.timeoutMs ?? 600_000,
        intervalMs: this.options.intervalMs ?? 5_000,
        signal,
      });
    } catch (error) {
      if (error instanceof PropagationTimeoutError)
        throw new DnsProviderError(
          this.kind,
          'other',
          error.message,
          'Check the record at your DNS provider, then try again.',
        );
      throw error;
    }
  }
}
