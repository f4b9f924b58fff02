// A real SMTP server for tests, standing in for Gmail: it accepts mail (STARTTLS offered with
// a fresh self-signed certificate unless one is given), keeps every raw message
// in memory and lets a test wait for one. Built on smtp-server (from the nodemailer project),
// a devDependency: import this module from tests only; it is not re-exported by ./index.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMessage {
  from: string;
  to: string[];
  raw: Buffer;
  remoteAddress: string;
  /** The client used TLS (STARTTLS or implicit). */
  secure: boolean;
  user?: string;
  /** The negotiated TLS, when the client used it: "TLSv1.3", "TLS_AES_256_GCM_SHA384". */
  tls?: { version: string; cipher: string };
  /** The name the client gave in EHLO/HELO. */
  helo?: string;
  receivedAt: Date;
}

export interface TestReceiverOptions {
  /** 0 or absent: a free port. */
  port?: number;
  /** Loopback by default; a sandbox network's host-side address when the sandbox must reach it. */
  host?: string;
  /** Implicit TLS from the first byte (like port 465). */
  secure?: boolean;
  key?: string | Buffer;
  cert?: string | Buffer;
  /** Name on the generated certificate (when key/cert are not given). */
  tlsName?: string;
  /** When given, AUTH is required (only after TLS, like chasquid) and checked against these. */
  users?: Record<string, string>;
  banner?: string;
  /** The server's own name in its greeting and EHLO reply (default: this machine's host name). */
  name?: string;
  /** Called with each message before the 250 reply (a failure answers 451: try again later). */
  onMessage?: (message: ReceivedMessage) => void | Promise<void>;
}

export interface TestReceiver {
  host: string;
  port: number;
  messages: ReceivedMessage[];
  waitFor(predicate: (m: ReceivedMessage) => boolean, timeoutMs?: number): Promise<ReceivedMessage>;
  close(): Promise<void>;
}

export async function startTestReceiver(opts: TestReceiverOptions = {}): Promise<TestReceiver> {
  const host = opts.host ?? '127.0.0.1';
  const messages: ReceivedMessage[] = [];
  const waiters = new Set<() => void>();
  const users = opts.users;

  const { key, cert } = opts.key && opts.cert ? opts : await selfSigned(opts.tlsName ?? 'mx.example.test');
  const options: SMTPServerOptions = {
    secure: Boolean(opts.secure),
    key,
    cert,
    banner: opts.banner ?? 'Mailwright test receiver',
    ...(opts.name && { name: opts.name }),
    logger: false,
    authOptional: !users,
    disabledCommands: users ? [] : ['AUTH'],
    onAuth(auth, _session, callback) {
      if (users && auth.username && users[auth.username] === auth.password) {
        callback(null, { user: auth.username });
      } else {
        callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', callback);
      stream.on('end', () => {
        const envelope = session.envelope;
        const cipher = session.tlsOptions as unknown as { name?: string; version?: string } | false;
        const message: ReceivedMessage = {
          from: envelope.mailFrom ? envelope.mailFrom.address : '',
          to: envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          remoteAddress: session.remoteAddress,
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : undefined,
          ...(cipher && cipher.version && { tls: { version: cipher.version, cipher: cipher.name ?? '' } }),
          ...(session.hostNameAppearsAs && { helo: session.hostNameAppearsAs }),
          receivedAt: new Date(),
        };
        Promise.resolve(opts.onMessage?.(message)).then(
          () => {
            messages.push(message);
            waiters.forEach((w) => w());
            callback(null, 'OK: received by the test receiver');
          },
          (e: unknown) =>
            callback(Object.assign(new Error(`Not stored: ${String(e)}`), { responseCode: 451 })),
        );
      });
    },
  };
  const server = new SMTPServer(options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined); // a client's broken connection must not crash the test run
  const port = (server.server.address() as AddressInfo).port;

  return {
    host,
    port,
    messages,
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(predicate);
          if (!found) return false;
          cleanup();
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`No matching message within ${timeoutMs} ms (${messages.length} received).`));
        }, timeoutMs);
        const waiter = () => void check();
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        waiters.add(waiter);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * smtp-server's bundled default certificate is refused by OpenSSL 3's default security level
 * (handshake failure), so a throwaway P-256 certificate is made with the system openssl.
 */
async function selfSigned(name: string): Promise<{ key: Buffer; cert: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'mw-receiver-'));
  try {
    const { execa } = await import('execa');
    const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    await execa('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=DNS:${name}`,
    ]);
    return { key: await readFile(keyFile), cert: await readFile(certFile) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
