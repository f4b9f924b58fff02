// Can the server send and receive mail at all? Outbound: the server itself connects to another
// domain's MX on port 25 (many VPS providers block that port by default, the most common trap).
// Inbound: this machine connects to the mail host's 25/465/587 as a sender or a mail client would.
import { isIP } from 'node:net';
import type { RemoteConnection } from '../remote';
import { shellScript } from '../remote';
import { SMTP_PORT, SUBMISSION_TLS_PORT } from '../ports';
import { probeSmtp, SmtpProbeError, type ProbeErrorKind } from '../smtp/probe';
import { systemLookup } from './lookup';
import type { DnsLookup, Finding } from './model';

export interface SmtpTarget {
  host: string;
  port?: number;
}

export interface OutboundOptions {
  /** Per target: connect and greeting together (default 10 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Resolves a domain's MX when a domain is given instead of targets (default: the system's resolvers). */
  lookup?: DnsLookup;
}

export type OutboundOutcome =
  'connected' | 'no-greeting' | 'refused' | 'timeout' | 'unreachable' | 'no-address' | 'error';

export interface OutboundResult {
  host: string;
  port: number;
  outcome: OutboundOutcome;
  /** The SMTP greeting, or the error text. */
  detail: string;
}

// Runs on the server; every target is probed at the same time. bash's /dev/tcp opens the
// connection, `timeout` bounds connect + greeting. Output: one tab-separated line per target.
const PROBE_SCRIPT = `
command -v bash >/dev/null 2>&1 || { echo "mw-missing bash"; exit 0; }
command -v timeout >/dev/null 2>&1 || { echo "mw-missing timeout"; exit 0; }
seconds=$1; shift
probe() {
  out=$(timeout "$seconds" bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit 3; echo connected; IFS= read -r line <&3; printf "greeting %s\\n" "$line"' probe "$1" "$2" 2>&1)
  rc=$?
  printf 'mw-probe\\t%s\\t%s\\t%s\\t%s\\n' "$1" "$2" "$rc" "$(printf '%s' "$out" | tr '\\t\\r\\n' '   ')"
}
while [ $# -ge 2 ]; do
  probe "$1" "$2" &
  shift 2
done
wait
`;

/** Turns one probe line's exit code and output into an outcome. */
export function classifyProbe(
  exitCode: number,
  output: string,
): { outcome: OutboundOutcome; detail: string } {
  const greeting = /greeting (.*)$/.exec(output)?.[1]?.trim();
  if (exitCode === 0 && greeting !== undefined) {
    return greeting.startsWith('220')
      ? { outcome: 'connected', detail: greeting }
      : {
          outcome: 'no-greeting',
          detail: greeting ? `greeted with "${greeting}", not 220` : 'closed without greeting',
        };
  }
  if (exitCode === 124) {
    return output.includes('connected')
      ? { outcome: 'no-greeting', detail: 'connected, but no SMTP greeting came' }
      : { outcome: 'timeout', detail: 'no answer: the connection attempt timed out' };
  }
  const text = output.replace(/^probe: (line \d+: )?/, '').trim();
  if (/refused/i.test(output)) return { outcome: 'refused', detail: 'connection refused' };
  if (/unreachable/i.test(output))
    return { outcome: 'unreachable', detail: text || 'network is unreachable' };
  if (/not known|unknown host|no address|name resolution|Temporary failure/i.test(output)) {
    return { outcome: 'no-address', detail: `the server cannot resolve the name (${text})` };
  }
  return { outcome: 'error', detail: text || `probe ended with exit code ${exitCode}` };
}

/** The MX hosts of `domain`, best first, or the domain itself when it has none (RFC 5321 implicit MX). */
async function mxTargets(
  domain: string,
  lookup: DnsLookup,
  signal?: AbortSignal,
): Promise<SmtpTarget[] | string> {
  const answer = await lookup.query(domain, 'MX', signal);
  if (answer.status === 'nxdomain') return `${domain} does not exist in DNS`;
  if (answer.status !== 'ok' && answer.status !== 'nodata') {
    return `looking up the MX of ${domain} ended in ${answer.status}${answer.error ? ` (${answer.error})` : ''}`;
  }
  const hosts = answer.values
    .map((value) => {
      const [priority = '0', host = ''] = value.split(' ');
      return { priority: Number(priority), host };
    })
    .filter((mx) => mx.host !== '')
    .sort((a, b) => a.priority - b.priority)
    .map((mx) => ({ host: mx.host }));
  return hosts.length > 0 ? hosts : [{ host: domain }];
}

