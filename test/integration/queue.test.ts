// chasquid's queue, end to end on a provisioned VPS: a message for a domain whose MX does not
// answer yet (receiver.test in the test DNS points at this machine's side of the link, where
// nothing listens on port 25) stays queued and `mailwright queue --json` shows it with chasquid's
// error; `queue show` gives its headers; `queue delete` removes another one for good. Then the MX
// comes up, chasquid is restarted (a restart retries every queued message at once, as its source
// says: the queue is loaded and each message's delivery loop starts), the kept message arrives and
// leaves the queue, and the deleted one never arrives.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HostConfig } from '../../src/core/config';
import { setUserPassword, userPasswordKey } from '../../src/core/plan/actions/domains';
import { MemorySecretStore, shellCommand, type RemoteConnection } from '../../src/core/remote';
import { readQueue, type QueueItem, type QueueListing } from '../../src/core/queue';
import { sendTestMail } from '../../src/core/smtp';
import { startTestReceiver, type TestReceiver } from '../../src/core/smtp/test-receiver';
import { RECEIVER_ZONE, startTestDns, type TestDns } from './dns-fixture';
import { connect, desiredHost, sandboxes, skipReason, type SandboxInstance } from './sandbox-instances';
import { applyDesired, assertApplied } from './apply-fixture';

const ROOT = resolve(__dirname, '../..');
const DOMAIN = 'example.test';
const MAIL_HOST = 'smtp.example.test';
const USER = 'alice';
const ADDRESS = `${USER}@${DOMAIN}`;
// Fixed: applying again keeps an existing user's password, so a rerun must use the same one.
const PASSWORD = 'queue test: eleven pink elephants';

/** Its own VPS (MAILWRIGHT_QUEUE_SANDBOX_13): the test stops and restarts chasquid. */
const instances = sandboxes('queue');

function hostFor(instance: SandboxInstance): HostConfig {
  return desiredHost(
    instance,
    { name: DOMAIN, users: [USER], aliases: { postmaster: [USER], [USER]: [`${USER}@${RECEIVER_ZONE}`] } },
    MAIL_HOST,
  );
}

function yamlFor(instance: SandboxInstance): string {
  return [
    'version: 1',
    'hosts:',
    `  - name: ${instance.name}`,
    `    ssh: root@${instance.ipv4}:${instance.port}`,
    `    identityFile: ${instance.rootKey}`,
    `    mailHost: ${MAIL_HOST}`,
    ...(instance.suite === 'bookworm' ? ['    chasquid: distribution'] : []),
    '    domains:',
    `      - name: ${DOMAIN}`,
    `        users: [${USER}]`,
    `        aliases: { postmaster: ${USER}, ${USER}: ${USER}@${RECEIVER_ZONE} }`,
    '',
  ].join('\n');
}

