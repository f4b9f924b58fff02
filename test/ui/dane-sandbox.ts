// The DANE setting of the UI tests, on the provisioned sandbox: the mail host serves a certificate
// a CA issued (the self-signed bootstrap one has no TLSA record), the test knot signs example.test
// (DNSSEC) and serves that key's TLSA record, and no DANE key rollover is under way. Afterwards,
// even on failure, the test DNS stops, the bootstrap certificate is put back (the UI tests share
// the sandbox) and any rollover state is removed.
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { certDir } from '../../src/core/chasquid/paths';
import { certificateSpkiSha256, tlsaRecordName } from '../../src/core/dns/dane';
import { ROLLOVER_DIR } from '../../src/core/dane/rollover';
import {
  readRemoteFile,
  shellCommand,
  writeRemoteFileAtomic,
  type RemoteConnection,
} from '../../src/core/remote';
import { startTestDns, type TestDns } from '../integration/dns-fixture';
import type { SandboxInstance } from '../integration/sandbox-instances';
import { issuedCertificate } from '../unit/certificates';
import { chooseFromContextMenu, eventually, treeRow } from './harness';
import { rootConnection, UI_DOMAIN, UI_MAIL_HOST, type SandboxJson } from './provisioned-sandbox';

/** The TTL of the served key's TLSA record in knot (a rollover waits that long before its switch). */
export const DANE_TLSA_TTL = 300;

export interface DaneSandbox {
  conn: RemoteConnection;
  dns: TestDns;
  /** SHA-256 of the SubjectPublicKeyInfo of the key port 25 serves, whose TLSA record knot serves. */
  current: string;
}

function removeRollover(conn: RemoteConnection): Promise<unknown> {
  return conn.exec(shellCommand(['rm', '-rf', '--', ROLLOVER_DIR]), { sudo: true });
}

export async function withDaneSandbox<T>(vps: SandboxJson, body: (s: DaneSandbox) => Promise<T>): Promise<T> {
  const issued = issuedCertificate(UI_MAIL_HOST);
  const current = certificateSpkiSha256(issued.cert)!;
  const dir = certDir(UI_MAIL_HOST);
  const conn = rootConnection(vps);
  const original = {
    fullchain: await readRemoteFile(conn, `${dir}/fullchain.pem`),
    privkey: await readRemoteFile(conn, `${dir}/privkey.pem`),
  };
  const install = async (fullchain: string | Buffer, privkey: string | Buffer) => {
    await writeRemoteFileAtomic(conn, `${dir}/fullchain.pem`, fullchain, {
      mode: '0644',
      owner: 'root:root',
    });
    await writeRemoteFileAtomic(conn, `${dir}/privkey.pem`, privkey, {
      mode: '0640',
      owner: 'root:chasquid',
    });
    await conn.exec(shellCommand(['systemctl', 'restart', 'chasquid']), { sudo: true });
  };
  let dns: TestDns | undefined;
  try {
    // A rollover left by an interrupted run would change what the next one does: start from none.
    await removeRollover(conn);
    await install(`${issued.cert}${issued.ca}`, issued.key);
    dns = await startTestDns(vps as unknown as SandboxInstance, { signed: true });
    await dns.update(UI_DOMAIN, [
      `update add ${tlsaRecordName(UI_MAIL_HOST)}. ${DANE_TLSA_TTL} TLSA 3 1 1 ${current}`,
    ]);
    return await body({ conn, dns, current });
  } finally {
    try {
      await dns?.stop();
      await install(original.fullchain, original.privkey);
      await removeRollover(conn);
    } finally {
      conn.close();
    }
  }
}

/**
 * Check DNS from the domain's context menu, until the panel says checked; gives the panel's
 * record row of an id ("tlsa": the served key's TLSA record, "tlsa:next": the next key's).
 */
export async function checkDnsFromTree(page: Page, domainRow: Locator): Promise<(id: string) => Locator> {
  await chooseFromContextMenu(page, domainRow, /^Check DNS/);
  const view = page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
  await eventually(async () => {
    assert.equal(await view.locator('#status').getAttribute('data-phase'), 'checked');
  }, 120_000);
  return (id: string) => view.locator(`tr.record[data-id="${id}"]`);
}

/** The domain's DNS Records in the tree, opened: a key rollover's two TLSA rows, each named. */
export async function showDaneTreeRows(page: Page, domainRow: Locator): Promise<void> {
  const dnsNode = treeRow(page, 'DNS Records');
  if (!(await dnsNode.isVisible())) await domainRow.click();
  await dnsNode.waitFor({ timeout: 30_000 });
  await dnsNode.click();
  await treeRow(page, 'DANE (TLSA), next key').waitFor({ timeout: 30_000 });
  assert.ok(await treeRow(page, /^DANE \(TLSA\)$/).isVisible(), "the served key's row");
}
