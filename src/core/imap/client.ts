// Reading a mailbox the way a mail program does: IMAP over TLS (port 993), login, look a message
// up by its Message-ID, fetch it whole. Just what proving "the mail arrived" needs; the password
// is sent only inside the TLS connection and never appears in errors or logs.
import type { Duplex } from 'node:stream';
import { ExpectedError } from '../errors';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { printable } from '../printable';

/** Where and how to open the TLS connection. */
export interface ImapEndpoint {
  /** Address to connect to (an IP or a name). */
  host: string;
  port?: number;
  /** Name expected on the certificate and sent as SNI. */
  servername?: string;
  /** Extra trusted CAs; with `rejectUnauthorized: false` a self-signed certificate is accepted. */
  ca?: string | Buffer | Array<string | Buffer>;
  rejectUnauthorized?: boolean;
  /** An open connection to use instead of connecting to host:port (e.g. a channel through a jump host). */
  socket?: Duplex;
}

export interface ImapOptions extends ImapEndpoint {
  user: string;
  password: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type ImapErrorKind = 'connection' | 'tls' | 'auth' | 'protocol' | 'timeout' | 'cancelled';

export class ImapError extends ExpectedError {
  constructor(
    readonly kind: ImapErrorKind,
    message: string,
  ) {
    super(message);
  }
}

interface TaggedResult {
  status: 'OK' | 'NO' | 'BAD';
  text: string;
  /** Untagged lines, with any literal's bytes attached to the line that announced it. */
  untagged: Array<{ line: string; literal?: Buffer }>;
}

/** One IMAP session: commands run one at a time, each resolving on its tagged reply. */
export class ImapSession {
  private buffer = Buffer.alloc(0);
  private tag = 0;
  private pending?: {
    tag: string;
    untagged: TaggedResult['untagged'];
    resolve: (r: TaggedResult) => void;
    reject: (e: Error) => void;
  };
  private greeting?: (line: string) => void;
  private failed?: Error;

  private constructor(private readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    const fail = (err: Error) => {
      this.failed ??= err;
      this.pending?.reject(this.failed);
      this.pending = undefined;
    };
    socket.on('error', (e) => fail(new ImapError('connection', `IMAP connection failed: ${e.message}`)));
    socket.on('close', () => fail(new ImapError('connection', 'The IMAP server closed the connection.')));
  }

  /** `stop` closes the connection at any stage (a timeout, a cancel). */
  static async open(opts: ImapEndpoint, stop?: AbortSignal): Promise<ImapSession> {
    const port = opts.port ?? 993;
    const socket = tlsConnect({
      ...(opts.socket ? { socket: opts.socket } : { host: opts.host, port }),
      servername: opts.servername,
      ca: opts.ca,
      rejectUnauthorized: opts.rejectUnauthorized ?? true,
    });
    if (stop?.aborted) socket.destroy();
    stop?.addEventListener('abort', () => socket.destroy(), { once: true });
    const session = new ImapSession(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('close', () =>
        reject(new ImapError('connection', `The connection to ${opts.host}:${port} closed.`)),
      );
      socket.once('error', (e) =>
        reject(
          /certificate|self.signed|altnames/i.test(e.message)
            ? new ImapError(
                'tls',
                `The IMAP certificate of ${opts.host}:${port} is not trusted: ${e.message}`,
              )
            : new ImapError('connection', `Cannot reach IMAP at ${opts.host}:${port}: ${e.message}`),
        ),
      );
    });
    const line = await new Promise<string>((resolve, reject) => {
      session.greeting = resolve;
      socket.once('close', () =>
        reject(new ImapError('connection', 'The IMAP server closed the connection.')),
      );
    });
    if (!/^\* (OK|PREAUTH)\b/i.test(line))
      throw new ImapError('protocol', `Unexpected IMAP greeting: ${printable(line)}`);
    return session;
  }

  /** Logs in with AUTHENTICATE PLAIN (the password never travels in a quoted string to escape). */
  async login(user: string, password: string): Promise<void> {
    const token = Buffer.from(`\0${user}\0${password}`, 'utf8').toString('base64');
    const r = await this.command(`AUTHENTICATE PLAIN ${token}`, `AUTHENTICATE PLAIN`);
    if (r.status !== 'OK')
      throw new ImapError('auth', `The IMAP server refused the login of ${user}: ${printable(r.text)}`);
  }

  /** Selects a mailbox; returns its message count. */
  async select(mailbox = 'INBOX'): Promise<number> {
    const r = await this.expectOk(`SELECT ${quote(mailbox)}`);
    const exists = r.untagged.map((u) => /^\* (\d+) EXISTS/i.exec(u.line)?.[1]).find(Boolean);
    return Number(exists ?? 0);
  }

