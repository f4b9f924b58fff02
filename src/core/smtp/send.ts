// A test mail through a server, with what a report needs to judge the submission: the server's
// replies (a transcript with secrets scrubbed), the TLS it negotiated and whether its certificate
// is valid for the host name, the queue id of its final reply, and how long each step took.
// Built on nodemailer's SMTP connection over a socket opened here, so the TLS is observable.
import { ExpectedError } from '../errors';
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type TLSSocket } from 'node:tls';
import { format } from 'node:util';
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';

export interface SendTestMailOptions {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (port 465). */
  secure?: boolean;
  /** Require STARTTLS on a plain port (587/25); the mail is never sent in clear. */
  starttls?: boolean;
  user?: string;
  /** Only ever passed to nodemailer in memory; never logged (the transcript is scrubbed). */
  password?: string;
  from: string;
  to: string | string[];
  subject?: string;
  text?: string;
  /** Extra header fields of the built message (e.g. a token to find the delivered copy by). */
  headers?: Record<string, string>;
  /** A complete RFC 5322 message to send instead of building one (e.g. pre-signed). */
  raw?: string | Buffer;
  servername?: string;
  /**
   * true (default): an invalid certificate ends the attempt before AUTH. false: the attempt goes
   * on and the result says why the certificate is not valid (tls.certificate).
   */
  tlsRejectUnauthorized?: boolean;
  /** CAs to verify the certificate against instead of the system's. */
  ca?: string | Buffer | Array<string | Buffer>;
  timeoutMs?: number;
}

export interface SendTlsInfo {
  /** "TLSv1.3" */
  version: string;
  /** "TLS_AES_256_GCM_SHA384" */
  cipher: string;
  certificate: {
    /** Chain trusted (system CAs or the given ones) and the name matches. */
    valid: boolean;
    /** The name it was checked against (SNI). */
    name: string;
    /** Why the chain is not trusted ("DEPTH_ZERO_SELF_SIGNED_CERT"), when it is not. */
    chainError?: string;
    /** Why the name does not match, when it does not. */
    nameError?: string;
    subject?: string;
    issuer?: string;
    validTo?: string;
    /** SHA-256 fingerprint of the leaf certificate. */
    fingerprint256?: string;
  };
}

export interface SendTimings {
  /** TCP connection established. */
  connectMs: number;
  /** TLS handshake (implicit TLS, or the STARTTLS exchange). */
  tlsMs?: number;
  /** AUTH exchange. */
  authMs?: number;
  /** MAIL FROM to the final reply to DATA. */
  dataMs: number;
  totalMs: number;
}

export interface SendTestMailResult {
  accepted: string[];
  rejected: string[];
  /** The server's final reply to DATA, e.g. "250 2.0.0 OK: queued". */
  response: string;
  messageId: string;
  /** The server's id for the message, read from its final reply when it names one. */
  queueId?: string;
  /** Absent when the message went in clear (only possible on a plain port without starttls). */
  tls?: SendTlsInfo;
  timings: SendTimings;
  /** SMTP conversation (S:/C: lines), secrets scrubbed. */
  transcript: string[];
}

export type SendErrorKind = 'auth' | 'connection' | 'tls' | 'recipient' | 'protocol';

export class SmtpSendError extends ExpectedError {
  constructor(
    readonly kind: SendErrorKind,
    message: string,
    readonly responseCode?: number,
    readonly transcript: string[] = [],
  ) {
    super(message);
  }
}

