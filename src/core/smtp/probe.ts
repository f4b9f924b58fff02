// Client-side look at an SMTP port, the way a sending server sees it: greeting, EHLO
// capabilities, STARTTLS/implicit TLS, and the certificate presented (never rejected here,
// but judged: `authorized` and why not).
import { ExpectedError } from '../errors';
import { X509Certificate } from 'node:crypto';
import { isIP, connect as netConnect } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { spkiSha256 } from '../dns/dane';
import { ReplyReader, type SmtpReply } from './reply-reader';

export interface ProbeOptions {
  host: string;
  port: number;
  /** 'starttls': plain connection upgraded (ports 25/587); 'tls': TLS from the first byte (465). */
  mode: 'starttls' | 'tls';
  /** Name expected on the certificate and sent as SNI (default: host, when it is a name). */
  servername?: string;
  /** Extra trusted CAs (e.g. a test CA) for judging the certificate. */
  ca?: string | Buffer | Array<string | Buffer>;
  timeoutMs?: number;
  /** Name announced in EHLO. */
  ehloName?: string;
  /**
   * Also try AUTH PLAIN over TLS with these credentials (a password check that changes
   * nothing). The password goes only into the TLS connection, never into errors or results.
   */
  login?: { user: string; password: string };
  /**
   * Offer only this outdated TLS version (with the old ciphers it needs): does the server still
   * accept it? The handshake fails with a 'tls' error when it does not.
   */
  onlyTlsVersion?: 'TLSv1' | 'TLSv1.1';
  /** Opens the TCP connection some other way than from here (e.g. from a jump host, over SSH). */
  dial?: (host: string, port: number) => Promise<Duplex>;
}

export interface CertificateInfo {
  subjectCN?: string;
  issuerCN?: string;
  subjectAltNames: string[];
  serialNumber: string;
  validFrom: string;
  notAfter: string;
  fingerprint256: string;
  /** SHA-256 of the served key (SubjectPublicKeyInfo), hex: what a DANE TLSA 3 1 1 record must name. */
  spkiSha256?: string;
}

export interface ProbeResult {
  banner: string;
  /** EHLO keywords before TLS (starttls mode) — AUTH is usually absent here. */
  capabilitiesBeforeTls?: string[];
  /** EHLO keywords over TLS. */
  capabilities: string[];
  starttlsOffered: boolean;
  authMechanisms: string[];
  tls: {
    protocol: string | null;
    cipher: string;
    /** Chain trusted AND name matching `servername`. */
    authorized: boolean;
    authorizationError?: string;
    certificate?: CertificateInfo;
  };
  /** Set when `login` was given: the server's answer to AUTH PLAIN (235 accepted, 535 refused). */
  login?: { accepted: boolean; reply: string };
}

export type ProbeErrorKind =
  'refused' | 'timeout' | 'no-greeting' | 'no-starttls' | 'tls' | 'closed' | 'network';