/**
 * Outbound TCP 25 from the server: connects to each target (or to the MX hosts of a domain) and
 * reads the greeting. ok when at least one MX greeted; a timeout on all of them means the VPS
 * provider blocks port 25.
 */
export async function checkOutbound25(
  conn: RemoteConnection,
  targets: SmtpTarget[] | string,
  opts: OutboundOptions = {},
): Promise<Finding> {
  const what = typeof targets === 'string' ? `the MX of ${targets}` : targets.map(describeTarget).join(', ');
  const base = {
    id: 'reach:outbound-25',
    kind: 'reachability' as const,
    name: `outbound port 25 to ${what}`,
  };
  const list =
    typeof targets === 'string'
      ? await mxTargets(targets, opts.lookup ?? systemLookup(), opts.signal)
      : targets;
  if (typeof list === 'string' || list.length === 0) {
    return {
      ...base,
      status: 'not-checkable',
      severity: 'warning',
      found: [],
      fix: 'choose a probe domain whose MX can be found (e.g. gmail.com)',
      notes: [typeof list === 'string' ? list : 'no target to connect to'],
    };
  }
  let results: OutboundResult[] | string;
  try {
    results = await probeFromServer(conn, list, opts);
  } catch (error) {
    opts.signal?.throwIfAborted();
    results = `the probe could not run on the server: ${(error as Error).message}`;
  }
  if (typeof results === 'string') {
    return {
      ...base,
      status: 'not-checkable',
      severity: 'warning',
      found: [],
      fix: 'install bash and coreutils on the server, then check again',
      notes: [results],
    };
  }
  return judgeOutbound(base, results);
}

/** Runs the probe script once over SSH and reads its per-target lines. */
export async function probeFromServer(
  conn: RemoteConnection,
  targets: SmtpTarget[],
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<OutboundResult[] | string> {
  const seconds = Math.max(1, Math.round((opts.timeoutMs ?? 10_000) / 1000));
  const args = [
    String(seconds),
    ...targets.flatMap((t) => [t.host.replace(/^\[|\]$/g, ''), String(t.port ?? 25)]),
  ];
  const { stdout } = await conn.exec(shellScript(PROBE_SCRIPT, args), {
    timeoutMs: (seconds + 15) * 1000,
    signal: opts.signal,
    check: false,
  });
  const missing = /^mw-missing (\S+)/m.exec(stdout);
  if (missing) return `the server has no ${missing[1]}`;
  const results: OutboundResult[] = [];
  for (const line of stdout.split('\n')) {
    const [mark, host = '', port = '', rc = '', output = ''] = line.split('\t');
    if (mark !== 'mw-probe') continue;
    results.push({ host, port: Number(port), ...classifyProbe(Number(rc), output) });
  }
  // Keep the caller's order (the probes finish in any order).
  const order = (r: { host: string; port: number }) =>
    targets.findIndex((t) => t.host.replace(/^\[|\]$/g, '') === r.host && (t.port ?? 25) === r.port);
  return results.length > 0 ? results.sort((a, b) => order(a) - order(b)) : 'the probe printed nothing';
}

function describeTarget(t: { host: string; port?: number }): string {
  const host = isIP(t.host) === 6 ? `[${t.host}]` : t.host;
  return t.port && t.port !== 25 ? `${host}:${t.port}` : host;
}

/** The verdict over every target: one greeting is enough; all timing out is the provider's block. */
export function judgeOutbound(
  base: Pick<Finding, 'id' | 'kind' | 'name'>,
  results: OutboundResult[],
): Finding {
  const notes = results.map((r) => `${describeTarget(r)}: ${r.outcome} — ${r.detail}`);
  const found = results.map((r) => `${describeTarget(r)} ${r.outcome}`);
  if (results.some((r) => r.outcome === 'connected')) {
    return { ...base, status: 'ok', severity: 'info', found, notes };
  }
  if (results.every((r) => r.outcome === 'timeout')) {
    return {
      ...base,
      status: 'wrong',
      severity: 'error',
      found,
      fix: 'outbound port 25 looks blocked by your VPS provider — most providers block it by default; ask them to open it (Contabo, Hetzner …) or choose another provider',
      notes,
    };
  }
  const fix = results.every((r) => r.outcome === 'no-address')
    ? 'the server cannot resolve the MX hosts: check its resolver (/etc/resolv.conf)'
    : results.some((r) => r.outcome === 'no-greeting')
      ? 'something between the server and the internet intercepts port 25 (a provider filter or proxy): ask your VPS provider'
      : "the server cannot open port 25 connections: check the server's firewall for outgoing rules and ask your VPS provider whether port 25 is filtered";
  return { ...base, status: 'wrong', severity: 'error', found, fix, notes };
}

export interface InboundOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Name the certificate must carry (default: host). */
  servername?: string;
  /** Extra trusted CAs (a test CA). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Told the key each port serves (SPKI SHA-256), for the DANE row. */
  onServedKey?: (port: number, spkiSha256: string) => void;
}

