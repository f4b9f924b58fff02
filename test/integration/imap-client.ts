// The smallest IMAP client the mailbox tests need, over node:tls (IMAPS, port 993): LOGIN,
// SELECT, FETCH of whole messages, LOGOUT. Tagged commands run one at a time.
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface ImapReply {
  /** "OK", "NO" or "BAD" of the tagged completion. */
  status: string;
  /** The tagged line itself, e.g. "a2 NO [AUTHENTICATIONFAILED] Authentication failed." */
  line: string;
  /** Untagged lines (literals replaced by their text in `literals`). */
  untagged: string[];
  literals: Buffer[];
}

export class ImapClient {
  private buffer = Buffer.alloc(0);
  private waiting?: () => void;
  private closed?: Error;
  private counter = 0;

  private constructor(private readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
    const fail = (e: Error) => {
      this.closed = e;
      this.waiting?.();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the IMAP server closed the connection')));
  }

  static async connect(
    host: string,
    port: number,
    servername: string,
    timeoutMs = 30_000,
  ): Promise<ImapClient> {
    const socket = tlsConnect({ host, port, servername, rejectUnauthorized: false });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`IMAP: no answer within ${timeoutMs} ms`)));
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const client = new ImapClient(socket);
    const greeting = await client.readLine();
    if (!greeting.startsWith('* OK')) throw new Error(`IMAP greeting: ${greeting}`);
    return client;
  }

  /** The server's certificate, for name checks. */
  peerCertificate() {
    return this.socket.getPeerCertificate();
  }

  private async more(): Promise<void> {
    if (this.closed) throw this.closed;
    await new Promise<void>((resolve) => (this.waiting = resolve));
    this.waiting = undefined;
  }

  private async readLine(): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end >= 0) {
        const line = this.buffer.subarray(0, end).toString('utf8');
        this.buffer = this.buffer.subarray(end + 2);
        return line;
      }
      await this.more();
    }
  }

  private async readBytes(n: number): Promise<Buffer> {
    while (this.buffer.length < n) await this.more();
    const bytes = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return Buffer.from(bytes);
  }

  async command(text: string): Promise<ImapReply> {
    const tag = `a${++this.counter}`;
    this.socket.write(`${tag} ${text}\r\n`);
    const reply: ImapReply = { status: '', line: '', untagged: [], literals: [] };
    for (;;) {
      let line = await this.readLine();
      // A line ending in {n} is followed by n bytes of literal, then the rest of the line.
      for (let m = /\{(\d+)\}$/.exec(line); m; m = /\{(\d+)\}$/.exec(line)) {
        reply.literals.push(await this.readBytes(Number(m[1])));
        line = `${line.slice(0, m.index)}<literal> ${await this.readLine()}`;
      }
      if (line.startsWith(`${tag} `)) {
        reply.line = line;
        reply.status = line.split(' ')[1] ?? '';
        return reply;
      }
      reply.untagged.push(line);
    }
  }

  login(user: string, password: string): Promise<ImapReply> {
    return this.command(`LOGIN ${quoted(user)} ${quoted(password)}`);
  }

  /** Every message of a mailbox, whole (BODY.PEEK[] leaves them unread). */
  async fetchAll(mailbox = 'INBOX'): Promise<Buffer[]> {
    const selected = await this.command(`SELECT ${quoted(mailbox)}`);
    if (selected.status !== 'OK') throw new Error(`SELECT ${mailbox}: ${selected.line}`);
    const exists = selected.untagged.map((l) => /^\* (\d+) EXISTS/.exec(l)).find(Boolean);
    if (!exists || exists[1] === '0') return [];
    const fetched = await this.command('FETCH 1:* (BODY.PEEK[])');
    if (fetched.status !== 'OK') throw new Error(`FETCH: ${fetched.line}`);
    return fetched.literals;
  }

  async logout(): Promise<void> {
    await this.command('LOGOUT').catch(() => undefined);
    this.socket.destroy();
  }
}

function quoted(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
