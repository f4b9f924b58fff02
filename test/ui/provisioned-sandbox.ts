// Provisions the UI tests' sandbox with the core engine directly (no UI), so the tree,
// config editing and log tests start from a running chasquid. Safe to run again: an
// already provisioned server gives an empty plan.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import type { HostConfig } from '../../src/core/config';
import { gatherFacts } from '../../src/core/facts';
import { applyPlan, planHost } from '../../src/core/plan';
import { userPasswordKey } from '../../src/core/plan/actions/domains';
import { certDir } from '../../src/core/chasquid/paths';
import {
  directSsh,
  KnownHosts,
  MemorySecretStore,
  RemoteConnection,
  shellCommand,
} from '../../src/core/remote';

export const UI_DOMAIN = 'example.test';
export const UI_MAIL_HOST = 'smtp.example.test';
export const UI_USER = 'alice';
export const UI_PASSWORD = 'correct horse battery staple';

export interface SandboxJson {
  name: string;
  ipv4: string;
  port: number;
  rootKey: string;
  knownHostsFile: string;
}

export function readSandbox(path: string): SandboxJson {
  return JSON.parse(readFileSync(path, 'utf8')) as SandboxJson;
}

export function uiHost(vps: SandboxJson, name = 'sandbox'): HostConfig {
  return {
    name,
    ssh: { user: 'root', host: vps.ipv4, port: vps.port },
    auth: 'key',
    identityFile: vps.rootKey,
    mailHost: UI_MAIL_HOST,
    domains: [
      {
        name: UI_DOMAIN,
        users: [UI_USER],
        aliases: { postmaster: [UI_USER], [UI_USER]: ['alice@elsewhere.test'] },
        mailboxes: false,
        dkim: { algorithms: ['rsa2048'], selector: 'auto' },
        spf: { include: [] },
      },
    ],
  } as HostConfig;
}

/** The mailwright.yaml matching uiHost(). */
export function uiYaml(vps: SandboxJson, name = 'sandbox'): string {
  return [
    'version: 1',
    'hosts:',
    `  - name: ${name}`,
    `    ssh: root@${vps.ipv4}:${vps.port}`,
    `    identityFile: ${vps.rootKey}`,
    `    mailHost: ${UI_MAIL_HOST}`,
    '    domains:',
    `      - name: ${UI_DOMAIN}`,
    `        users: [${UI_USER}]`,
    '        aliases:',
    `          postmaster: ${UI_USER}`,
    `          ${UI_USER}: alice@elsewhere.test`,
    '',
  ].join('\n');
}

export function rootConnection(vps: SandboxJson): RemoteConnection {
  return new RemoteConnection({
    name: vps.name,
    ssh: directSsh({ user: 'root', host: vps.ipv4, port: vps.port }, vps.rootKey, 'key'),
    knownHosts: new KnownHosts(
      [vps.knownHostsFile],
      join(mkdtempSync(join(tmpdir(), 'mw-kh-')), 'known_hosts'),
    ),
    secrets: new MemorySecretStore(),
    confirmUnknownHostKey: async () => false,
  });
}

/**
 * Removes the mail host's certificate from the sandbox, as on a server never provisioned: the
 * next plan makes the self-signed bootstrap certificate (and, with acme:, gets a trusted one),
 * whatever certificate an earlier test left there.
 */
export async function removeMailHostCertificate(vps: SandboxJson): Promise<void> {
  const conn = rootConnection(vps);
  try {
    await conn.exec(shellCommand(['rm', '-rf', '--', certDir(UI_MAIL_HOST)]));
  } finally {
    conn.close();
  }
}

/**
 * Plans and applies until the server matches uiHost() (or the host given, whose other users'
 * passwords are in `passwords`, by address); throws with the failing step.
 */
export async function provisionSandbox(
  vps: SandboxJson,
  log: (line: string) => void = () => {},
  host: HostConfig = uiHost(vps),
  passwords: Record<string, string> = {},
): Promise<void> {
  const conn = rootConnection(vps);
  try {
    const secrets = new MemorySecretStore();
    await secrets.set(userPasswordKey(UI_USER, UI_DOMAIN), UI_PASSWORD);
    for (const [address, password] of Object.entries(passwords)) {
      const [user, domain] = address.split('@') as [string, string];
      await secrets.set(userPasswordKey(user, domain), password);
    }
    const plan = planHost(host, await gatherFacts(conn));
    if (plan.actions.length === 0) return;
    const result = await applyPlan(plan, {
      conn,
      host,
      secrets,
      regather: () => gatherFacts(conn),
      onEvent: (e) => log(JSON.stringify(e).slice(0, 200)),
    });
    if (!result.ok) throw new Error(`provisioning the sandbox failed: ${JSON.stringify(result.failed)}`);
  } finally {
    conn.close();
  }
}

// `node --import tsx test/ui/provisioned-sandbox.ts <instance.json>`: provision by hand.
if (process.argv[1]?.endsWith('provisioned-sandbox.ts') && process.argv[2]) {
  provisionSandbox(readSandbox(process.argv[2]), console.log).then(
    () => console.log('provisioned'),
    (e: Error) => {
      console.error(e.message);
      process.exit(1);
    },
  );
}

/**
 * A real message to rcpt, submitted on 465 as alice (the envelope sender may be any address);
 * resolves when chasquid accepted it. Not from outside on port 25: the sandbox's addresses all
 * forward, and Mailwright's server refuses forwarding for a sender that does not pass SPF —
 * the UI test bed has no DNS for the sender's domain.
 */
export async function sendMail(vps: SandboxJson, from: string, rcpt: string, subject: string): Promise<void> {
  const transport = createTransport({
    host: vps.ipv4,
    port: 465,
    secure: true,
    name: 'client.elsewhere.test',
    auth: { user: `${UI_USER}@${UI_DOMAIN}`, pass: UI_PASSWORD },
    tls: { rejectUnauthorized: false, servername: UI_MAIL_HOST },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  try {
    const info = await transport.sendMail({
      envelope: { from, to: [rcpt] },
      from,
      to: rcpt,
      subject,
      text: `${subject}\n`,
    });
    assert.deepEqual(info.accepted, [rcpt], `chasquid did not accept ${rcpt}: ${JSON.stringify(info)}`);
  } finally {
    transport.close();
  }
}