/** From this machine to the mail host: 25 and 587 with STARTTLS, 465 with TLS from the first byte; in parallel. */
export async function checkInbound(
  host: string,
  ports: number[] = [25, 465, 587],
  opts: InboundOptions = {},
): Promise<Finding[]> {
  return Promise.all(ports.map((port) => checkInboundPort(host, port, opts)));
}

/** What a port serving a self-signed certificate means, and the way out (the CLI table and the DNS panel). */
export const SELF_SIGNED_FIX =
  'self-signed certificate (mail is accepted; clients and other servers will not trust it): get a trusted certificate — add acme: to the host in mailwright.yaml, e.g. acme: { ca: letsencrypt, challenge: http-01 }, and provision again';

/** What a failed probe saw, in the words the Found column shows. */
const PROBE_FOUND: Record<ProbeErrorKind, string> = {
  refused: 'connection refused',
  timeout: 'no answer (timed out)',
  'no-greeting': 'connected, but no SMTP greeting',
  'no-starttls': 'SMTP without STARTTLS',
  tls: 'TLS handshake failed',
  closed: 'connection closed by the server',
  network: 'network unreachable',
};

/** Why a certificate is not trusted, in plain words (Node's verification codes otherwise). */
function untrustedReason(code: string | undefined, name: string): string {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return 'the certificate has expired';
    case 'CERT_NOT_YET_VALID':
      return 'the certificate is not valid yet (check the server clock)';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the certificate does not name ${name}`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'the certificate chain is incomplete or its CA is unknown (serve fullchain.pem, not the certificate alone)';
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'the certificate comes from a CA that is not publicly trusted (a test CA?)';
    default:
      return `the certificate is not trusted for ${name} (${code ?? 'unknown reason'})`;
  }
}

const PORT_ROLE: Record<number, string> = {
  25: 'other servers deliver mail to you here',
  465: 'mail clients submit over TLS here',
  587: 'mail clients submit with STARTTLS here',
};

async function checkInboundPort(host: string, port: number, opts: InboundOptions): Promise<Finding> {
  const where = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const base = { id: `reach:inbound-${port}`, kind: 'reachability' as const, name: `inbound ${where}` };
  const role = PORT_ROLE[port];
  const roleNote = role ? [`port ${port}: ${role}`] : [];
  opts.signal?.throwIfAborted();
  try {
    const probe = probeSmtp({
      host,
      port,
      mode: port === 465 ? 'tls' : 'starttls',
      servername: opts.servername,
      ca: opts.ca,
      timeoutMs: opts.timeoutMs ?? 10_000,
    });
    const result = await (opts.signal ? raceAbort(probe, opts.signal) : probe);
    const tls = result.tls;
    if (tls.certificate?.spkiSha256) opts.onServedKey?.(port, tls.certificate.spkiSha256);
    const notes = [
      ...roleNote,
      `greeting: ${result.banner}`,
      `TLS ${tls.protocol ?? '?'} ${tls.cipher}`,
      ...(await defaultsNotes(host, port, result.authMechanisms, opts)),
    ];
    // Node's code for a certificate that signed itself (the bootstrap certificate), not a chain.
    if (tls.authorizationError === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
      return {
        ...base,
        status: 'self-signed',
        severity: 'warning',
        found: [result.banner],
        fix: SELF_SIGNED_FIX,
        notes,
      };
    }
    if (!tls.authorized) {
      return {
        ...base,
        status: 'wrong',
        severity: 'warning',
        found: [result.banner],
        fix: `${untrustedReason(tls.authorizationError, opts.servername ?? host)} on ${where}: mail is accepted, but clients and other servers will not trust it; issue a certificate for the mail host (acme: in mailwright.yaml, then provision again)`,
        notes,
      };
    }
    return { ...base, status: 'ok', severity: 'info', found: [result.banner], notes };
  } catch (error) {
    opts.signal?.throwIfAborted();
    if (!(error instanceof SmtpProbeError)) throw error;
    return {
      ...base,
      status: 'wrong',
      severity: 'error',
      found: [PROBE_FOUND[error.kind] ?? error.kind],
      fix: inboundFix(error, where, port),
      notes: [...roleNote, error.message],
    };
  }
}

/**
 * chasquid's defaults that have no setting, said where the user looks at the ports: AUTH on port 25,
 * AUTH PLAIN only, and TLS 1.1 still accepted (README, "chasquid's defaults").
 */
async function defaultsNotes(
  host: string,
  port: number,
  mechanisms: string[],
  opts: InboundOptions,
): Promise<string[]> {
  const mechs = mechanisms.join(' ');
  if (port === SMTP_PORT) {
    return mechanisms.length === 0
      ? []
      : [
          `AUTH ${mechs} is offered on port 25 too, after STARTTLS (chasquid always does; it has no setting for it): a stolen password can send mail through port 25 as well as 465/587, so closing 465/587 does not lock it out — change a leaked password at once (mailwright user passwd)`,
        ];
  }
  const notes =
    mechs === 'PLAIN'
      ? [
          'AUTH PLAIN only (chasquid offers no LOGIN): set mail programs to "normal password"; one set to LOGIN cannot log in',
        ]
      : [];
  const oldTls = await probeSmtp({
    host,
    port,
    mode: port === SUBMISSION_TLS_PORT ? 'tls' : 'starttls',
    servername: opts.servername,
    timeoutMs: opts.timeoutMs ?? 10_000,
    onlyTlsVersion: 'TLSv1.1',
  }).then(
    () => true,
    () => false,
  );
  if (oldTls)
    notes.push(
      'TLS 1.1 is accepted too (chasquid has no setting for the oldest TLS version; Mailwright keeps its default, and current mail programs use TLS 1.2 or 1.3): to refuse TLS 1.0 and 1.1, add Environment=GODEBUG=tls10server=0 to chasquid.service (systemctl edit chasquid), which works when chasquid was built with Go 1.22 or later (Debian 13)',
    );
  return notes;
}

function inboundFix(error: SmtpProbeError, where: string, port: number): string {
  switch (error.kind) {
    case 'refused':
      return `nothing accepts connections on ${where}: check that chasquid runs (systemctl status chasquid) and listens on ${port}, and that the server's firewall (ufw allow ${port}/tcp) lets it in`;
    case 'timeout':
      return `no answer from ${where}: a firewall drops port ${port} (ufw on the server, or the provider's firewall/security group); open ${port}/tcp`;
    case 'no-starttls':
      return `${where} does not offer STARTTLS: chasquid needs a certificate in /etc/chasquid/certs/`;
    case 'tls':
      return `the TLS handshake on ${where} failed: check the certificate files in /etc/chasquid/certs/`;
    default:
      return `${where} did not speak SMTP properly: check chasquid's log (journalctl -u chasquid)`;
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
