// MTA-STS (RFC 8461) beyond the `_mta-sts` TXT record: the policy file senders fetch over HTTPS,
// read (parser), fetched the way a sender would (fetcher), and judged against the mail host
// (decision). The TXT alone changes nothing: a sender acts only on a policy it could fetch.
import * as https from 'node:https';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { normalizeName, type DnsLookup } from './model';

/** The policy's path on mta-sts.<domain> (RFC 8461 3.3). */
export const MTA_STS_POLICY_PATH = '/.well-known/mta-sts.txt';
/** Senders give up on bigger policies (RFC 8461 3.3 suggests 64 KiB); so does the check. */
export const MTA_STS_MAX_POLICY_BYTES = 64 * 1024;
/** RFC 8461 3.2: max_age may be at most a year. */
export const MTA_STS_MAX_AGE_LIMIT = 31557600;
const DEFAULT_TIMEOUT_MS = 5000;

export type MtaStsMode = 'enforce' | 'testing' | 'none';

export interface ParsedMtaStsPolicy {
  version?: string;
  mode?: string;
  /** Every `mx:` line's pattern, lowercase, in order. */
  mx: string[];
  maxAge?: number;
  /** What senders would reject or misread, in plain words; empty when the policy is valid. */
  problems: string[];
}

/** Reads a policy file: `key: value` lines ending in CRLF or LF; several `mx` lines; unknown keys ignored. */
export function parseMtaStsPolicy(text: string): ParsedMtaStsPolicy {
  const policy: ParsedMtaStsPolicy = { mx: [], problems: [] };
  const seen = new Set<string>();
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) {
      policy.problems.push(`the line "${line}" is not "key: value"`);
      continue;
    }
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key !== 'mx' && seen.has(key)) {
      policy.problems.push(`"${key}" appears more than once`);
      continue;
    }
    seen.add(key);
    switch (key) {
      case 'version':
        policy.version = value;
        break;
      case 'mode':
        policy.mode = value;
        break;
      case 'mx':
        policy.mx.push(normalizeName(value));
        break;
      case 'max_age':
        if (/^\d{1,10}$/.test(value)) policy.maxAge = Number(value);
        else policy.problems.push(`max_age "${value}" is not a number of seconds`);
        break;
      default:
        // RFC 8461 3.2: senders ignore keys they do not know (extensions).
        break;
    }
  }
  if (policy.version !== 'STSv1')
    policy.problems.unshift(
      policy.version === undefined
        ? 'no "version: STSv1" line'
        : `version is "${policy.version}", must be STSv1`,
    );
  if (policy.mode === undefined) policy.problems.push('no "mode:" line (enforce, testing or none)');
  else if (!['enforce', 'testing', 'none'].includes(policy.mode))
    policy.problems.push(`mode "${policy.mode}" is not enforce, testing or none`);
  if (policy.maxAge === undefined && !policy.problems.some((p) => p.startsWith('max_age')))
    policy.problems.push('no "max_age:" line');
  else if (policy.maxAge !== undefined && policy.maxAge > MTA_STS_MAX_AGE_LIMIT)
    policy.problems.push(`max_age ${policy.maxAge} is more than a year (${MTA_STS_MAX_AGE_LIMIT})`);
  if (policy.mx.length === 0 && policy.mode !== 'none') policy.problems.push('no "mx:" line');
  return policy;
}

/** Does the policy's `mx:` pattern cover `host`? `*.example.com` covers exactly one more label (RFC 8461 4.1). */
export function mxPatternMatches(pattern: string, host: string): boolean {
  const p = normalizeName(pattern);
  const h = normalizeName(host);
  if (!p.startsWith('*.')) return p === h;
  const suffix = p.slice(1); // ".example.com"
  if (!h.endsWith(suffix)) return false;
  const label = h.slice(0, h.length - suffix.length);
  return label !== '' && !label.includes('.');
}

export type MtaStsFetch =
  | { outcome: 'ok'; address: string; status: number; contentType: string; text: string }
  | {
      outcome:
        'no-address' | 'unreachable' | 'certificate' | 'http-status' | 'redirect' | 'too-big' | 'timeout';
      address?: string;
      detail: string;
    };

