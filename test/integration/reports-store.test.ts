// Received reports kept on a real server: a VPS provisioned with reports: keep, real report mails
// (Google-like zip, Microsoft-like gzip, a gzip'd TLS report) sent over SMTP port 25 from a sender
// whose SPF passes (knot answers for it), stored by chasquid's pipe alias, then summarised by
// `mailwright reports --json` in one round trip. Hostile mail (a zip bomb, a report about a
// stranger's domain, a message larger than any report) is bounded or set aside without touching
// the others. Turning keep off removes the program and the aliases, and leaves the reports.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import type { HostConfig } from '../../src/core/config';
import { gatherFacts } from '../../src/core/facts';
import { planHost } from '../../src/core/plan';
import { shellScript, type RemoteConnection } from '../../src/core/remote';
import {
  KEEP_REPORT_PROGRAM,
  MAX_REPORT_MESSAGE_BYTES,
  REPORT_STORE_ALIAS,
  REPORT_STORE_DIR,
} from '../../src/core/reports/store';
import type { StoredReports } from '../../src/core/reports/stored';
import { sendTestMail } from '../../src/core/smtp';
import { reportMail } from '../unit/report-mail';
import { RECEIVER_ZONE, startTestDns, type TestDns } from './dns-fixture';
import { connect, desiredHost, sandboxes, skipReason, type SandboxInstance } from './sandbox-instances';
import { provisionDesired } from './apply-fixture';

const DOMAIN = 'example.test';
const MAIL_HOST = 'smtp.example.test';
const REPORTER = `noreply-dmarc-support@${RECEIVER_ZONE}`;
const REPO = join(__dirname, '..', '..');
const BIN = join(REPO, 'src', 'cli', 'bin.ts');
const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/reports', name), 'utf8');

/** A VPS of its own (MAILWRIGHT_REPORTS_SANDBOX_13): it provisions its own desired state. */
const instances = sandboxes('reports').filter((i) => i.suite === 'trixie');

function hostFor(instance: SandboxInstance, keep: boolean): HostConfig {
  return desiredHost(
    instance,
    { name: DOMAIN, ...(keep && { reports: { keep: true, retentionDays: 400 } }) },
    MAIL_HOST,
  );
}

async function apply(conn: RemoteConnection, host: HostConfig): Promise<string[]> {
  return (await provisionDesired(conn, host)).plan.actions.map((a) => a.id);
}

