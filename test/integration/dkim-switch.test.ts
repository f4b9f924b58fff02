// Debian 12 switched from its own chasquid 1.11 (DKIM through the post-data hook) to the pinned
// Debian 13 package (chasquid: debian) on a VPS of its own (MAILWRIGHT_SWITCH_SANDBOX_12): the
// upgrade keeps the hook's key under its selector, so mail signed afterwards verifies against the
// DNS record published before the switch, with one signature (the hook no longer signs), and
// nothing is left to plan.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { PINNED_CHASQUID } from '../../src/core/chasquid';
import type { HostConfig } from '../../src/core/config';
import { installedDkimKeys, type InstalledDkimKey } from '../../src/core/dkim';
import { gatherFacts } from '../../src/core/facts';
import { runMailTest } from '../../src/core/mailtest';
import { applyPlan, chasquidPathOf, planHost, type ApplyEvent } from '../../src/core/plan';
import { MemorySecretStore, shellScript } from '../../src/core/remote';
import { INBOX_ZONE } from './dns-fixture';
import { DOMAIN, provisionMailTestHost, startMailTestBed, type MailTestBed } from './mail-test-bed';
import { skipReason, type SandboxInstance } from './sandbox-instances';

const path = process.env.MAILWRIGHT_SWITCH_SANDBOX_12;
const instance = path ? (JSON.parse(readFileSync(path, 'utf8')) as SandboxInstance) : undefined;

describe(
  'Debian 12: chasquid 1.11 with the DKIM hook switched to the pinned package (chasquid: debian)',
  {
    skip: !instance && (process.env.CI ? skipReason : 'set MAILWRIGHT_SWITCH_SANDBOX_12'),
    timeout: 20 * 60_000,
  },
  () => {
    let bed: MailTestBed;
    let host: HostConfig;
    let before1: InstalledDkimKey[];

    before(async () => {
      bed = await startMailTestBed(instance!);
      // One RSA key: the hook cannot sign with Ed25519, and a new Ed25519 key would need a new record.
      host = {
        ...bed.host,
        chasquid: 'distribution',
        domains: bed.host.domains.map((d) => ({ ...d, dkim: { ...d.dkim, algorithms: ['rsa2048'] } })),
      };
      bed.host = host;
    });
    after(async () => {
      await bed?.close();
    });

    it(
      'provisions chasquid 1.11, which signs through the post-data hook; its record is published',
      { timeout: 10 * 60_000 },
      async () => {
        assert.deepEqual(await provisionMailTestHost(bed), ['rsa']);
        const facts = await gatherFacts(bed.conn);
        assert.equal(chasquidPathOf(facts), 'legacy');
        before1 = await installedDkimKeys(bed.conn, 'legacy', DOMAIN);
        assert.equal(before1.length, 1);
      },
    );

    it(
      "switching to chasquid: debian upgrades and keeps the hook's key under its selector, in one run",
      { timeout: 10 * 60_000 },
      async () => {
        host = { ...host, chasquid: 'debian' };
        bed.host = host;
        const plan = planHost(host, await gatherFacts(bed.conn));
        const titles = plan.actions.map((a) => a.title);
        assert.match(
          titles.join('\n'),
          new RegExp(`Upgrade chasquid 1\\.11.* → ${PINNED_CHASQUID.version.replace(/[+.]/g, '\\$&')}`),
        );
        assert.match(
          titles.join('\n'),
          /Move the post-data hook's DKIM key of example\.test into chasquid's own layout/,
        );
        const log: string[] = [];
        const result = await applyPlan(plan, {
          conn: bed.conn,
          host,
          secrets: new MemorySecretStore(),
          regather: () => gatherFacts(bed.conn),
          onEvent: (e: ApplyEvent) => {
            if (e.type === 'output') log.push(e.line);
          },
        });
        assert.ok(result.ok, `${JSON.stringify(result.failed)}\n${log.slice(-30).join('\n')}`);
        assert.ok(
          log.some((l) => l.includes(`(selector ${before1[0]!.selector})`) && /stays valid/.test(l)),
          log.join('\n'),
        );
        const facts = await gatherFacts(bed.conn);
        assert.equal(chasquidPathOf(facts), 'native-dkim');
        const after1 = await installedDkimKeys(bed.conn, 'native-dkim', DOMAIN);
        assert.deepEqual(
          after1.map((k) => [k.selector, k.publicKey]),
          before1.map((k) => [k.selector, k.publicKey]),
          'the same selector and key: the record published before still matches',
        );
        const left = await bed.conn.exec(
          shellScript(
            `ls /etc/chasquid/domains/${DOMAIN}/dkim_selector /etc/chasquid/certs/${DOMAIN} 2>&1 | wc -l; ls /var/backups/mailwright/etc/chasquid/domains/${DOMAIN}/`,
          ),
          { sudo: true, check: false },
        );
        assert.match(left.stdout, /dkim_selector\.prev/, 'the hook selector is kept in the backups');
      },
    );

    it('a mail signed after the switch verifies against the unchanged record, with one signature', async (t) => {
      // The DNS still holds what provisioning published for chasquid 1.11: nothing was republished.
      const report = await runMailTest(bed.options(`someone@${INBOX_ZONE}`));
      const lines = report.checks.map((c) => `${c.status} ${c.id} | ${c.evidence.join(' | ')}`);
      t.diagnostic(lines.join('\n'));
      const dkim = report.checks.filter((c) => c.id.startsWith('dkim:'));
      assert.equal(dkim.length, 1, `one DKIM-Signature:\n${lines.join('\n')}`);
      assert.equal(dkim[0]!.status, 'pass', dkim[0]!.evidence.join('\n'));
      assert.ok(dkim[0]!.evidence.join(' ').includes(before1[0]!.selector), 'signed with the old selector');
    });

    it('plans nothing afterwards', async () => {
      const plan = planHost(host, await gatherFacts(bed.conn));
      assert.deepEqual(
        plan.actions.map((a) => a.id),
        [],
      );
    });
  },
);
