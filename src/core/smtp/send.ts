// Seed step 18: send a test mail through the new server with nodemailer (what the seed's
// sendmail.coffee uses), reporting what the server said and telling auth failures apart.
import { format } from 'node:util';
import nodemailer from 'nodemailer';

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
  /** A complete RFC 5322 message to send instead of building one (e.g. pre-signed). */
  raw?: string | Buffer;
  servername?: string;
  tlsRejectUnauthorized?: boolean;
  ca?: string | Buffer | Array<string | Buffer>;
  timeoutMs?: number;
}

export interface SendTestMailResult {
  accepted: string[];
  rejected: string[];
  /** The server's final reply to DATA, e.g. "250 2.0.0 OK: queued". */
  response: string;
  messageId: string;
  /** SMTP conversation (S:/C: lines), secrets scrubbed. */
  transcript: string[];
}

export type SendErrorKind = 'auth' | 'connection' | 'tls' | 'recipient' | 'protocol';

export class SmtpSendError extends Error {
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
  // nodemailer tags each logged line with who said it (tnx: client/server).
  const record = (meta: unknown, ...parts: unknown[]) => {
    const tnx = (meta as { tnx?: string } | undefined)?.tnx;
    const who = tnx === 'client' ? 'C: ' : tnx === 'server' ? 'S: ' : '';
    const text = scrub(format(...parts), secrets);
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
  const transport = nodemailer.createTransport({
    host: opts.host,
    port: opts.port,
    secure: Boolean(opts.secure),
    requireTLS: Boolean(opts.starttls),
    auth: opts.user ? { user: opts.user, pass: opts.password ?? '' } : undefined,
    tls: { servername: opts.servername, rejectUnauthorized: opts.tlsRejectUnauthorized ?? true, ca: opts.ca },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    logger,
    debug: true,
  });
  try {
    const info = await transport.sendMail(
      opts.raw
        ? { envelope: { from: opts.from, to: opts.to }, raw: opts.raw }
        : {
            from: opts.from,
            to: opts.to,
            subject: opts.subject ?? 'Mailwright test message',
            text: opts.text ?? 'This message was sent by Mailwright to test the mail server.',
          },
    );
    return {
      accepted: info.accepted.map(String),
      rejected: info.rejected.map(String),
      response: info.response,
      messageId: info.messageId,
      transcript,
    };
  } catch (err) {
    throw classify(err, `${opts.host}:${opts.port}`, transcript);
  } finally {
    transport.close();
  }
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
