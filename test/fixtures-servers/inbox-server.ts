// The receiving mail server of the test bed's second host (scripts/inbox runs it inside its own
// network namespace): an SMTP server on port 25 offering STARTTLS, standing in for Gmail's MX.
// Like a real MX it adds a Received header naming the client's address and the TLS it used;
// each message is written as a folder the tests on the host read:
//   DIR/messages/<n>/message.eml   the message as stored (with that Received header on top)
//   DIR/messages/<n>/meta.json     envelope, client address and family, EHLO name, TLS, time
// A folder appears complete (renamed into place) before the client gets its 250.
//
//   inbox-server.ts --dir DIR --listen IP[,IP6] [--port 25] [--name mx.inbox.test]
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  startTestReceiver,
  type ReceivedMessage,
  type TestReceiver,
} from '../../src/core/smtp/test-receiver';

export interface InboxMeta {
  mailFrom: string;
  rcptTo: string[];
  remoteAddress: string;
  family: 'IPv4' | 'IPv6';
  helo?: string;
  /** Absent: the client did not use TLS. */
  tls?: { version: string; cipher: string };
  receivedAt: string;
  /** The address the client connected to. */
  localAddress: string;
}

/** A Received header in Gmail's words: "(version=TLS1_3 cipher=… bits=…)". */
export function receivedHeader(m: ReceivedMessage, by: string, id: string): string {
  const ip = m.remoteAddress.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  const helo = m.helo ?? `[${ip}]`;
  const tls = m.tls
    ? ` (version=${m.tls.version.replace(/^TLSv(\d)\.(\d)$/, 'TLS$1_$2')} cipher=${m.tls.cipher})`
    : '';
  const rcpt = m.to.length === 1 ? ` for <${m.to[0]}>` : '';
  return (
    `Received: from ${helo} (${helo} [${ip}])\r\n` +
    `        by ${by} with ${m.tls ? 'ESMTPS' : 'ESMTP'} id ${id}${rcpt}${tls};\r\n` +
    `        ${m.receivedAt.toUTCString().replace('GMT', '+0000')}\r\n`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      listen: { type: 'string' },
      port: { type: 'string', default: '25' },
      name: { type: 'string', default: 'mx.inbox.test' },
    },
    strict: true,
  });
  if (!values.dir || !values.listen) throw new Error('usage: inbox-server.ts --dir DIR --listen IP[,IP6]');
  const dir = values.dir;
  const name = values.name;
  const messages = join(dir, 'messages');
  await mkdir(messages, { recursive: true });
  let seq = 0;
  const store = async (m: ReceivedMessage, localAddress: string) => {
    const n = String(++seq).padStart(5, '0');
    const id = randomBytes(6).toString('hex');
    const tmp = join(messages, `.${n}-${id}`);
    await mkdir(tmp);
    const ip = m.remoteAddress.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
    const meta: InboxMeta = {
      mailFrom: m.from,
      rcptTo: m.to,
      remoteAddress: ip,
      family: isIPv6(ip) ? 'IPv6' : 'IPv4',
      ...(m.helo && { helo: m.helo }),
      ...(m.tls && { tls: m.tls }),
      receivedAt: m.receivedAt.toISOString(),
      localAddress,
    };
    await writeFile(
      join(tmp, 'message.eml'),
      Buffer.concat([Buffer.from(receivedHeader(m, name, id)), m.raw]),
    );
    await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
    await rename(tmp, join(messages, n));
  };
  const servers: TestReceiver[] = [];
  for (const address of values.listen.split(',').filter(Boolean)) {
    servers.push(
      await startTestReceiver({
        host: address,
        port: Number(values.port),
        tlsName: name,
        name,
        banner: 'ready',
        onMessage: (m) => store(m, address),
      }),
    );
  }
  const stop = () => void Promise.all(servers.map((s) => s.close())).then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await writeFile(join(dir, 'ready'), `${process.pid}\n`);
  process.stderr.write(`inbox-server: ${name} listening on ${values.listen} port ${values.port}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`inbox-server: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
