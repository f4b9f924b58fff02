// The stand-in for Gmail as a second host (scripts/inbox): its own network namespace linked to a
// sandbox VPS, a real SMTP server with STARTTLS on port 25, each message written with what the
// server saw (envelope, client address, TLS) into a folder read here.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { DeliveredMessage, FetchDelivered } from '../../src/core/mailtest';
import type { InboxMeta } from '../fixtures-servers/inbox-server';
import type { SandboxInstance } from './sandbox-instances';

const run = promisify(execFile);
const SCRIPT = resolve(__dirname, '../../scripts/inbox');

export interface InboxHost {
  name: string;
  peer: string;
  netns: string;
  mxName: string;
  ipv4: string;
  /** null: started without IPv6 (the sandbox has no IPv6 route to it). */
  ipv6: string | null;
  /** The VPS's address on the inbox's side: its main IPv4, and its IPv6 on the link (publish it as AAAA). */
  vpsIpv4: string;
  vpsIpv6: string | null;
  messagesDir: string;
}

export interface InboxMessage extends DeliveredMessage {
  meta: InboxMeta;
}

/** The inbox name for a sandbox (scripts/test-integration stops it by this name too). */
export function inboxName(instance: SandboxInstance): string {
  return `${instance.name}-in`.slice(0, 32).replace(/-+$/, '');
}

export async function startInbox(instance: SandboxInstance, opts: { ipv6: boolean }): Promise<InboxHost> {
  const name = inboxName(instance);
  await run('bash', [SCRIPT, 'down', name]); // a leftover of a killed run
  const { stdout } = await run(
    'bash',
    [SCRIPT, 'up', name, '--peer', instance.name, ...(opts.ipv6 ? [] : ['--no-ipv6'])],
    { timeout: 60_000 },
  );
  const path = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(await readFile(path, 'utf8')) as InboxHost;
}

export async function stopInbox(inbox: Pick<InboxHost, 'name'>): Promise<void> {
  await run('bash', [SCRIPT, 'down', inbox.name]);
}

/** Every message the inbox holds, oldest first. */
export async function inboxMessages(inbox: InboxHost): Promise<InboxMessage[]> {
  let names: string[];
  try {
    names = (await readdir(inbox.messagesDir)).filter((n) => /^\d+$/.test(n)).sort();
  } catch {
    return [];
  }
  return Promise.all(
    names.map(async (n) => {
      const dir = join(inbox.messagesDir, n);
      const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as InboxMeta;
      return {
        raw: await readFile(join(dir, 'message.eml')),
        envelopeFrom: meta.mailFrom,
        envelopeTo: meta.rcptTo,
        remoteAddress: meta.remoteAddress,
        ...(meta.helo && { helo: meta.helo }),
        tls: meta.tls ?? null,
        receivedAt: new Date(meta.receivedAt),
        meta,
      };
    }),
  );
}

function headerSection(raw: Buffer): string {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

/** The test mail's fetchDelivered over the inbox's folder: the copy whose header names the token. */
export function inboxFetcher(inbox: InboxHost): FetchDelivered {
  return async (token) => (await inboxMessages(inbox)).find((m) => headerSection(m.raw).includes(token));
}
