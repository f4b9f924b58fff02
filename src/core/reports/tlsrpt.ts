// SMTP TLS reports (RFC 8460): how many TLS sessions to our MX hosts a sender opened, and why
// the failed ones failed (certificate expired, STARTTLS missing, DANE or MTA-STS mismatch...).
import { ReportError } from './errors';

export interface TlsFailure {
  resultType: string;
  sendingMtaIp?: string;
  receivingMxHostname?: string;
  failedSessions: number;
  reason?: string;
}

export interface TlsPolicyResult {
  /** `tlsa`, `sts` or `no-policy-found`. */
  policyType: string;
  policyDomain: string;
  mxHosts: string[];
  successful: number;
  failed: number;
  failures: TlsFailure[];
}

export interface TlsReport {
  kind: 'tls';
  org: string;
  reportId: string;
  begin: Date;
  end: Date;
  contact?: string;
  policies: TlsPolicyResult[];
}

const MAX_ITEMS = 10_000;

type Obj = Record<string, unknown>;

function invalid(field: string, problem: string): ReportError {
  return new ReportError('invalid', `The TLS report's ${field} ${problem}.`);
}

function obj(value: unknown, field: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(field, value === undefined ? 'is missing' : 'is not an object');
  return value as Obj;
}

function str(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '')
    throw invalid(field, value === undefined ? 'is missing' : 'is not text');
  return value;
}

function optionalStr(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function num(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw invalid(field, `is not a count (${JSON.stringify(value)?.slice(0, 20)})`);
  return value;
}

function arr(value: unknown, field: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid(field, 'is not a list');
  if (value.length > MAX_ITEMS) throw invalid(field, `has more than ${MAX_ITEMS} entries`);
  return value;
}

function when(value: unknown, field: string): Date {
  const d = new Date(str(value, field));
  if (Number.isNaN(d.getTime())) throw invalid(field, 'is not a date-time');
  return d;
}

export function parseTlsReport(json: string): TlsReport {
  let doc: Obj;
  try {
    doc = obj(JSON.parse(json), 'top level');
  } catch (e) {
    if (e instanceof ReportError) throw e;
    throw new ReportError('invalid', `The TLS report is not JSON: ${(e as Error).message}`);
  }
  const range = obj(doc['date-range'], 'date-range');
  return {
    kind: 'tls',
    org: str(doc['organization-name'], 'organization-name'),
    reportId: str(doc['report-id'], 'report-id'),
    contact: optionalStr(doc['contact-info']),
    begin: when(range['start-datetime'], 'date-range.start-datetime'),
    end: when(range['end-datetime'], 'date-range.end-datetime'),
    policies: arr(doc.policies, 'policies').map((raw, i) => {
      const at = `policies[${i}]`;
      const item = obj(raw, at);
      const policy = obj(item.policy, `${at}.policy`);
      const summary = obj(item.summary, `${at}.summary`);
      return {
        policyType: str(policy['policy-type'], `${at}.policy.policy-type`).toLowerCase(),
        policyDomain: str(policy['policy-domain'], `${at}.policy.policy-domain`)
          .toLowerCase()
          .replace(/\.$/, ''),
        mxHosts: arr(policy['mx-host'], `${at}.policy.mx-host`).filter(
          (h): h is string => typeof h === 'string',
        ),
        successful: num(
          summary['total-successful-session-count'],
          `${at}.summary.total-successful-session-count`,
        ),
        failed: num(summary['total-failure-session-count'], `${at}.summary.total-failure-session-count`),
        failures: arr(item['failure-details'], `${at}.failure-details`).map((f, j) => {
          const detail = obj(f, `${at}.failure-details[${j}]`);
          return {
            resultType: str(detail['result-type'], `${at}.failure-details[${j}].result-type`),
            sendingMtaIp: optionalStr(detail['sending-mta-ip']),
            receivingMxHostname: optionalStr(detail['receiving-mx-hostname'])?.toLowerCase(),
            failedSessions: num(
              detail['failed-session-count'],
              `${at}.failure-details[${j}].failed-session-count`,
            ),
            reason: optionalStr(detail['failure-reason-code']),
          };
        }),
      };
    }),
  };
}
