// Debian 12 with `chasquid: debian`: the pinned Debian 13 package instead of the distribution's
// 1.11, end to end on a VPS of its own (MAILWRIGHT_PINNED_SANDBOX_12): installed from Debian's
// archive with its sha256 checked, built-in DKIM (RSA and Ed25519) verified by the receiving host,
// AUTH on 465 and 587, an ACME certificate from pebble served and renewed, and a plan with nothing
// left to do. This is the package Ubuntu 22.04 and 24.04 get by default.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PINNED_CHASQUID } from '../../src/core/chasquid';
import type { HostConfig } from '../../src/core/config';
import { gatherFacts } from '../../src/core/facts';
import { runMailTest } from '../../src/core/mailtest';
import { applyPlan, chasquidPathOf, planHost, type ApplyEvent, type Plan } from '../../src/core/plan';
import { planRenewal, setDefaultAcmeDeps, type AcmeDeps } from '../../src/core/plan/actions/acme-certificate';
import { MemorySecretStore, shellScript } from '../../src/core/remote';
import { probeSmtp, verifyUserPassword } from '../../src/core/smtp';
import { knotProvider, startTestAcme, waitForTxtIn, type TestAcme } from './acme-fixture';
import { INBOX_ZONE } from './dns-fixture';
import {
  ADDRESS,
  PASSWORD,
  provisionMailTestHost,
  startMailTestBed,
  type MailTestBed,
} from './mail-test-bed';
import { sandboxes, skipReason } from './sandbox-instances';

const instance = sandboxes('pinned').find((i) => i.suite === 'bookworm');

