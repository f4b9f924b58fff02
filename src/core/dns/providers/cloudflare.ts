// Cloudflare API v4 with an API token (Bearer). Contract-tested against a local server that
// follows the published API (test/fixtures-servers/cloudflare.ts), not the real service.
import { joinTxt } from '../model';
import { fetchApi } from './http';
import { formatCaa, formatMx, formatTlsa, parseCaa, parseMx, parseTlsa, type CaaParts } from './record-value';
import { DnsProviderError, type DnsProvider, type DnsRecord, type RecordType } from './types';

export interface CloudflareOptions {
  token: string;
  zone: string;
  ttl?: number;
  /** Default https://api.cloudflare.com/client/v4 */
  baseUrl?: string;
  /** One API call at most (default API_TIMEOUT_MS). */
  timeoutMs?: number;
}

interface CfRecord {
  id: string;
  name: string;
  type: RecordType;
  content: string;
  ttl: number;
  /** MX only: the preference, apart from the host in `content`. */
  priority?: number;
  /** CAA and TLSA (structured types): the parts, from which Cloudflare derives `content`. */
  data?: Partial<CaaParts> & Partial<CfTlsaData>;
}
/** Cloudflare's TLSA fields: the data as hex. */
interface CfTlsaData {
  usage: number;
  selector: number;
  matching_type: number;
  certificate: string;
}
interface CfBody<T> {
  success: boolean;
  errors?: Array<{ code: number; message: string }>;
  result: T;
}

export class CloudflareProvider implements DnsProvider {
  readonly kind = 'cloudflare';
  private zoneId?: Promise<string>;
  private readonly base: string;
  constructor(private readonly options: CloudflareOptions) {
    this.base = (options.baseUrl ?? 'https://api.cloudflare.com/client/v4').replace(/\/$/, '');
  }

  async list(name: string, type?: RecordType, signal?: AbortSignal): Promise<DnsRecord[]> {
    return (await this.find(name, type, signal)).map((r) => ({
      name: r.name,
      type: r.type,
      value: valueOf(r),
      ttl: r.ttl,
    }));
  }

  async create(record: DnsRecord, signal?: AbortSignal): Promise<void> {
    const zone = await this.zone(signal);
    await this.call('POST', `/zones/${zone}/dns_records`, this.body(record), signal);
  }

  async update(previous: DnsRecord, next: DnsRecord, signal?: AbortSignal): Promise<void> {
    const id = await this.idOf(previous, signal);
    const zone = await this.zone(signal);
    await this.call('PATCH', `/zones/${zone}/dns_records/${id}`, this.body(next), signal);
  }

  async delete(record: DnsRecord, signal?: AbortSignal): Promise<void> {
    const id = await this.idOf(record, signal);
    const zone = await this.zone(signal);
    await this.call('DELETE', `/zones/${zone}/dns_records/${id}`, undefined, signal);
  }

  /** The API wants an MX's priority and a CAA's parts as fields of their own. */
  private body(record: DnsRecord) {
    const common = { type: record.type, name: record.name, ttl: record.ttl ?? this.options.ttl ?? 300 };
    if (record.type === 'MX') {
      const mx = parseMx(record.value);
      return { ...common, content: mx.exchange, priority: mx.preference };
    }
    if (record.type === 'CAA') return { ...common, data: parseCaa(record.value) };
    if (record.type === 'TLSA') {
      const tlsa = parseTlsa(record.value);
      const data: CfTlsaData = {
        usage: tlsa.usage,
        selector: tlsa.selector,
        matching_type: tlsa.matchingType,
        certificate: tlsa.certificate.toString('hex'),
      };
      return { ...common, data };
    }
    return { ...common, content: record.value };
  }

  private async idOf(record: DnsRecord, signal?: AbortSignal): Promise<string> {
    const match = (await this.find(record.name, record.type, signal)).find(
      (r) => valueOf(r) === record.value,
    );
    if (!match)
      throw new DnsProviderError(
        this.kind,
        'other',
        `no ${record.type} ${record.name} "${record.value}" to change.`,
      );
    return match.id;
  }

  private async find(name: string, type: RecordType | undefined, signal?: AbortSignal): Promise<CfRecord[]> {
    const zone = await this.zone(signal);
    const query = new URLSearchParams({ name, per_page: '100', ...(type && { type }) });
    return this.call<CfRecord[]>('GET', `/zones/${zone}/dns_records?${query}`, undefined, signal);
  }

  private zone(signal?: AbortSignal): Promise<string> {
    this.zoneId ??= this.call<Array<{ id: string }>>(
      'GET',
      `/zones?name=${encodeURIComponent(this.options.zone)}`,
      undefined,
      signal,
    ).then((zones) => {
      const id = zones[0]?.id;
      if (!id)
        throw new DnsProviderError(
          this.kind,
          'zone-not-found',
          `zone ${this.options.zone} is not in this account.`,
          'Check "zone" and that the token may read it (Zone:Read, DNS:Edit).',
        );
      return id;
    });
    this.zoneId.catch(() => (this.zoneId = undefined));
    return this.zoneId;
  }

  private async call<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const response = await fetchApi(
      this.kind,
      this.base,
      `${this.base}${path}`,
      {
        method,
        headers: { Authorization: `Bearer ${this.options.token}`, 'Content-Type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      },
      signal,
      this.options.timeoutMs,
    );
    const parsed = (await response.json().catch(() => undefined)) as CfBody<T> | undefined;
    if (response.ok && parsed?.success) return parsed.result;
    const errors = parsed?.errors ?? [];
    const message = errors.map((e) => `${e.message} (${e.code})`).join('; ') || `HTTP ${response.status}`;
    const codes = errors.map((e) => e.code);
    if (response.status === 429 || codes.includes(971))
      throw new DnsProviderError(
        this.kind,
        'rate-limit',
        message,
        'Cloudflare limits API calls per 5 minutes; wait and retry.',
      );
    if (response.status === 401 || response.status === 403 || codes.includes(9109) || codes.includes(10000))
      throw new DnsProviderError(
        this.kind,
        'auth',
        message,
        'Check the API token (secret storage or MAILWRIGHT_DNS_SECRET_<DOMAIN>) and its DNS:Edit permission.',
      );
    if (codes.includes(7003) || codes.includes(1001))
      throw new DnsProviderError(this.kind, 'zone-not-found', message);
    throw new DnsProviderError(this.kind, 'other', message);
  }
}

/** A record as one value string: TXT unquoted (Cloudflare may show it quoted), MX and CAA from their fields. */
function valueOf(record: CfRecord): string {
  if (record.type === 'MX' && record.priority !== undefined)
    return formatMx({ preference: record.priority, exchange: record.content });
  const caa = record.data;
  if (record.type === 'CAA' && caa?.tag !== undefined && caa.value !== undefined)
    return formatCaa({ flags: caa.flags ?? 0, tag: caa.tag, value: caa.value });
  const tlsa = record.data;
  if (record.type === 'TLSA' && tlsa?.usage !== undefined && tlsa.certificate !== undefined)
    return formatTlsa({
      usage: tlsa.usage,
      selector: tlsa.selector ?? 0,
      matchingType: tlsa.matching_type ?? 0,
      certificate: Buffer.from(tlsa.certificate, 'hex'),
    });
  if (record.type !== 'TXT' || !/^".*"$/s.test(record.content)) return record.content;
  return joinTxt(record.content.slice(1, -1).split(/"\s+"/));
}
