// Reads SMTP replies (RFC 5321 §4.2: "250-..." continuation lines end with "250 ...") from a socket.
import type { Duplex } from 'node:stream';

export interface SmtpReply {
  code: number;
  lines: string[];
}

export class ReplyReader {
  private buffer = '';
  private lines: string[] = [];
  private waiting?: { resolve: (r: SmtpReply) => void; reject: (e: Error) => void };
  private failure?: Error;
  private readonly onData = (chunk: Buffer) => this.push(chunk.toString('latin1'));
  private readonly onEnd = () => this.fail(new Error('closed'));

  constructor(private readonly socket: Duplex) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
  }

  /** Stops reading (before the socket is handed to TLS). */
  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
  }

  fail(err: Error): void {
    this.failure ??= err;
    this.waiting?.reject(err);
    this.waiting = undefined;
  }

  next(): Promise<SmtpReply> {
    const ready = this.take();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  private push(text: string): void {
    this.buffer += text;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      this.lines.push(this.buffer.slice(0, nl).replace(/\r$/, ''));
      this.buffer = this.buffer.slice(nl + 1);
    }
    if (this.waiting) {
      const reply = this.take();
      if (reply) {
        const w = this.waiting;
        this.waiting = undefined;
        w.resolve(reply);
      }
    }
  }

  private take(): SmtpReply | undefined {
    const end = this.lines.findIndex((l) => !/^\d{3}-/.test(l));
    if (end < 0) return undefined;
    const lines = this.lines.splice(0, end + 1);
    const code = Number(lines[end]?.slice(0, 3));
    return { code: Number.isFinite(code) ? code : 0, lines: lines.map((l) => l.slice(4)) };
  }
}