export class SmtpProbeError extends ExpectedError {
  constructor(
    readonly kind: ProbeErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export async function probeSmtp(opts: ProbeOptions): Promise<ProbeResult> {
  const where = `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const servername = opts.servername ?? (isIP(opts.host) ? undefined : opts.host);
  const sockets: Duplex[] = [];
  let reader: ReplyReader | undefined;
  let timer: NodeJS.Timeout | undefined;

  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new SmtpProbeError(
        'timeout',
        `No answer from ${where} within ${Math.round(timeoutMs / 1000)} s.`,
      );
      reader?.fail(err);
      reject(err);
    }, timeoutMs);
  });
  const track = <T extends Duplex>(s: T): T => {
    sockets.push(s);
    s.on('error', (err) => reader?.fail(describeSocketError(err, where)));
    return s;
  };

  const run = async (): Promise<ProbeResult> => {
    let tlsSocket: TLSSocket;
    let capabilitiesBeforeTls: string[] | undefined;
    if (opts.mode === 'tls') {
      const target = opts.dial
        ? { socket: track(await opts.dial(opts.host, opts.port)) }
        : { host: opts.host, port: opts.port };
      tlsSocket = await openTls(track(tlsConnect(tlsOptions(opts, servername, target))), where);
      reader = new ReplyReader(tlsSocket);
    } else {
      if (opts.dial) {
        reader = new ReplyReader(track(await opts.dial(opts.host, opts.port)));
      } else {
        const plain = track(netConnect({ host: opts.host, port: opts.port }));
        await new Promise<void>((resolve, reject) => {
          plain.once('connect', resolve);
          plain.once('error', (err) => reject(describeSocketError(err, where)));
        });
        reader = new ReplyReader(plain);
      }
    }
    const greeting = await expect(reader, 220, 'no-greeting', `${where} did not greet with 220`);
    const banner = `220 ${greeting.lines.join(' ')}`;
    const ehloName = opts.ehloName ?? 'mailwright.invalid';

    if (opts.mode === 'starttls') {
      const plain = sockets[0]!;
      plain.write(`EHLO ${ehloName}\r\n`);
      capabilitiesBeforeTls = keywords(await expect(reader, 250, 'no-greeting', `EHLO refused by ${where}`));
      if (!capabilitiesBeforeTls.some((c) => c.toUpperCase() === 'STARTTLS')) {
        throw new SmtpProbeError(
          'no-starttls',
          `${where} does not offer STARTTLS (EHLO: ${capabilitiesBeforeTls.join(', ')}).`,
        );
      }
      plain.write('STARTTLS\r\n');
      await expect(reader, 220, 'tls', `STARTTLS refused by ${where}`);
      reader.detach();
      tlsSocket = await openTls(track(tlsConnect(tlsOptions(opts, servername, { socket: plain }))), where);
      reader = new ReplyReader(tlsSocket);
    }
    tlsSocket = sockets[sockets.length - 1] as TLSSocket;
    tlsSocket.write(`EHLO ${ehloName}\r\n`);
    const capabilities = keywords(
      await expect(reader, 250, 'no-greeting', `EHLO over TLS refused by ${where}`),
    );
    let login: ProbeResult['login'];
    if (opts.login) {
      const token = Buffer.from(`\0${opts.login.user}\0${opts.login.password}`, 'utf8').toString('base64');
      tlsSocket.write(`AUTH PLAIN ${token}\r\n`);
      const reply = await reader.next().catch(() => {
        throw new SmtpProbeError('closed', `${where} closed the connection after AUTH.`);
      });
      login = { accepted: reply.code === 235, reply: `${reply.code} ${reply.lines.join(' ')}` };
    }
    tlsSocket.write('QUIT\r\n');

    return {
      banner,
      capabilitiesBeforeTls,
      capabilities,
      starttlsOffered: (capabilitiesBeforeTls ?? capabilities).some((c) => c.toUpperCase() === 'STARTTLS'),
      authMechanisms: authMechanisms(capabilities),
      tls: judgeTls(tlsSocket, servername),
      ...(login && { login }),
    };
  };

  try {
    return await Promise.race([run(), deadline]);
  } finally {
    if (timer) clearTimeout(timer);
    for (const s of sockets.reverse()) s.destroy();
  }
}

function tlsOptions(
  opts: ProbeOptions,
  servername: string | undefined,
  target: { host: string; port: number } | { socket: Duplex },
) {
  // Never reject here: a self-signed or wrong-name certificate is a finding to report, not a crash.
  const legacy = opts.onlyTlsVersion && {
    minVersion: opts.onlyTlsVersion,
    maxVersion: opts.onlyTlsVersion,
    // OpenSSL 3 refuses TLS 1.0/1.1 ciphers at its default security level.
    ciphers: 'DEFAULT@SECLEVEL=0',
  };
  return { ...target, servername, ca: opts.ca, rejectUnauthorized: false, ...legacy };
}

function openTls(socket: TLSSocket, where: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', (err) =>
      reject(
        (err as NodeJS.ErrnoException).code === 'ECONNREFUSED'
          ? describeSocketError(err, where)
          : new SmtpProbeError('tls', `TLS handshake with ${where} failed: ${err.message}`),
      ),
    );
  });
}

async function expect(
  reader: ReplyReader,
  code: number,
  kind: ProbeErrorKind,
  what: string,
): Promise<SmtpReply> {
  let reply: SmtpReply;
  try {
    reply = await reader.next();
  } catch (err) {
    if (err instanceof SmtpProbeError) throw err;
    throw new SmtpProbeError('closed', `${what}: the connection was closed.`);
  }
  if (reply.code !== code)
    throw new SmtpProbeError(kind, `${what}: got "${reply.code} ${reply.lines.join(' ')}".`);
  return reply;
}

/** EHLO reply lines minus the greeting line: "PIPELINING", "AUTH PLAIN LOGIN", … */
function keywords(reply: SmtpReply): string[] {
  return reply.lines.slice(1).map((l) => l.trim());
}

function authMechanisms(capabilities: string[]): string[] {
  const auth = capabilities.find((c) => /^AUTH[ =]/i.test(c));
  return auth ? auth.slice(5).trim().split(/\s+/).filter(Boolean) : [];
}

function judgeTls(socket: TLSSocket, servername: string | undefined): ProbeResult['tls'] {
  const peer = socket.getPeerCertificate();
  const certificate = peer && Object.keys(peer).length ? describeCertificate(peer) : undefined;
  let authorized = socket.authorized;
  let authorizationError = socket.authorizationError ? String(socket.authorizationError) : undefined;
  if (authorized && servername && peer) {
    const mismatch = checkServerIdentity(servername, peer);
    if (mismatch) {
      authorized = false;
      authorizationError = mismatch.message;
    }
  }
  if (authorized && !servername) {
    authorized = false;
    authorizationError = 'No server name given: the certificate name was not checked.';
  }
  return {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.name ?? '',
    authorized,
    authorizationError,
    certificate,
  };
}

function describeCertificate(cert: PeerCertificate): CertificateInfo {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  return {
    subjectCN: first(cert.subject?.CN),
    issuerCN: first(cert.issuer?.CN),
    subjectAltNames: (cert.subjectaltname ?? '')
      .split(/,\s*/)
      .filter(Boolean)
      .map((s) => s.replace(/^(DNS|IP Address):/, '')),
    serialNumber: cert.serialNumber,
    validFrom: cert.valid_from,
    notAfter: cert.valid_to,
    fingerprint256: cert.fingerprint256,
    ...(cert.raw && { spkiSha256: servedKeyHash(cert.raw) }),
  };
}

function servedKeyHash(der: Buffer): string | undefined {
  try {
    return spkiSha256(new X509Certificate(der).publicKey);
  } catch {
    return undefined;
  }
}

function describeSocketError(err: Error, where: string): SmtpProbeError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') {
    return new SmtpProbeError(
      'refused',
      `Connection refused by ${where}: nothing listens there, or a firewall rejects it.`,
    );
  }
  if (code === 'ETIMEDOUT') return new SmtpProbeError('timeout', `Connecting to ${where} timed out.`);
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return new SmtpProbeError('closed', `${where} closed the connection.`);
  return new SmtpProbeError('network', `Cannot reach ${where}: ${err.message}`);
}