export async function sendTestMail(opts: SendTestMailOptions): Promise<SendTestMailResult> {
  const transcript: string[] = [];
  const secrets = secretForms(opts.user, opts.password);
  const where = `${opts.host}:${opts.port}`;
  const t0 = performance.now();
  const since = () => Math.round(performance.now() - t0);
  let starttlsAt: number | undefined;
  let upgradedAt: number | undefined;
  // nodemailer tags each logged line with who said it (tnx: client/server).
  const record = (meta: unknown, ...parts: unknown[]) => {
    const tnx = (meta as { tnx?: string } | undefined)?.tnx;
    const who = tnx === 'client' ? 'C: ' : tnx === 'server' ? 'S: ' : '';
    const text = scrub(format(...parts), secrets);
    if (who === 'C: ' && /^STARTTLS\b/i.test(text)) starttlsAt = since();
    if (/Connection upgraded with STARTTLS/.test(text)) upgradedAt = since();
    transcript.push(who ? text.replace(/^/gm, who) : text);
  };
  const logger = {
    level: () => undefined,
    trace: () => undefined,
    debug: record,
    info: record,
    warn: record,
    error: record,
    fatal: record,
  };
  const timeout = opts.timeoutMs ?? 30_000;
  // SNI carries names only (RFC 6066): an address is never sent as one.
  const name = opts.servername ?? opts.host;
  const servername = isIP(name) ? undefined : name;
  const tlsOptions = { servername, ca: opts.ca, rejectUnauthorized: false };
  let socket: Socket | undefined;
  let smtp: SMTPConnection | undefined;
  try {
    socket = await openSocket(opts.host, opts.port, timeout);
    const connectMs = since();
    let tlsMs: number | undefined;
    if (opts.secure) {
      socket = await startTls(socket, tlsOptions, timeout);
      tlsMs = since() - connectMs;
    }
    smtp = new SMTPConnection({
      host: opts.host,
      port: opts.port,
      connection: socket,
      secure: Boolean(opts.secure),
      secured: Boolean(opts.secure),
      requireTLS: Boolean(opts.starttls),
      servername,
      tls: tlsOptions,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      logger,
      debug: true,
    });
    const conn = smtp;
    const closed = new Promise<never>((_, reject) => {
      conn.once('error', reject);
      conn.once('end', () => reject(Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' })));
    });
    closed.catch(() => undefined);
    await Promise.race([
      new Promise<void>((resolve, reject) => conn.connect((e) => (e ? reject(e) : resolve()))),
      closed,
    ]);
    if (!opts.secure && starttlsAt !== undefined) tlsMs = (upgradedAt ?? since()) - starttlsAt;
    const tlsSocket = conn._socket && 'getCipher' in conn._socket ? (conn._socket as TLSSocket) : undefined;
    const tls = tlsSocket ? tlsInfo(tlsSocket, servername ?? opts.host) : undefined;
    if (tls && !tls.certificate.valid && opts.tlsRejectUnauthorized !== false) {
      throw new SmtpSendError(
        'tls',
        `TLS with ${where} failed: the certificate is not valid for ${tls.certificate.name} ` +
          `(${tls.certificate.chainError ?? tls.certificate.nameError ?? 'untrusted'}).`,
        undefined,
        transcript,
      );
    }
    let authMs: number | undefined;
    if (opts.user) {
      const a = since();
      await Promise.race([
        new Promise<void>((resolve, reject) =>
          conn.login({ user: opts.user!, pass: opts.password ?? '' }, (e) => (e ? reject(e) : resolve())),
        ),
        closed,
      ]);
      authMs = since() - a;
    }
    const to = Array.isArray(opts.to) ? opts.to : [opts.to];
    let messageId = '';
    let message: string | Buffer;
    if (opts.raw) {
      message = opts.raw;
      messageId = /^Message-ID:\s*(<[^>]*>)/im.exec(opts.raw.toString())?.[1] ?? '';
    } else {
      const node = new MailComposer({
        from: opts.from,
        to,
        subject: opts.subject ?? 'Mailwright test message',
        text: opts.text ?? 'This message was sent by Mailwright to test the mail server.',
        headers: opts.headers,
      }).compile();
      messageId = node.messageId();
      message = await node.build();
    }
    const d = since();
    const info = await Promise.race([
      new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) =>
        conn.send({ from: opts.from, to }, message, (e, i) => (e ? reject(e) : resolve(i!))),
      ),
      closed,
    ]);
    const dataMs = since() - d;
    conn.quit();
    return {
      accepted: info.accepted.map(String),
      rejected: info.rejected.map(String),
      response: info.response,
      messageId,
      ...(queueIdOf(info.response) && { queueId: queueIdOf(info.response) }),
      ...(tls && { tls }),
      timings: {
        connectMs,
        ...(tlsMs !== undefined && { tlsMs }),
        ...(authMs !== undefined && { authMs }),
        dataMs,
        totalMs: since(),
      },
      transcript,
    };
  } catch (err) {
    smtp?.close();
    socket?.destroy();
    if (err instanceof SmtpSendError) throw err;
    throw classify(err, where, transcript);
  }
}

function openSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`Connection timeout after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(Object.assign(e, { code: 'ECONNECTION' }));
    });
  });
}

function startTls(
  socket: Socket,
  options: { servername?: string; ca?: SendTestMailOptions['ca']; rejectUnauthorized: boolean },
  timeoutMs: number,
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({ socket, ...options });
    const timer = setTimeout(() => {
      secure.destroy();
      reject(Object.assign(new Error(`TLS handshake timeout after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      secure.removeAllListeners('error');
      resolve(secure);
    });
    secure.once('error', (e) => {
      clearTimeout(timer);
      reject(Object.assign(e, { code: 'ECONNECTION' }));
    });
  });
}

/** The negotiated TLS and the certificate judged against the CAs and the name (never throws). */
function tlsInfo(socket: TLSSocket, name: string): SendTlsInfo {
  const cert = socket.getPeerCertificate();
  const hasCert = Boolean(cert && Object.keys(cert).length > 0);
  // Node folds a name mismatch into authorizationError; the chain is judged on its own here.
  const authError = socket.authorizationError ? String(socket.authorizationError) : undefined;
  const nameError = hasCert ? checkServerIdentity(name, cert)?.message : 'no certificate';
  const chainError = authError && authError !== 'ERR_TLS_CERT_ALTNAME_INVALID' ? authError : undefined;
  return {
    version: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher()?.standardName ?? socket.getCipher()?.name ?? 'unknown',
    certificate: {
      valid: !chainError && !nameError,
      name,
      ...(chainError && { chainError }),
      ...(nameError && { nameError }),
      ...(hasCert && {
        subject: cnOf(cert.subject?.CN),
        issuer: cnOf(cert.issuer?.CN),
        validTo: cert.valid_to,
        fingerprint256: cert.fingerprint256,
      }),
    },
  };
}

const cnOf = (cn: string | string[] | undefined) => (Array.isArray(cn) ? cn.join(', ') : cn);

/** "250 2.0.0 Ok: queued as 4Xyz" (Postfix), "… id=abc" or "… (abc)": the server's id, when named. */
export function queueIdOf(response: string): string | undefined {
  const m =
    /\bqueued as\s+<?([\w.@-]+)>?/i.exec(response) ??
    /\bid[=:]\s*<?([\w.@-]+)>?/i.exec(response) ??
    /\(([\w.-]{6,})\)\s*$/.exec(response);
  return m?.[1];
}

function classify(err: unknown, where: string, transcript: string[]): SmtpSendError {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
  const said = e.response ? ` The server said: "${e.response}".` : '';
  if (e.code === 'EAUTH' || e.responseCode === 535) {
    return new SmtpSendError(
      'auth',
      `${where} rejected the user name or password (${e.responseCode ?? 'AUTH failed'}).${said} ` +
        'Check the password, and that chasquid can read the domain users file (owner chasquid).',
      e.responseCode,
      transcript,
    );
  }
  if (e.code === 'ECONNECTION' || e.code === 'ETIMEDOUT' || e.code === 'ESOCKET' || e.code === 'EDNS') {
    const tls = /certificate|self[- ]signed|SSL|TLS|alert/i.test(e.message ?? '');
    return new SmtpSendError(
      tls ? 'tls' : 'connection',
      tls ? `TLS with ${where} failed: ${e.message}` : `Cannot talk to ${where}: ${e.message}`,
      e.responseCode,
      transcript,
    );
  }
  if (e.code === 'ETLS')
    return new SmtpSendError(
      'tls',
      `STARTTLS with ${where} failed: ${e.message}`,
      e.responseCode,
      transcript,
    );
  if (e.code === 'EENVELOPE') {
    return new SmtpSendError(
      'recipient',
      `${where} refused the envelope: ${e.message}`,
      e.responseCode,
      transcript,
    );
  }
  return new SmtpSendError(
    'protocol',
    `Sending through ${where} failed: ${e.message ?? String(err)}`,
    e.responseCode,
    transcript,
  );
}

/** The password and the base64 forms an AUTH exchange would carry. */
function secretForms(user?: string, password?: string): string[] {
  if (!password) return [];
  const forms = [password, Buffer.from(password).toString('base64')];
  if (user) forms.push(Buffer.from(`\0${user}\0${password}`).toString('base64'));
  return forms.filter((f) => f.length >= 3);
}

function scrub(line: string, secrets: string[]): string {
  let out = line;
  for (const s of secrets) out = out.split(s).join('/* secret */');
  return out;
}
