// Checks the mail ports from where Mailwright runs, the way a mail client sees them:
// a 220 banner naming the mail host, STARTTLS on 25 and 587, TLS on 465, and a certificate
// for the mail host (self-signed is fine here: ACME comes later). A server behind jump hosts is
// checked from the last jump host instead, through a channel of the SSH connection.
import { isIP, connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { ImapSession } from '../../imap';
import { SMTP_PORT, SUBMISSION_PORT, SUBMISSION_TLS_PORT } from '../../ports';
import type { ApplyContext } from '../types';

const TIMEOUT_MS = 10_000;

/** Reads complete SMTP replies ("250-…" continuation lines up to "250 …"). */
class ReplyReader {
  private buffer = '';
  private waiting?: { resolve: (lines: string[]) => void; reject: (e: Error) => void };
  private failure?: Error;

  constructor(private socket: Duplex) {
    this.attach(socket);
  }

  attach(socket: Duplex): void {
    this.socket = socket;
    // Decoded here rather than with setEncoding: a stream that is not a plain TCP socket (an SSH
    // channel) cannot be handed to TLS for STARTTLS once it has a decoder set.
    const decoder = new StringDecoder('utf8');
    socket.on('data', (chunk: Buffer) => {
      this.buffer += decoder.write(chunk);
      this.deliver();
    });
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.waiting?.reject(e);
    this.waiting = undefined;
  }

  private deliver(): void {
    if (!this.waiting) return;
    const lines = this.buffer.split('\r\n');
    const end = lines.findIndex((l) => /^\d{3}( |$)/.test(l));
    if (end < 0 || end === lines.length - 1) return;
    this.buffer = lines.slice(end + 1).join('\r\n');
    const w = this.waiting;
    this.waiting = undefined;
    w.resolve(lines.slice(0, end + 1));
  }

  next(): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.deliver();
      if (this.waiting && this.failure) this.fail(this.failure);
    });
  }

  async command(line: string): Promise<string[]> {
    this.socket.write(`${line}\r\n`);
    return this.next();
  }
}

export function certificateNames(cert: PeerCertificate): string[] {
  const sans = (cert.subjectaltname ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  const cn = cert.subject?.CN;
  return [...sans, ...(typeof cn === 'string' ? [cn.toLowerCase()] : [])];
}

function checkCertificate(cert: PeerCertificate, port: number, mailHost: string): void {
  const names = certificateNames(cert);
  if (!names.includes(mailHost.toLowerCase())) {
    throw new Error(`port ${port}: the certificate names ${names.join(', ') || 'nothing'}, not ${mailHost}`);
  }
}

function checkBanner(lines: string[], port: number, mailHost: string): void {
  const first = lines[0] ?? '';
  if (!first.startsWith('220') || !first.toLowerCase().includes(mailHost.toLowerCase())) {
    throw new Error(`port ${port} greets with "${first}", expected a 220 banner naming ${mailHost}`);
  }
}

function opened<T extends Duplex>(socket: T, event: 'connect' | 'secureConnect'): Promise<T> {
  return new Promise((resolve, reject) => {
    socket.once(event, () => resolve(socket));
    socket.once('error', reject);
  });
}

async function withTimeout<T>(port: number, work: (track: (s: Duplex) => void) => Promise<T>): Promise<T> {
  const sockets: Duplex[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`port ${port} did not answer within ${TIMEOUT_MS / 1000} s`)),
      TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([work((s) => sockets.push(s)), timeout]);
  } finally {
    clearTimeout(timer);
    sockets.forEach((s) => s.destroy());
  }
}

/** Opens a TCP connection from where the probes run. */
export type Dial = (host: string, port: number) => Promise<Duplex>;