function cli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], {
      cwd,
      env: { ...process.env, SSH_AUTH_SOCK: '', MAILWRIGHT_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe(
  'received reports kept on the server (sandbox VPS + knot)',
  { skip: instances.length === 0 && skipReason },
  () => {
    for (const instance of instances) {
      describe(`${instance.suite} (${instance.ipv4})`, { timeout: 20 * 60_000 }, () => {
        let conn: RemoteConnection | undefined;
        let dns: TestDns | undefined;
        const workspace = mkdtempSync(join(tmpdir(), 'mw-reports-'));
        const storeFiles = async () =>
          (
            await conn!.exec(
              shellScript('find "$1" -type f -name "*.eml" | sort', [`${REPORT_STORE_DIR}/${DOMAIN}`]),
              { check: false },
            )
          ).stdout
            .split('\n')
            .filter(Boolean);
        const send = (raw: Buffer, to = `postmaster@${DOMAIN}`) =>
          sendTestMail({
            host: instance.ipv4,
            port: 25,
            from: REPORTER,
            to,
            subject: 'report',
            text: '',
            raw,
            servername: MAIL_HOST,
            tlsRejectUnauthorized: false,
            timeoutMs: 60_000,
          });
        const waitForStored = async (count: number) => {
          const deadline = Date.now() + 90_000;
          for (;;) {
            const files = await storeFiles();
            if (files.length >= count) return files;
            if (Date.now() > deadline) {
              const log = await conn!.exec(shellScript('journalctl -u chasquid --no-pager -n 40'), {
                check: false,
              });
              throw new Error(`${files.length} of ${count} reports stored after 90 s\n${log.stdout}`);
            }
            await new Promise((r) => setTimeout(r, 500));
          }
        };

        before(async () => {
          dns = await startTestDns(instance, { mailHost: MAIL_HOST });
          // The reporter's domain vouches for the test machine, as google.com does for its servers.
          await dns.setTxt(RECEIVER_ZONE, [`v=spf1 ip4:${instance.hostIpv4} ip6:${instance.hostIpv6} -all`]);
          conn = connect(instance);
          await conn.connect();
          await conn.exec(shellScript('rm -rf -- "$1"', [REPORT_STORE_DIR]));
          writeFileSync(
            join(workspace, 'mailwright.yaml'),
            [
              'version: 1',
              'hosts:',
              '  - name: vps',
              `    ssh: root@${instance.ipv4}:${instance.port}`,
              `    identityFile: ${instance.rootKey}`,
              `    mailHost: ${MAIL_HOST}`,
              '    domains:',
              `      - name: ${DOMAIN}`,
              '        reports: { keep: true }',
              '',
            ].join('\n'),
          );
        });

        after(async () => {
          await conn?.exec(shellScript('rm -rf -- "$1"', [REPORT_STORE_DIR]), { check: false });
          conn?.close();
          await dns?.stop();
          rmSync(workspace, { recursive: true, force: true });
        });

        it(
          'provisions the store: the program, its folder only chasquid and root can read, the aliases',
          { timeout: 15 * 60_000 },
          async () => {
            const applied = await apply(conn!, hostFor(instance, true));
            assert.ok(applied.includes('reports:store'), applied.join(', '));
            const r = await conn!.exec(
              shellScript('stat -c "%U:%G %a" "$1" "$2"; cat "$3"', [
                KEEP_REPORT_PROGRAM,
                REPORT_STORE_DIR,
                `/etc/chasquid/domains/${DOMAIN}/aliases`,
              ]),
            );
            const [program, store] = r.stdout.split('\n');
            assert.equal(program, 'root:root 755');
            assert.equal(store, 'chasquid:chasquid 700');
            assert.match(
              r.stdout,
              new RegExp(`^${REPORT_STORE_ALIAS}: \\| ${KEEP_REPORT_PROGRAM} ${DOMAIN} 400$`, 'm'),
            );
            assert.match(r.stdout, new RegExp(`^postmaster: ${REPORT_STORE_ALIAS}@${DOMAIN}$`, 'm'));
          },
        );

        it('a hand edit of the program shows as drift in the plan', async () => {
          await conn!.exec(shellScript('echo "# edited" >> "$1"', [KEEP_REPORT_PROGRAM]));
          const plan = planHost(hostFor(instance, true), await gatherFacts(conn!));
          const action = plan.actions.find((a) => a.id === 'reports:store');
          assert.ok(action?.drift, JSON.stringify(plan.actions.map((a) => a.id)));
          assert.match(action.reason, /edited on the server since Mailwright wrote it/);
          await apply(conn!, hostFor(instance, true));
        });

        it(
          'keeps the reports mailed to postmaster@ and sets the hostile ones aside',
          { timeout: 5 * 60_000 },
          async () => {
            const zip = Buffer.from(
              zipSync({
                [`google.com!${DOMAIN}!1796428800!1796515199.xml`]: Buffer.from(
                  fixture('google-aggregate.xml'),
                ),
              }),
            );
            const mails = [
              reportMail({
                to: `postmaster@${DOMAIN}`,
                attachment: zip,
                filename: 'google.zip',
                contentType: 'application/zip',
              }),
              reportMail({
                to: `postmaster@${DOMAIN}`,
                attachment: gzipSync(fixture('microsoft-aggregate.xml')),
                filename: 'microsoft.xml.gz',
                contentType: 'application/gzip',
              }),
              reportMail({
                to: `postmaster@${DOMAIN}`,
                attachment: gzipSync(fixture('microsoft-tls.json')),
                filename: 'microsoft-tls.json.gz',
                contentType: 'application/tlsrpt+gzip',
              }),
              // Hostile: 64 MB of zeros in 64 kB, and a report about someone else's domain.
              reportMail({
                to: `postmaster@${DOMAIN}`,
                attachment: gzipSync(Buffer.alloc(64 * 1024 * 1024)),
                filename: 'bomb.xml.gz',
                contentType: 'application/gzip',
              }),
              reportMail({
                to: `postmaster@${DOMAIN}`,
                attachment: gzipSync(
                  fixture('yahoo-aggregate.xml').replace(/example\.test/g, 'stranger.test'),
                ),
                filename: 'stranger.xml.gz',
                contentType: 'application/gzip',
              }),
            ];
            // chasquid reads a changed aliases file within about 30 s: until then the store alias is
            // unknown (and postmaster@ may still go where it went before).
            const deadline = Date.now() + 60_000;
            for (;;) {
              const probe = await send(
                Buffer.from(`From: ${REPORTER}\r\nSubject: probe\r\n\r\nNo report here.\r\n`),
                `${REPORT_STORE_ALIAS}@${DOMAIN}`,
              ).catch((e: Error) => e);
              if (!(probe instanceof Error)) break;
              if (Date.now() > deadline || !/5\.1\.1/.test(probe.message)) throw probe;
              await new Promise((r) => setTimeout(r, 2000));
            }
            for (const mail of mails) {
              const sent = await send(mail);
              assert.match(sent.response, /^250\b/, sent.response);
            }
            // Larger than any report: accepted by chasquid (under its own limit), not kept, no bounce.
            const huge = Buffer.concat([
              Buffer.from(`From: ${REPORTER}\r\nTo: postmaster@${DOMAIN}\r\nSubject: huge\r\n\r\n`),
              Buffer.from(`${'A'.repeat(998)}\r\n`.repeat(Math.ceil(MAX_REPORT_MESSAGE_BYTES / 998) + 1000)),
            ]);
            const sentHuge = await send(huge);
            assert.match(sentHuge.response, /^250\b/, sentHuge.response);
            const files = await waitForStored(mails.length + 1);
            assert.equal(files.length, mails.length + 1);
            const dropped = await conn!.exec(
              shellScript(
                'for i in $(seq 60); do [ -s "$1/dropped.log" ] && break; sleep 0.5; done; cat "$1/dropped.log"; ls -l "$1"',
                [`${REPORT_STORE_DIR}/${DOMAIN}`],
              ),
              { check: false },
            );
            assert.match(dropped.stdout, /over \d+ bytes/, dropped.stdout + dropped.stderr);
            assert.equal((await storeFiles()).length, mails.length + 1, 'the huge one is not kept');
          },
        );

        it('`mailwright reports --json` summarises them in one round trip, failing sources first', async () => {
          const run = await cli(
            [
              'reports',
              '--config',
              join(workspace, 'mailwright.yaml'),
              '--json',
              '--known-hosts',
              instance.knownHostsFile,
              // The PTR lookups go to knot, which answers for none of the sources: bounded, not stuck.
              '--resolver',
              `${instance.hostIpv4}:53`,
              '--verbose',
            ],
            REPO,
          );
          assert.equal(run.code, 0, run.stderr);
          const result = JSON.parse(run.stdout) as StoredReports;
          assert.equal(result.messages, 6);
          assert.equal(result.summaries.length, 1);
          const s = result.summaries[0]!;
          assert.equal(s.domain, DOMAIN);
          assert.equal(s.dmarcReports, 2);
          assert.equal(s.tlsReports, 1);
          assert.ok(s.messages > 0);
          assert.ok(s.sources[0]!.messages - s.sources[0]!.dmarcPass > 0, 'a failing source first');
          assert.ok(s.tls.failures.length > 0, 'TLS failures by type');
          assert.deepEqual(result.setAside.map((a) => a.problem).sort(), ['foreign', 'invalid', 'too-large']);
          assert.match(result.setAside.find((a) => a.problem === 'foreign')!.message, /stranger\.test/);
          assert.equal(result.dropped[DOMAIN], 1);
          // --verbose counts what went over SSH: the store was read by one command.
          const commands = /SSH: \d+ login\(s\), (\d+) command\(s\)/.exec(run.stderr);
          assert.equal(commands?.[1], '1', run.stderr);

          const text = await cli(
            [
              'reports',
              '--no-reverse',
              '--config',
              join(workspace, 'mailwright.yaml'),
              '--known-hosts',
              instance.knownHostsFile,
            ],
            REPO,
          );
          assert.equal(text.code, 0, text.stderr);
          assert.match(
            text.stdout,
            new RegExp(`^${DOMAIN.replace('.', '\\.')}: 2 DMARC report\\(s\\), 1 TLS report\\(s\\)`, 'm'),
          );
          assert.match(text.stderr, /Not counted: .*stranger\.test/);
        });

        it(
          'turning keep off removes the program and the aliases, and leaves the stored reports',
          { timeout: 10 * 60_000 },
          async () => {
            const applied = await apply(conn!, hostFor(instance, false));
            assert.ok(applied.includes('reports:store-removed'), applied.join(', '));
            assert.ok(applied.includes(`aliases:${DOMAIN}`), applied.join(', '));
            const r = await conn!.exec(
              shellScript('[ -e "$1" ] && echo there; cat "$2"', [
                KEEP_REPORT_PROGRAM,
                `/etc/chasquid/domains/${DOMAIN}/aliases`,
              ]),
              { check: false },
            );
            assert.doesNotMatch(r.stdout, /there|mailwright-reports/);
            assert.equal((await storeFiles()).length, 6);
          },
        );
      });
    }
  },
);