describe(
  'Debian 12 with the pinned Debian 13 chasquid (chasquid: debian)',
  { skip: !instance && skipReason, timeout: 15 * 60_000 },
  () => {
    const inst = instance!;
    let bed: MailTestBed;
    let acme: TestAcme;
    let deps: AcmeDeps;
    let host: HostConfig;
    const output: string[] = [];

    /** The certificate served on a port, and whether it chains to the ACME CA's root for the mail host. */
    const served = async (port: 465 | 587) => {
      const r = await probeSmtp({
        host: inst.ipv4,
        port,
        mode: port === 465 ? 'tls' : 'starttls',
        servername: host.mailHost,
        ca: acme.issuerRoot,
      });
      return `${r.tls.authorized ? 'trusted' : 'untrusted'} ${r.tls.certificate?.serialNumber ?? '-'}`;
    };

    const apply = async (plan: Plan) => {
      const result = await applyPlan(plan, {
        conn: bed.conn,
        host,
        secrets: new MemorySecretStore(),
        regather: () => gatherFacts(bed.conn),
      });
      assert.ok(result.ok, JSON.stringify(result.failed));
    };

    before(async () => {
      bed = await startMailTestBed(inst);
      bed.host = { ...bed.host, chasquid: 'debian' };
      host = bed.host;
      acme = await startTestAcme(`${inst.name}-acme`, `${inst.hostIpv4}:53`);
      deps = {
        dnsProviderFor: () => knotProvider(bed.dns, inst.hostIpv4),
        waitForTxt: waitForTxtIn(bed.dns),
        issuerRootPem: acme.issuerRoot,
      };
      setDefaultAcmeDeps(deps);
    });

    after(async () => {
      await bed?.close();
      await acme?.stop();
    });

    it('plans the pinned package on a server with Debian 12’s chasquid 1.11 on offer', async () => {
      const facts = await gatherFacts(bed.conn);
      assert.equal(facts.os.versionId, '12');
      assert.equal(facts.chasquid.installed, false, 'a fresh VPS');
      const install = planHost(host, facts).actions.find((a) => a.id === 'install:chasquid');
      assert.ok(install);
      assert.match(
        install.title,
        new RegExp(
          `^Install chasquid ${PINNED_CHASQUID.version.replace(/[+.]/g, '\\$&')} \\(Debian 13's package`,
        ),
      );
    });

    it(
      'installs it (sha256 checked, file removed) and provisions the native DKIM path with RSA and Ed25519',
      { timeout: 10 * 60_000 },
      async () => {
        const keyTypes = await provisionMailTestHost(bed, (e: ApplyEvent) => {
          if (e.type === 'output') output.push(e.line);
        });
        assert.deepEqual(keyTypes, ['ed25519', 'rsa'], 'chasquid signs with both keys itself');
        const facts = await gatherFacts(bed.conn);
        assert.equal(facts.chasquid.version, PINNED_CHASQUID.version);
        assert.equal(facts.chasquid.installedFrom, 'file', 'apt knows it came from no package source');
        assert.equal(chasquidPathOf(facts), 'native-dkim');
        assert.equal(facts.chasquid.offered, '1.11-2+b2', 'Debian 12 still offers its own');
        assert.ok(
          output.some((l) => /^chasquid_.*_amd64\.deb: OK$/.test(l)),
          'sha256sum -c checked the file',
        );
        const server = await bed.conn.exec(
          shellScript(
            'find /tmp /var/tmp -name "chasquid_*.deb" | wc -l; dpkg -s python3-dkim >/dev/null 2>&1 && echo python3-dkim; ' +
              // apt keeps the newer installed version: an upgrade changes nothing about chasquid.
              'LC_ALL=C apt-get -s upgrade | grep -c "^Inst chasquid" || true',
          ),
          { sudo: true },
        );
        assert.deepEqual(server.stdout.trim().split('\n'), ['0', '0']);
      },
    );

    it('shows apt and systemd output without progress redraws or harmless warnings', () => {
      assert.ok(output.length > 0);
      for (const line of output) {
        assert.doesNotMatch(line, /\r/);
        assert.doesNotMatch(line, /Reading database \.\.\. \d+%/);
        assert.doesNotMatch(line, /non-existent unit chasquid\.target/);
      }
      assert.ok(
        output.some((l) =>
          /^\(Reading database \.\.\. \d+ files and directories currently installed\.\)$/.test(l),
        ),
      );
    });

    it('AUTH as alice is accepted (235) on 465 and 587', async () => {
      for (const port of [465, 587] as const) {
        const r = await verifyUserPassword({ host, address: ADDRESS, password: PASSWORD, port });
        assert.equal(r.accepted, true, r.message);
        assert.match(r.reply ?? '', /^235\b/);
      }
    });

    it('a mail submitted on 465 arrives at the receiving host with RSA and Ed25519 signatures that verify', async (t) => {
      const report = await runMailTest(bed.options(`someone@${INBOX_ZONE}`));
      const lines = report.checks.map((c) => `${c.status} ${c.id} | ${c.evidence.join(' | ')}`);
      t.diagnostic(lines.join('\n'));
      const dkim = report.checks.filter((c) => c.id.startsWith('dkim:'));
      assert.deepEqual(dkim.map((c) => c.id.split(':')[1]).sort(), ['ed25519', 'rsa']);
      for (const c of dkim) assert.equal(c.status, 'pass', c.evidence.join('\n'));
      for (const id of ['submit:auth', 'delivered', 'spf', 'dmarc'])
        assert.equal(report.checks.find((c) => c.id === id)?.status, 'pass', `${id}\n${lines.join('\n')}`);
    });

    it(
      'serves a certificate from the ACME CA on 465 and 587 and renews it',
      { timeout: 3 * 60_000 },
      async () => {
        host = {
          ...host,
          acme: {
            ca: acme.directoryUrl,
            challenge: 'dns-01',
            renewBeforeDays: 30,
            caCertificate: acme.tlsCaFile,
          },
        };
        assert.match(await served(465), /^untrusted /, 'the self-signed bootstrap certificate first');
        await apply(planHost(host, await gatherFacts(bed.conn)));
        const issued = await served(465);
        assert.match(issued, /^trusted [0-9A-F]+$/i, 'a certificate the ACME CA signed is served');
        assert.equal(await served(587), issued);
        await apply(planRenewal(host, await gatherFacts(bed.conn), { days: 4000 }, deps));
        const renewed = await served(465);
        assert.match(renewed, /^trusted /);
        assert.notEqual(renewed, issued);
        assert.equal(await served(587), renewed);
      },
    );

    it('plans nothing afterwards', async () => {
      const plan = planHost(host, await gatherFacts(bed.conn));
      assert.deepEqual(
        plan.actions.map((a) => `${a.id}: ${a.reason}`),
        [],
      );
    });
  },
);