describe('the mail queue (sandbox VPS + knot)', { skip: instances.length === 0 && skipReason }, () => {
  for (const instance of instances) {
    describe(`${instance.suite} (${instance.ipv4})`, { timeout: 10 * 60_000 }, () => {
      const host = hostFor(instance);
      const work = mkdtempSync(join(tmpdir(), 'mw-queue-'));
      const receivers: TestReceiver[] = [];
      let conn: RemoteConnection | undefined;
      let dns: TestDns | undefined;
      let queueStart = Date.now();
      const stuck = `stuck-${randomUUID()}`;
      const doomed = `deleted-${randomUUID()}`;
      let stuckItem: QueueItem | undefined;
      let doomedItem: QueueItem | undefined;

      const cli = (args: string[]) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
          const child = spawn(
            process.execPath,
            [
              '--import',
              'tsx',
              join(ROOT, 'src/cli/bin.ts'),
              'queue',
              ...args,
              '--config',
              join(work, 'mailwright.yaml'),
              '--known-hosts',
              instance.knownHostsFile,
            ],
            { cwd: ROOT, env: { PATH: process.env.PATH, HOME: work }, stdio: ['ignore', 'pipe', 'pipe'] },
          );
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.on('close', (code) => done({ code, stdout, stderr }));
        });

      const submit = (subject: string) =>
        sendTestMail({
          host: instance.ipv4,
          port: 587,
          starttls: true,
          user: ADDRESS,
          password: PASSWORD,
          from: ADDRESS,
          to: `bob@${RECEIVER_ZONE}`,
          subject,
          text: `queue test ${subject}\n`,
          servername: MAIL_HOST,
          tlsRejectUnauthorized: false,
          timeoutMs: 30_000,
        });

      /** The item whose headers carry `subject`, once chasquid has tried it (its error is known). */
      const waitQueued = async (subject: string): Promise<QueueItem> => {
        const deadline = Date.now() + 60_000;
        for (;;) {
          const listing = await readQueue(conn!);
          for (const item of listing.items.filter((i) => i.lastError)) {
            const head = await conn!.exec(
              shellCommand(['grep', '-c', subject, `/var/lib/chasquid/queue/m:${item.id}`]),
              { sudo: true, check: false },
            );
            if (head.stdout.trim() === '1') return item;
          }
          if (Date.now() > deadline)
            throw new Error(`"${subject}" not queued with an error: ${JSON.stringify(listing)}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      };

      before(async () => {
        dns = await startTestDns(instance, { mailHost: MAIL_HOST });
        conn = connect(instance);
        await conn.connect();
        writeFileSync(join(work, 'mailwright.yaml'), yamlFor(instance));
      });

      after(async () => {
        conn?.close();
        await Promise.all(receivers.map((r) => r.close()));
        await dns?.stop();
        rmSync(work, { recursive: true, force: true });
      });

      it('provisions the server', { timeout: 8 * 60_000 }, async () => {
        const secrets = new MemorySecretStore();
        await secrets.set(userPasswordKey(USER, DOMAIN), PASSWORD);
        assertApplied(await applyDesired(conn!, host, secrets));
        await setUserPassword(conn!, DOMAIN, USER, PASSWORD);
        // A queue left by an earlier run would confuse the counts below.
        await conn!.exec(shellCommand(['systemctl', 'stop', 'chasquid']), { sudo: true });
        await conn!.exec(shellCommand(['find', '/var/lib/chasquid/queue', '-name', 'm:*', '-delete']), {
          sudo: true,
          check: false,
        });
        await conn!.exec(shellCommand(['systemctl', 'start', 'chasquid']), { sudo: true });
        queueStart = Date.now();
      });

      it('a message for an MX that does not answer is listed by `mailwright queue --json` with its error', async () => {
        const sent = await submit(stuck);
        assert.match(sent.response, /^250\b/, sent.response);
        stuckItem = await waitQueued(stuck);

        const run = await cli(['--json']);
        assert.equal(run.code, 0, run.stderr);
        const listing = JSON.parse(run.stdout) as QueueListing & { host: string };
        assert.equal(listing.host, instance.name);
        assert.equal(listing.chasquidState, 'active');
        const item = listing.items.find((i) => i.id === stuckItem!.id);
        assert.ok(item, `${stuckItem.id} in ${run.stdout}`);
        assert.equal(item.from, ADDRESS);
        assert.deepEqual(item.to, [`bob@${RECEIVER_ZONE}`]);
        assert.deepEqual(
          item.recipients.map((r) => [r.address, r.status]),
          [[`bob@${RECEIVER_ZONE}`, 'pending']],
        );
        // What chasquid really said: nothing listens on port 25 of the MX.
        assert.match(item.lastError ?? '', /connection refused/, item.lastError ?? '');
        assert.match(item.recipients[0]!.lastError ?? '', /connection refused/);
        assert.ok(item.attempts !== null && item.attempts >= 1, `attempts ${String(item.attempts)}`);
        assert.ok(item.ageSeconds >= 0 && item.ageSeconds < 120, `age ${item.ageSeconds}`);
        // chasquid said when it tries again (1 minute after queueing, plus up to a minute).
        assert.ok(item.nextTryAt, 'next try known');
        const wait = Date.parse(item.nextTryAt) - Date.parse(item.createdAt);
        assert.ok(wait >= 55_000 && wait <= 125_000, `next try ${wait} ms after queueing`);

        const text = await cli([]);
        assert.equal(text.code, 0, text.stderr);
        assert.match(text.stdout, new RegExp(`Queue id: ${stuckItem.id}`));
        assert.match(text.stdout, /Last error: .*connection refused/);
      });

      it('`queue show` gives its headers and size', async () => {
        const run = await cli(['show', stuckItem!.id, '--json']);
        assert.equal(run.code, 0, run.stderr);
        const shown = JSON.parse(run.stdout) as { headers: string; sizeBytes: number; from: string };
        assert.match(shown.headers, new RegExp(`^Subject: ${stuck}$`, 'm'));
        assert.match(shown.headers, /^Received: from /m, "chasquid's own Received line");
        assert.doesNotMatch(shown.headers, /queue test/, 'the body stays on the server');
        const size = await conn!.exec(
          shellCommand(['grep', '-c', 'queue test', `/var/lib/chasquid/queue/m:${stuckItem!.id}`]),
          { sudo: true },
        );
        assert.equal(size.stdout.trim(), '1');
        assert.ok(shown.sizeBytes > shown.headers.length, `size ${shown.sizeBytes}`);
        // The listing's size is the data as stored (escaped): a little above the message's.
        const stored = stuckItem!.storedBytes!;
        assert.ok(
          stored >= shown.sizeBytes && stored < shown.sizeBytes * 1.05,
          `${stored} vs ${shown.sizeBytes}`,
        );
      });

      it('`queue delete --yes` removes a message; it stays gone after a restart', async () => {
        const sent = await submit(doomed);
        assert.match(sent.response, /^250\b/, sent.response);
        doomedItem = await waitQueued(doomed);
        const run = await cli(['delete', doomedItem.id, '--yes']);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stderr, /Deleted .* chasquid was restarted/);
        const ids = (await readQueue(conn!)).items.map((i) => i.id);
        assert.ok(!ids.includes(doomedItem.id), 'gone from the listing');
        assert.ok(ids.includes(stuckItem!.id), 'the other message stays queued');
        const again = await cli(['delete', doomedItem.id, '--yes']);
        assert.equal(again.code, 2, 'a message no longer queued is refused');
        assert.match(again.stderr, /is not in chasquid's queue/);
      });

      it('when the MX comes up, a restart delivers the kept message and never the deleted one', async (t) => {
        for (const address of [instance.hostIpv4, instance.hostIpv6])
          receivers.push(
            await startTestReceiver({ host: address, port: 25, banner: 'mx.receiver.test ESMTP' }),
          );
        await conn!.exec(shellCommand(['systemctl', 'restart', 'chasquid']), { sudo: true });
        const deadline = Date.now() + 60_000;
        const received = () => receivers.flatMap((r) => r.messages).map((m) => m.raw.toString('utf8'));
        while (!received().some((m) => m.includes(stuck))) {
          assert.ok(Date.now() < deadline, 'the kept message arrives within 60 s of the restart');
          await new Promise((r) => setTimeout(r, 300));
        }
        const gone = Date.now() + 15_000;
        for (;;) {
          const ids = (await readQueue(conn!)).items.map((i) => i.id);
          if (!ids.includes(stuckItem!.id)) break;
          assert.ok(Date.now() < gone, 'a delivered message leaves the queue');
          await new Promise((r) => setTimeout(r, 300));
        }
        assert.ok(!received().some((m) => m.includes(doomed)), 'the deleted message is never delivered');
        assert.deepEqual((await readQueue(conn!)).items, [], 'the queue is empty');
        const run = await cli([]);
        assert.match(run.stdout, /0 messages queued \(empty; chasquid active\)/);
        t.diagnostic(`queue part: ${((Date.now() - queueStart) / 1000).toFixed(1)} s after provisioning`);
      });
    });
  }
});