  /** UIDs of the messages whose header `name` contains `value`. */
  async searchHeader(name: string, value: string): Promise<number[]> {
    if (!/^[A-Za-z0-9-]+$/.test(name))
      throw new ImapError('protocol', `Not a header name: ${printable(name)}`);
    const r = await this.expectOk(`UID SEARCH HEADER ${name} ${quote(value)}`);
    const line = r.untagged.find((u) => /^\* SEARCH\b/i.test(u.line))?.line ?? '';
    return line
      .replace(/^\* SEARCH/i, '')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  }

  /** The whole raw message, without setting \Seen. */
  async fetchRaw(uid: number): Promise<Buffer | undefined> {
    const r = await this.expectOk(`UID FETCH ${uid} BODY.PEEK[]`);
    return r.untagged.find((u) => u.literal)?.literal;
  }

  async logout(): Promise<void> {
    try {
      await this.command('LOGOUT');
    } catch {
      // Closing anyway.
    }
    this.socket.destroy();
  }

  close(): void {
    this.socket.destroy();
  }

  /** The certificate the server presented. */
  peerCertificate(): PeerCertificate {
    return this.socket.getPeerCertificate();
  }

  private async expectOk(command: string): Promise<TaggedResult> {
    const r = await this.command(command);
    if (r.status !== 'OK')
      throw new ImapError('protocol', `IMAP ${command.split(' ')[0]} failed: ${printable(r.text)}`);
    return r;
  }

  private command(command: string, shown = command): Promise<TaggedResult> {
    if (this.failed) return Promise.reject(this.failed);
    const tag = `mw${++this.tag}`;
    return new Promise((resolve, reject) => {
      this.pending = {
        tag,
        untagged: [],
        resolve,
        reject: (e) =>
          reject(e instanceof ImapError ? e : new ImapError('protocol', `${shown}: ${e.message}`)),
      };
      this.socket.write(`${tag} ${command}\r\n`);
    });
  }

  /** Splits the stream into lines, keeping `{n}` literals with the line that announced them. */
  private drain(): void {
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end < 0) return;
      let line = this.buffer.subarray(0, end).toString('utf8');
      let consumed = end + 2;
      let literal: Buffer | undefined;
      const announced = /\{(\d+)\}$/.exec(line);
      if (announced) {
        const size = Number(announced[1]);
        if (this.buffer.length < consumed + size) return; // wait for the rest of the literal
        literal = Buffer.from(this.buffer.subarray(consumed, consumed + size));
        consumed += size;
        // The rest of the response line after the literal (e.g. ")").
        const after = this.buffer.indexOf('\r\n', consumed);
        if (after < 0) return;
        line += this.buffer.subarray(consumed, after).toString('utf8');
        consumed = after + 2;
      }
      this.buffer = this.buffer.subarray(consumed);
      this.onLine(line, literal);
    }
  }

  private onLine(line: string, literal?: Buffer): void {
    if (this.greeting) {
      const g = this.greeting;
      this.greeting = undefined;
      g(line);
      return;
    }
    const p = this.pending;
    if (!p) return;
    if (line.startsWith(`${p.tag} `)) {
      this.pending = undefined;
      const [, status = 'BAD', text = ''] = /^\S+ (OK|NO|BAD)\s*(.*)$/i.exec(line) ?? [];
      p.resolve({ status: status.toUpperCase() as TaggedResult['status'], text, untagged: p.untagged });
    } else if (line.startsWith('+')) {
      // A continuation request we never need: cancel the command.
      this.socket.write('*\r\n');
    } else {
      p.untagged.push({ line, ...(literal && { literal }) });
    }
  }
}

/** An IMAP quoted string; refuses what cannot be quoted rather than sending it broken. */
function quote(text: string): string {
  if (/[\r\n\0]/.test(text))
    throw new ImapError('protocol', 'A line break cannot be sent in an IMAP string.');
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * Logs in, looks in INBOX for the newest message whose header `name` contains `value` and
 * returns it whole (or undefined when it is not there yet). One connection per call.
 */
export async function fetchByHeader(
  opts: ImapOptions,
  name: string,
  value: string,
): Promise<Buffer | undefined> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  let session: ImapSession | undefined;
  try {
    session = await ImapSession.open(opts, stop.signal);
    await session.login(opts.user, opts.password);
    await session.select('INBOX');
    const uids = await session.searchHeader(name, value);
    const raw = uids.length > 0 ? await session.fetchRaw(uids[uids.length - 1]!) : undefined;
    await session.logout();
    return raw;
  } catch (e) {
    if (opts.signal?.aborted) throw new ImapError('cancelled', 'Cancelled.');
    if (stop.signal.aborted)
      throw new ImapError(
        'timeout',
        `No IMAP answer from ${opts.host} within ${Math.round(timeoutMs / 1000)} s.`,
      );
    throw e;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    session?.close();
  }
}