/** Port 25 or 587: banner, EHLO offering STARTTLS, then the TLS handshake. */
export function probeStartTls(address: string, port: number, mailHost: string, dial?: Dial): Promise<void> {
  return withTimeout(port, async (track) => {
    const plain = dial ? await dial(address, port) : netConnect({ host: address, port });
    track(plain);
    if (!dial) await opened(plain, 'connect');
    const reader = new ReplyReader(plain);
    checkBanner(await reader.next(), port, mailHost);
    const ehlo = await reader.command('EHLO mailwright.invalid');
    if (!ehlo.some((l) => /^250[- ]STARTTLS\b/i.test(l))) {
      throw new Error(`port ${port} does not offer STARTTLS (EHLO: ${ehlo.join(' | ')})`);
    }
    const reply = await reader.command('STARTTLS');
    if (!reply[0]?.startsWith('220')) throw new Error(`port ${port}: STARTTLS answered "${reply[0]}"`);
    plain.removeAllListeners('data');
    const secure = tlsConnect({ socket: plain, servername: mailHost, rejectUnauthorized: false });
    track(secure);
    await opened(secure, 'secureConnect');
    checkCertificate(secure.getPeerCertificate(), port, mailHost);
    reader.attach(secure);
    await reader.command('QUIT').catch(() => undefined);
  });
}

/** Port 465: TLS from the first byte, then the banner. */
export function probeImplicitTls(
  address: string,
  port: number,
  mailHost: string,
  dial?: Dial,
): Promise<void> {
  return withTimeout(port, async (track) => {
    const target = dial ? { socket: await dial(address, port) } : { host: address, port };
    const secure = tlsConnect({ ...target, servername: mailHost, rejectUnauthorized: false });
    track(secure);
    await opened(secure, 'secureConnect');
    checkCertificate(secure.getPeerCertificate(), port, mailHost);
    const reader = new ReplyReader(secure);
    checkBanner(await reader.next(), port, mailHost);
    await reader.command('QUIT').catch(() => undefined);
  });
}

/** Every mail port; one error listing each port that failed. */
export async function probeMailPorts(address: string, mailHost: string, origin?: ProbeOrigin): Promise<void> {
  const results = await Promise.allSettled([
    probeStartTls(address, SMTP_PORT, mailHost, origin?.dial),
    probeStartTls(address, SUBMISSION_PORT, mailHost, origin?.dial),
    probeImplicitTls(address, SUBMISSION_TLS_PORT, mailHost, origin?.dial),
  ]);
  const problems = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (problems.length > 0) throw new Error(`${seenFrom(origin)}, ${address}: ${problems.join('; ')}`);
}

/** Where the probes run: this machine, or (for a server behind jump hosts) the last jump host. */
export interface ProbeOrigin {
  from: string;
  dial: Dial;
}

export function probeOrigin(ctx: ApplyContext): ProbeOrigin | undefined {
  return ctx.conn.jumpDialer;
}

export function seenFrom(origin: ProbeOrigin | undefined): string {
  return origin ? `Seen from ${origin.from}` : 'Seen from here';
}

/** IMAPS (993): TLS from the first byte with the mail host's certificate, then the "* OK" greeting. */
export function probeImaps(address: string, port: number, mailHost: string, dial?: Dial): Promise<void> {
  const stop = new AbortController();
  return withTimeout(port, async () => {
    const session = await ImapSession.open(
      {
        host: address,
        port,
        servername: mailHost,
        rejectUnauthorized: false,
        ...(dial && { socket: await dial(address, port) }),
      },
      stop.signal,
    );
    try {
      checkCertificate(session.peerCertificate(), port, mailHost);
    } finally {
      await session.logout();
    }
  }).finally(() => stop.abort());
}

/** Where to reach the server from here: the SSH address when it is an IP, else its first IPv4. */
export function probeAddress(ctx: ApplyContext): string {
  const ssh = ctx.host.ssh.host;
  if (isIP(ssh) || ctx.facts.addresses.ipv4.length === 0) return ssh;
  return ctx.facts.addresses.ipv4[0]!;
}
