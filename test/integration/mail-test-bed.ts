// The test bed of the test mail, shared by mail-test.test.ts and bench/mailtest.ts: a sandbox VPS
// provisioned forward-only (every address ends at inbox.test), knot serving example.test with the
// records the server needs and inbox.test pointing at the inbox host (scripts/inbox), and
// runMailTest's options to send through the VPS and read the copy from the inbox host.
import type { HostConfig } from '../../src/core/config';
import type { DkimKeyType } from '../../src/core/dkim';
import { installedDkimKeys } from '../../src/core/dkim';
import { expectedRecords } from '../../src/core/dns/expected';
import { resolverLookup } from '../../src/core/dns/lookup';
import { gatherFacts } from '../../src/core/facts';
import type { MailTestOptions } from '../../src/core/mailtest';
import { chasquidPathOf, type ApplyEvent } from '../../src/core/plan';
import { setUserPassword, userPasswordKey } from '../../src/core/plan/actions/domains';
import { MemorySecretStore, shellCommand, type RemoteConnection } from '../../src/core/remote';
import { INBOX_ZONE, startTestDns, type TestDns } from './dns-fixture';
import { inboxFetcher, startInbox, stopInbox, type InboxHost } from './inbox-fixture';
import { connect, desiredHost, type SandboxInstance } from './sandbox-instances';
import { applyDesired, assertApplied } from './apply-fixture';

export const DOMAIN = 'example.test';
export const MAIL_HOST = 'smtp.example.test';
export const USER = 'alice';
export const ADDRESS = `${USER}@${DOMAIN}`;
// Fixed: applying again keeps an existing user's password, so a rerun must use the same one.
export const PASSWORD = 'mail-test: correct horse battery staple';

export function mailTestHost(instance: SandboxInstance): HostConfig {
  return desiredHost(
    instance,
    {
      name: DOMAIN,
      users: [USER],
      aliases: {
        postmaster: [USER],
        [USER]: [`someone@${INBOX_ZONE}`],
        '*': [`catchall@${INBOX_ZONE}`],
      },
      dkim: { algorithms: ['rsa2048', 'ed25519'], selector: 'auto' },
    },
    MAIL_HOST,
  );
}

export interface MailTestBed {
  instance: SandboxInstance;
  host: HostConfig;
  conn: RemoteConnection;
  dns: TestDns;
  inbox: InboxHost;
  /** Replaces the inbox host (with or without IPv6) and points DNS at it. */
  restartInbox(opts: { ipv6: boolean }): Promise<InboxHost>;
  /** runMailTest's options: 465 as alice, the copy read from the inbox host. */
  options(to: string, extra?: Partial<MailTestOptions>): MailTestOptions;
  close(): Promise<void>;
}

/**
 * Points mx.inbox.test at the inbox's addresses (no AAAA without IPv6), and adds the VPS's IPv6
 * on that link to the mail host's AAAA records, as its provider would (SPF's mx then covers it).
 */
async function publishInbox(dns: TestDns, box: InboxHost): Promise<void> {
  await dns.update(INBOX_ZONE, [
    `update delete mx.${INBOX_ZONE}. A`,
    `update delete mx.${INBOX_ZONE}. AAAA`,
    `update add mx.${INBOX_ZONE}. 5 A ${box.ipv4}`,
    ...(box.ipv6 ? [`update add mx.${INBOX_ZONE}. 5 AAAA ${box.ipv6}`] : []),
  ]);
  if (box.vpsIpv6) await dns.update(DOMAIN, [`update add ${MAIL_HOST}. 5 AAAA ${box.vpsIpv6}`]);
}

/** Inbox host, DNS and an SSH connection; nothing is provisioned yet (see provisionMailTestHost). */
export async function startMailTestBed(instance: SandboxInstance): Promise<MailTestBed> {
  let inbox = await startInbox(instance, { ipv6: true });
  let dns: TestDns | undefined;
  let conn: RemoteConnection | undefined;
  try {
    dns = await startTestDns(instance, {
      mailHost: MAIL_HOST,
      inbox: { ipv4: inbox.ipv4, ipv6: inbox.ipv6 },
    });
    await publishInbox(dns, inbox);
    conn = connect(instance);
    await conn.connect();
  } catch (e) {
    conn?.close();
    await dns?.stop();
    await stopInbox(inbox);
    throw e;
  }
  const resolver = resolverLookup([`${instance.hostIpv4}:53`], { timeoutMs: 2000 });
  const bed: MailTestBed = {
    instance,
    host: mailTestHost(instance),
    conn,
    dns,
    inbox,
    async restartInbox(opts) {
      await stopInbox(inbox);
      inbox = await startInbox(instance, opts);
      bed.inbox = inbox;
      await publishInbox(dns!, inbox);
      return inbox;
    },
    options: (to, extra = {}) => ({
      submission: {
        host: instance.ipv4,
        port: 465,
        secure: true,
        user: ADDRESS,
        password: PASSWORD,
        from: ADDRESS,
        to,
        servername: MAIL_HOST,
        // The bootstrap certificate is self-signed until ACME replaces it: reported, not fatal.
        tlsRejectUnauthorized: false,
        timeoutMs: 30_000,
      },
      fetchDelivered: inboxFetcher(inbox),
      deliveryTimeoutMs: 90_000,
      resolver,
      ...extra,
    }),
    async close() {
      conn!.close();
      await dns!.stop();
      await stopInbox(inbox);
    },
  };
  return bed;
}

/**
 * Provisions the forward-only domain with plan/apply and publishes its SPF, DKIM and DMARC records
 * (as expectedRecords says) in the test DNS. Returns the DKIM key types the server signs with.
 */
export async function provisionMailTestHost(
  bed: MailTestBed,
  onEvent?: (e: ApplyEvent) => void,
): Promise<DkimKeyType[]> {
  const { conn, host, dns, instance } = bed;
  const secrets = new MemorySecretStore();
  await secrets.set(userPasswordKey(USER, DOMAIN), PASSWORD);
  assertApplied(await applyDesired(conn, host, secrets, onEvent));
  // Another run on this VPS (bench/apply) may have made alice with its own password, which apply
  // keeps: set ours, and restart chasquid rather than wait up to 30 s for it to re-read the file.
  await setUserPassword(conn, DOMAIN, USER, PASSWORD);
  await conn.exec(shellCommand(['systemctl', 'restart', 'chasquid']), { sudo: true });
  const path = chasquidPathOf(await gatherFacts(conn));
  if (!path || path === 'unsupported') throw new Error(`chasquid path ${String(path)}`);
  const keys = await installedDkimKeys(conn, path, DOMAIN);
  const records = expectedRecords({
    host,
    domain: host.domains[0]!,
    addresses: { ipv4: [instance.ipv4], ipv6: [instance.ipv6] },
    dkimKeys: keys,
  }).filter((r) => r.type === 'TXT' && ['spf', 'spf-include', 'dkim', 'dmarc'].includes(r.kind));
  for (const r of records) await dns.setTxt(r.name, r.strings ?? [r.value]);
  return keys.map((k) => k.keyType).sort();
}
