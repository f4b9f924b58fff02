// RFC 2136 dynamic updates signed with TSIG, over TCP, to one primary server (BIND, Knot,
// PowerDNS). Each change is one UPDATE message, so update (delete old + add new) is atomic.
import { randomInt } from 'node:crypto';
import * as packet from 'dns-packet';
import {
  encodeQuery,
  encodeUpdate,
  exchangeTcp,
  fromAnswer,
  RCODE_NAMES,
  stripDot,
  type UpdateChange,
} from './dns-wire';
import { signMessage, verifyResponse, type TsigAlgorithm, type TsigKey } from './tsig';
import { DnsProviderError, type DnsProvider, type DnsRecord, type RecordType } from './types';
import { normalizeName } from '../../names';

export interface Rfc2136Options {
  /** The primary server. */
  host: string;
  port: number;
  zone: string;
  keyName: string;
  algorithm: TsigAlgorithm;
  /** The TSIG secret, base64 as `tsig-keygen`/knot print it. */
  secret: string;
  /** TTL for new records (seconds). */
  ttl?: number;
  timeoutMs?: number;
}

const ALL_TYPES: RecordType[] = ['A', 'AAAA', 'MX', 'TXT', 'CAA', 'CNAME', 'NS', 'PTR', 'TLSA'];

export class Rfc2136Provider implements DnsProvider {
  readonly kind = 'rfc2136';
  private readonly key: TsigKey;
  private readonly zone: string;

  constructor(private readonly options: Rfc2136Options) {
    this.key = {
      name: stripDot(options.keyName),
      algorithm: options.algorithm,
      secret: Buffer.from(options.secret, 'base64'),
    };
    this.zone = normalizeName(options.zone);
  }

  async list(name: string, type?: RecordType, signal?: AbortSignal): Promise<DnsRecord[]> {
    const types = type ? [type] : ALL_TYPES;
    const answers = await Promise.all(types.map((t) => this.query(name, t, signal)));
    return answers.flat();
  }

  create(record: DnsRecord, signal?: AbortSignal): Promise<void> {
    return this.update0([this.change('add', record)], signal);
  }

  update(previous: DnsRecord, next: DnsRecord, signal?: AbortSignal): Promise<void> {
    return this.update0([this.change('delete', previous), this.change('add', next)], signal);
  }

  delete(record: DnsRecord, signal?: AbortSignal): Promise<void> {
    return this.update0([this.change('delete', record)], signal);
  }

  private change(op: UpdateChange['op'], record: DnsRecord): UpdateChange {
    const name = normalizeName(record.name);
    if (name !== this.zone && !name.endsWith(`.${this.zone}`))
      throw new DnsProviderError(this.kind, 'zone-not-found', `${name} is not in zone ${this.zone}.`);
    return { op, record: { ...record, name }, ttl: record.ttl ?? this.options.ttl ?? 300 };
  }

  private async update0(changes: UpdateChange[], signal?: AbortSignal): Promise<void> {
    const message = encodeUpdate(randomInt(0x10000), this.zone, changes);
    const { signed, mac } = signMessage(message, this.key);
    const reply = await this.exchange(signed, signal);
    const rcode = reply.readUInt16BE(2) & 0xf;
    const tsig = verifyResponse(reply, mac, this.key);
    if (!tsig.ok && tsig.reason === 'server-error') {
      // NOTAUTH with a TSIG error (BADKEY/BADSIG/BADTIME): the server refused our key.
      throw new DnsProviderError(
        this.kind,
        'auth',
        `${this.server} refused the update: ${RCODE_NAMES[rcode] ?? rcode} (${tsig.error}).`,
        `Check the TSIG key name (${this.key.name}), algorithm (${this.key.algorithm}) and secret, and that the server allows this key to update ${this.zone}.`,
      );
    }
    // A server that does not serve the zone cannot sign its NOTAUTH/NOTZONE/REFUSED: report the
    // rcode. Any other unsigned or badly signed reply is not to be trusted.
    if (!tsig.ok && rcode === 0)
      throw new DnsProviderError(
        this.kind,
        'other',
        `the reply from ${this.server} has no valid TSIG signature (${tsig.reason}); not trusting it.`,
      );
    if (rcode !== 0) throw this.rcodeError(rcode);
  }

  private rcodeError(rcode: number): DnsProviderError {
    const name = RCODE_NAMES[rcode] ?? `RCODE ${rcode}`;
    const message = `${this.server} answered ${name} for zone ${this.zone}.`;
    // With a valid signature, NOTAUTH/NOTZONE mean the server does not serve this zone.
    if (rcode === 9 || rcode === 10 || rcode === 5)
      return new DnsProviderError(
        this.kind,
        'zone-not-found',
        message,
        `Check "zone" in mailwright.yaml: the server must be the primary of ${this.zone} and let key ${this.key.name} update it.`,
      );
    return new DnsProviderError(this.kind, 'other', message);
  }

  private async query(name: string, type: RecordType, signal?: AbortSignal): Promise<DnsRecord[]> {
    const fqdn = normalizeName(name);
    const reply = await this.exchange(encodeQuery(randomInt(0x10000), fqdn, type), signal);
    const decoded = packet.decode(reply);
    const rcode = reply.readUInt16BE(2) & 0xf;
    if (rcode === 5 || rcode === 9)
      throw new DnsProviderError(
        this.kind,
        'zone-not-found',
        `${this.server} does not serve ${fqdn} (${RCODE_NAMES[rcode]}).`,
      );
    if (rcode !== 0 && rcode !== 3) throw this.rcodeError(rcode);
    return (decoded.answers ?? [])
      .map((answer) => fromAnswer(answer))
      .filter((r): r is DnsRecord => r !== undefined && r.type === type && r.name === fqdn);
  }

  private get server(): string {
    return this.options.host.includes(':')
      ? `[${this.options.host}]:${this.options.port}`
      : `${this.options.host}:${this.options.port}`;
  }

  private async exchange(message: Buffer, signal?: AbortSignal): Promise<Buffer> {
    try {
      return await exchangeTcp(
        this.options.host,
        this.options.port,
        message,
        this.options.timeoutMs ?? 5000,
        signal,
      );
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new DnsProviderError(
        this.kind,
        'network',
        `cannot reach ${this.server}: ${error instanceof Error ? error.message : String(error)}`,
        'Check "server" in mailwright.yaml and that the DNS server accepts TCP on that port.',
      );
    }
  }
}