export interface MtaStsFetchOptions {
  /** HTTPS port of the policy host (default 443; tests serve on another). */
  port?: number;
  /** An extra trusted CA in PEM, beside the usual roots (tests only): verification is never turned off. */
  extraCa?: string;
  /** For lookup and request together (default 5 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Fetches https://mta-sts.<domain>/.well-known/mta-sts.txt as a sender would: the host resolved
 * through `lookup` (the check's DNS, not the system's), the certificate verified for the policy
 * host, no redirects followed. Never throws for network or HTTP failures; throws when cancelled.
 */
export async function fetchMtaStsPolicy(
  domain: string,
  lookup: DnsLookup,
  options: MtaStsFetchOptions = {},
): Promise<MtaStsFetch> {
  const policyHost = `mta-sts.${normalizeName(domain)}`;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const answers = await Promise.all(
    (['A', 'AAAA'] as const).map((type) =>
      lookup.query(policyHost, type, signal).catch((error: unknown) => {
        options.signal?.throwIfAborted();
        return { status: 'error' as const, values: [] as string[], error: (error as Error).message };
      }),
    ),
  );
  options.signal?.throwIfAborted();
  const address = answers.flatMap((a) => (a.status === 'ok' ? a.values : [])).find((v) => isIP(v) !== 0);
  if (!address) {
    const failed = answers.find((a) => a.status !== 'ok' && a.status !== 'nxdomain' && a.status !== 'nodata');
    return {
      outcome: timeout.aborted ? 'timeout' : 'no-address',
      detail: failed
        ? `${policyHost} could not be looked up (${failed.status}${failed.error ? `: ${failed.error}` : ''})`
        : `${policyHost} has no A or AAAA record`,
    };
  }
  return request(policyHost, address, options, signal, timeout);
}

function request(
  policyHost: string,
  address: string,
  options: MtaStsFetchOptions,
  signal: AbortSignal,
  timeout: AbortSignal,
): Promise<MtaStsFetch> {
  const port = options.port ?? 443;
  const where = `${policyHost} (${address}${port === 443 ? '' : `:${port}`})`;
  return new Promise<MtaStsFetch>((resolve, reject) => {
    const req = https.request(
      {
        host: address,
        port,
        path: MTA_STS_POLICY_PATH,
        method: 'GET',
        // The certificate is verified for the policy host, not for the address connected to.
        servername: policyHost,
        headers: { Host: policyHost, Accept: 'text/plain' },
        ...(options.extraCa !== undefined && { ca: [...rootCertificates, options.extraCa] }),
        agent: false,
        signal,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const contentType = String(res.headers['content-type'] ?? '');
        if (status >= 300 && status < 400) {
          res.resume();
          resolve({
            outcome: 'redirect',
            address,
            detail: `${where} answered ${status} (redirect to ${res.headers.location ?? '?'}): senders do not follow redirects`,
          });
          return;
        }
        if (status !== 200) {
          res.resume();
          resolve({ outcome: 'http-status', address, detail: `${where} answered HTTP ${status}` });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MTA_STS_MAX_POLICY_BYTES) {
            req.destroy();
            resolve({
              outcome: 'too-big',
              address,
              detail: `the policy at ${where} is over ${MTA_STS_MAX_POLICY_BYTES} bytes`,
            });
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({
            outcome: 'ok',
            address,
            status,
            contentType,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', (error) => settleError(error));
      },
    );
    const settleError = (error: Error) => {
      if (options.signal?.aborted) {
        reject(options.signal.reason instanceof Error ? options.signal.reason : error);
        return;
      }
      resolve(classifyRequestError(error, where, address, timeout.aborted));
    };
    req.on('error', settleError);
    req.end();
  });
}

const CERTIFICATE_CODES =
  /^(CERT_|UNABLE_TO_(GET|VERIFY)|SELF_SIGNED|DEPTH_ZERO|ERR_TLS_CERT|HOSTNAME_MISMATCH|ERR_SSL)/;

function classifyRequestError(error: Error, where: string, address: string, timedOut: boolean): MtaStsFetch {
  if (timedOut) return { outcome: 'timeout', address, detail: `${where} did not answer in time` };
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (CERTIFICATE_CODES.test(code) || /certificate/i.test(error.message))
    return {
      outcome: 'certificate',
      address,
      detail: `the certificate of ${where} is not valid: ${error.message}`,
    };
  return { outcome: 'unreachable', address, detail: `${where}: ${error.message}` };
}

export interface MtaStsVerdict {
  ok: boolean;
  /** One line, when not ok. */
  fix?: string;
  notes: string[];
  /** The mode of the fetched policy, when it has a valid one. */
  mode?: MtaStsMode;
}

/** What the fetched policy means for mail to `mailHost`: ok, or what to fix and what senders do meanwhile. */
export function judgeMtaStsPolicy(fetched: MtaStsFetch, mailHost: string, policyUrl: string): MtaStsVerdict {
  if (fetched.outcome !== 'ok') {
    return {
      ok: false,
      fix: `senders cannot fetch the policy (${fetched.detail}): serve it at ${policyUrl}, or remove the _mta-sts TXT record`,
      notes: [
        'until then MTA-STS is not in effect: senders that cached an earlier policy keep applying it until its max_age ends',
      ],
    };
  }
  const notes: string[] = [`fetched ${policyUrl} from ${fetched.address}`];
  const parsed = parseMtaStsPolicy(fetched.text);
  const mode = (['enforce', 'testing', 'none'] as const).find((m) => m === parsed.mode);
  const consequence =
    mode === 'enforce'
      ? 'senders that support MTA-STS will refuse to deliver in enforce mode'
      : mode === 'testing'
        ? 'in testing mode senders only report the failure (TLS-RPT) and still deliver'
        : undefined;
  const because = (what: string) => (consequence ? `${what} — ${consequence}` : what);
  if (!/^text\/plain(\s*;|$)/i.test(fetched.contentType.trim()))
    return {
      ok: false,
      fix: because(
        `the policy is served as "${fetched.contentType || 'no Content-Type'}": serve it as text/plain`,
      ),
      notes,
      ...(mode && { mode }),
    };
  if (parsed.problems.length > 0) {
    return {
      ok: false,
      fix: `senders ignore an invalid policy: fix it at ${policyUrl}: ${parsed.problems[0]}`,
      notes: [...notes, ...parsed.problems],
      ...(mode && { mode }),
    };
  }
  notes.push(`mode: ${mode}, max_age: ${parsed.maxAge}, mx: ${parsed.mx.join(', ')}`);
  if (mode !== 'none' && !parsed.mx.some((pattern) => mxPatternMatches(pattern, mailHost))) {
    return {
      ok: false,
      fix: because(
        `the policy's mx (${parsed.mx.join(', ')}) does not cover ${normalizeName(mailHost)}: add "mx: ${normalizeName(mailHost)}"`,
      ),
      notes,
      ...(mode && { mode }),
    };
  }
  if (mode === 'none') notes.push('mode none: the policy is withdrawn, senders stop applying MTA-STS');
  return { ok: true, notes, ...(mode && { mode }) };
}
