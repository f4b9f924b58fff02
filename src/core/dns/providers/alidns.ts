// Alibaba Cloud DNS (RPC API 2015-01-09, signature HMAC-SHA1 v1.0). Contract-tested against a
// local server that follows the published API (test/fixtures-servers/alidns.ts), not the real service.
import { fetchApi } from './http';
import { createHmac, randomUUID } from 'node:crypto';
import { formatMx, parseMx } from './record-value';
import { DnsProviderError, type DnsProvider, type DnsRecord, type RecordType } from './types';

export interface AlidnsOptions {
  accessKeyId: string;
  accessKeySecret: string;
  zone: string;
  ttl?: number;
  /** Default https://alidns.aliyuncs.com/ */
  baseUrl?: string;
  /** One API call at most (default API_TIMEOUT_MS). */
  timeoutMs?: number;
}

interface AliRecord {
  RecordId: string;
  RR: string;
  Type: RecordType;
  Value: string;
  TTL: number;
  /** MX only: the preference, apart from the host in Value. */
  Priority?: number;
}

/** RFC 3986 encoding as the signature wants it (also ! ' ( ) *). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Signature v1.0: HMAC-SHA1 with "secret&" over "METHOD&%2F&" + encoded canonical query. */
export function signParams(method: string, params: Record<string, string>, secret: string): string {
  const canonical = Object.keys(params)
    .sort()
    .map((key) => `${percentEncode(key)}=${percentEncode(params[key] ?? '')}`)
    .join('&');
  const toSign = `${method}&${percentEncode('/')}&${percentEncode(canonical)}`;
  return createHmac('sha1', `${secret}&`).update(toSign).digest('base64');
}

export class AlidnsProvider implements DnsProvider {
  readonly kind = 'alidns';
  /** Its documented types (besides SRV and URL forwarding, which Mailwright does not publish): no TLSA. */
  readonly types: readonly RecordType[] = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'CAA'];
  private readonly base: string;
  constructor(private readonly options: AlidnsOptions) {
    this.base = options.baseUrl ?? 'https://alidns.aliyuncs.com/';
  }

  async list(name: string, type?: RecordType, signal?: AbortSignal): Promise<DnsRecord[]> {
    return (await this.find(name, type, signal)).map((r) => ({
      name,
      type: r.Type,
      value: valueOf(r),
      ttl: r.TTL,
    }));
  }

  async create(record: DnsRecord, signal?: AbortSignal): Promise<void> {
    await this.call('AddDomainRecord', { DomainName: this.options.zone, ...this.fields(record) }, signal);
  }

  async update(previous: DnsRecord, next: DnsRecord, signal?: AbortSignal): Promise<void> {
    const id = await this.idOf(previous, signal);
    await this.call('UpdateDomainRecord', { RecordId: id, ...this.fields(next) }, signal);
  }

  async delete(record: DnsRecord, signal?: AbortSignal): Promise<void> {
    await this.call('DeleteDomainRecord', { RecordId: await this.idOf(record, signal) }, signal);
  }

  /** An MX's preference goes in Priority (required for MX, 1-50), its host in Value. */
  private fields(record: DnsRecord): Record<string, string> {
    const common = {
      RR: this.rr(record.name),
      Type: record.type,
      TTL: String(record.ttl ?? this.options.ttl ?? 600),
    };
    if (record.type !== 'MX') return { ...common, Value: record.value };
    const mx = parseMx(record.value);
    if (mx.preference < 1 || mx.preference > 50)
      throw new DnsProviderError(
        this.kind,
        'other',
        `MX ${record.name} "${record.value}": Alibaba Cloud DNS takes MX priorities 1 to 50 only.`,
        'Use a preference between 1 and 50 for this domain.',
      );
    return { ...common, Value: mx.exchange, Priority: String(mx.preference) };
  }

  /** Alibaba names records relative to the domain; "@" is the apex. */
  private rr(name: string): string {
    const zone = this.options.zone;
    if (name === zone) return '@';
    if (!name.endsWith(`.${zone}`))
      throw new DnsProviderError(this.kind, 'zone-not-found', `${name} is not in ${zone}.`);
    return name.slice(0, -(zone.length + 1));
  }

  private async find(name: string, type: RecordType | undefined, signal?: AbortSignal): Promise<AliRecord[]> {
    const rr = this.rr(name);
    const body = await this.call<{ DomainRecords?: { Record?: AliRecord[] } }>(
      'DescribeDomainRecords',
      { DomainName: this.options.zone, RRKeyWord: rr, PageSize: '500', ...(type && { Type: type }) },
      signal,
    );
    // RRKeyWord matches by substring: keep exact names only.
    return (body.DomainRecords?.Record ?? []).filter((r) => r.RR === rr && (!type || r.Type === type));
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
    return match.RecordId;
  }

  private async call<T>(action: string, params: Record<string, string>, signal?: AbortSignal): Promise<T> {
    const all: Record<string, string> = {
      Action: action,
      Format: 'JSON',
      Version: '2015-01-09',
      AccessKeyId: this.options.accessKeyId,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: randomUUID(),
      Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...params,
    };
    all.Signature = signParams('GET', all, this.options.accessKeySecret);
    const url = `${this.base}?${Object.entries(all)
      .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
      .join('&')}`;
    const response = await fetchApi(this.kind, this.base, url, {}, signal, this.options.timeoutMs);
    const body = (await response.json().catch(() => ({}))) as T & { Code?: string; Message?: string };
    if (response.ok && !body.Code) return body;
    const code = body.Code ?? `HTTP ${response.status}`;
    const message = `${code}: ${body.Message ?? response.statusText}`;
    if (/^(InvalidAccessKeyId|SignatureDoesNotMatch|Forbidden|IncompleteSignature)/.test(code))
      throw new DnsProviderError(
        this.kind,
        'auth',
        message,
        'Check the AccessKey (secret storage or MAILWRIGHT_DNS_SECRET_<DOMAIN> as "AccessKeyId:AccessKeySecret").',
      );
    if (/^Throttling/.test(code) || response.status === 429)
      throw new DnsProviderError(
        this.kind,
        'rate-limit',
        message,
        'Alibaba Cloud throttles API calls; wait and retry.',
      );
    if (/^(InvalidDomainName|DomainRecordNotBelongToUser|IncorrectDomainUser)/.test(code))
      throw new DnsProviderError(
        this.kind,
        'zone-not-found',
        message,
        `Check "zone": ${this.options.zone} must be in this Alibaba Cloud account.`,
      );
    throw new DnsProviderError(this.kind, 'other', message);
  }
}

/** A record as one value string: an MX's Priority joined to its host. */
function valueOf(record: AliRecord): string {
  if (record.Type === 'MX' && record.Priority !== undefined)
    return formatMx({ preference: record.Priority, exchange: record.Value });
  return record.Value;
}
