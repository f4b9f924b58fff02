// src/core/remote against a real sshd in the sandbox VPS (Debian 13 and 12).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CancelledError,
  CommandError,
  ConnectionPool,
  HostKeyError,
  directSsh,
  KnownHosts,
  MemorySecretStore,
  readRemoteFile,
  restoreRemoteFile,
  secretKeys,
  sha256Fingerprint,
  shellCommand,
  shellScript,
  TimeoutError,
  writeRemoteFileAtomic,
  type RemoteConnection,
} from '../../src/core/remote';
import { connect, hostKeyFingerprints, sandboxes, skipReason, sudoPassword } from './sandbox-instances';

const instances = sandboxes();
const opened: RemoteConnection[] = [];
const track = (c: RemoteConnection) => (opened.push(c), c);
after(() => opened.forEach((c) => c.close()));

/** A sleep duration no other process on the server uses, so pgrep finds exactly ours. */
function uniqueSeconds(): string {
  return `${300 + Math.floor(Math.random() * 600)}.${Date.now() % 100000}`;
}

async function remoteProcessCount(conn: RemoteConnection, marker: string): Promise<number> {
  // The [x] trick keeps pgrep from matching its own command line.
  const pattern = `[${marker[0]}]${marker.slice(1)}`;
  const r = await conn.exec(shellCommand(['sh', '-c', 'pgrep -fc "$1" || true', 'sh', pattern]));
  return Number(r.stdout.trim());
}

describe('remote (sandbox VPS)', { skip: instances.length === 0 && skipReason }, () => {
  for (const instance of instances) {
    describe(`${instance.suite} (${instance.ipv4})`, () => {
      it('logs in with a key as root', async () => {
        const conn = track(connect(instance, 'root'));
        const r = await conn.exec(shellCommand(['id', '-un']));
        assert.equal(r.stdout.trim(), 'root');
      });

      it('logs in as a sudo user and becomes root with sudo -n', async () => {
        const conn = track(connect(instance, 'sudo-nopasswd'));
        assert.equal((await conn.exec(shellCommand(['id', '-un']))).stdout.trim(), instance.user);
        assert.equal((await conn.exec(shellCommand(['id', '-u']), { sudo: true })).stdout.trim(), '0');
        assert.equal(await conn.sudo(), 'nopasswd');
      });

      it('feeds a sudo password on stdin, not argv, and keeps the command stdin intact', async () => {
        const secrets = new MemorySecretStore();
        const conn = track(connect(instance, 'sudo-password', { secrets }));
        await assert.rejects(
          conn.exec(shellCommand(['id', '-u']), { sudo: true }),
          /sudo password .* is needed/,
        );
        await secrets.set(secretKeys.sudoPassword(instance.name), sudoPassword(instance));
        assert.equal((await conn.exec(shellCommand(['id', '-u']), { sudo: true })).stdout.trim(), '0');
        const echoed = await conn.exec(shellCommand(['cat']), { sudo: true, stdin: 'line one\nline two\n' });
        assert.equal(echoed.stdout, 'line one\nline two\n');
        await secrets.set(secretKeys.sudoPassword(instance.name), 'wrong-password');
        await assert.rejects(conn.exec(shellCommand(['id', '-u']), { sudo: true }), CommandError);
      });

      it('streams output while the command runs', async () => {
        const conn = track(connect(instance));
        const chunks: Array<{ text: string; at: number }> = [];
        const start = Date.now();
        const r = await conn.exec(
          shellScript('for i in 1 2 3; do echo "tick $i"; sleep 0.4; done; echo err >&2; exit 3'),
          {
            onStdout: (text) => chunks.push({ text, at: Date.now() - start }),
            check: false,
          },
        );
        assert.equal(r.exitCode, 3);
        assert.equal(r.stdout, 'tick 1\ntick 2\ntick 3\n');
        assert.equal(r.stderr, 'err\n');
        assert.ok(chunks.length >= 3, `expected separate chunks, got ${JSON.stringify(chunks)}`);
        assert.ok(
          chunks[0]!.at < chunks[chunks.length - 1]!.at - 500,
          'the first line arrived as soon as it was printed',
        );
      });

      it('a non-zero exit is a CommandError with the remote output', async () => {
        const conn = track(connect(instance));
        await assert.rejects(conn.exec(shellCommand(['ls', '/nonexistent-dir'])), (e: unknown) => {
          assert.ok(e instanceof CommandError);
          assert.equal(e.exitCode, 2);
          assert.match(e.message, /nonexistent-dir/);
          return true;
        });
      });

      for (const login of ['root', 'sudo-nopasswd'] as const) {
        it(`cancel kills the remote process (${login}${login === 'root' ? '' : ' via sudo'})`, async () => {
          const conn = track(connect(instance, login));
          const seconds = uniqueSeconds();
          const abort = new AbortController();
          let started!: () => void;
          const startedPromise = new Promise<void>((r) => (started = r));
          const running = conn.exec(shellScript('echo started; exec sleep "$1"', [seconds]), {
            sudo: login !== 'root',
            signal: abort.signal,
            onStdout: (t) => t.includes('started') && started(),
          });
          await startedPromise;
          const check = track(connect(instance));
          await new Promise((r) => setTimeout(r, 200));
          assert.equal(
            await remoteProcessCount(check, `sleep ${seconds}`),
            1,
            'the command runs before cancel',
          );
          abort.abort();
          await assert.rejects(running, CancelledError);
          // `sleep <seconds>` would still be listed if the process survived.
          assert.equal(await remoteProcessCount(check, `sleep ${seconds}`), 0);
        });
      }

      it('a timeout stops the command and kills it', async () => {
        const conn = track(connect(instance));
        const seconds = uniqueSeconds();
        const running = conn.exec(shellScript('exec sleep "$1"', [seconds]), { timeoutMs: 1500 });
        await new Promise((r) => setTimeout(r, 700));
        assert.equal(
          await remoteProcessCount(conn, `sleep ${seconds}`),
          1,
          'the command runs before the timeout',
        );
        await assert.rejects(running, TimeoutError);
        assert.equal(await remoteProcessCount(conn, `sleep ${seconds}`), 0);
      });

      it('arbitrary arguments arrive unchanged at the remote side (property)', async () => {
        const conn = track(connect(instance));
        const arg = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replace(/\0/g, ''));
        const samples = fc.sample(fc.array(arg, { minLength: 1, maxLength: 5 }), 40);
        samples.push([`'`, '"', '$(touch /tmp/mw-pwned)', '`id`', 'a\nb', '${HOME}', '*', '-n']);
        for (const args of samples) {
          const r = await conn.exec(shellCommand(['printf', '%s\\0', ...args]));
          const parts = r.stdout.split('\0');
          parts.pop();
          assert.deepEqual(parts, args);
        }
        const pwned = await conn.exec(shellCommand(['test', '-e', '/tmp/mw-pwned']), { check: false });
        assert.notEqual(pwned.exitCode, 0, 'no argument was executed');
      });

      it('reuses one connection and reconnects after a drop', async () => {
        const pool = new ConnectionPool({
          knownHosts: new KnownHosts(
            [instance.knownHostsFile],
            join(mkdtempSync(join(tmpdir(), 'mw-kh-')), 'kh'),
          ),
          secrets: new MemorySecretStore(),
          confirmUnknownHostKey: async () => false,
        });
        const spec = {
          name: instance.name,
          ssh: directSsh({ user: 'root', host: instance.ipv4, port: instance.port }, instance.rootKey, 'key'),
        };
        const conn = pool.get(spec);
        assert.equal(pool.get(spec), conn);
        for (let i = 0; i < 3; i++) await conn.exec(shellCommand(['true']));
        assert.equal(conn.stats.connects, 1);
        conn.destroy();
        assert.equal((await conn.exec(shellCommand(['echo', 'back']))).stdout, 'back\n');
        assert.equal(conn.stats.connects, 2);
        pool.closeAll();
      });

      describe('host keys', () => {
        it('asks about an unknown key, showing its real fingerprint, and remembers a yes', async () => {
          const managed = join(mkdtempSync(join(tmpdir(), 'mw-kh-')), 'known_hosts');
          const asked: string[] = [];
          const make = (answer: boolean) =>
            track(
              connect(instance, 'root', {
                knownHosts: new KnownHosts([], managed),
                confirmUnknownHostKey: async (k) => (asked.push(k.fingerprint), answer),
              }),
            );
          await assert.rejects(make(false).exec(shellCommand(['true'])), HostKeyError);
          assert.equal(asked.length, 1);
          assert.ok(
            hostKeyFingerprints(instance).includes(asked[0]!),
            `${asked[0]} is one of the server's keys`,
          );
          await make(true).exec(shellCommand(['true']));
          assert.match(readFileSync(managed, 'utf8'), new RegExp(`^${instance.ipv4.replace(/\./g, '\\.')} `));
          await make(false).exec(shellCommand(['true']));
          assert.equal(asked.length, 2, 'a trusted key is not asked about again');
        });

        it('refuses a changed key and names both fingerprints', async () => {
          // Take the real key line and swap in another key of the same type: what a MITM would present.
          const managed = join(mkdtempSync(join(tmpdir(), 'mw-kh-')), 'known_hosts');
          const real = readFileSync(instance.knownHostsFile, 'utf8');
          const other = generateKeyPairSync('ed25519')
            .publicKey.export({ format: 'der', type: 'spki' })
            .subarray(-32);
          const len = (n: number) => Buffer.from([0, 0, 0, n]);
          const blob = Buffer.concat([len(11), Buffer.from('ssh-ed25519'), len(32), other]);
          const lines = real
            .split('\n')
            .filter((l) => l.includes('ssh-ed25519'))
            .map((l) => l.replace(/ssh-ed25519 \S+/, `ssh-ed25519 ${blob.toString('base64')}`));
          writeFileSync(managed, lines.join('\n') + '\n');
          let asked = false;
          const conn = track(
            connect(instance, 'root', {
              knownHosts: new KnownHosts([], managed),
              confirmUnknownHostKey: async () => (asked = true),
            }),
          );
          await assert.rejects(conn.exec(shellCommand(['true'])), (e: unknown) => {
            assert.ok(e instanceof HostKeyError);
            assert.match(e.message, /HOST KEY CHANGED/);
            const presented = hostKeyFingerprints(instance).find((fp) => e.message.includes(fp));
            assert.ok(presented, 'the presented fingerprint is named');
            assert.ok(e.message.includes(sha256Fingerprint(blob)), 'the known fingerprint is named');
            return true;
          });
          assert.equal(asked, false, 'a changed key is never offered for trust');
        });
      });

      describe('files', () => {
        it('replaces a file atomically, keeping owner, mode and the previous version', async () => {
          const conn = track(connect(instance, 'sudo-nopasswd'));
          const path = `/etc/mailwright-test-${Date.now()}.conf`;
          await conn.exec(
            shellScript('printf "old\\n" > "$1" && chown root:"$2" "$1" && chmod 0640 "$1"', [
              path,
              instance.user,
            ]),
            { sudo: true },
          );
          const result = await writeRemoteFileAtomic(conn, path, 'new\ncontent\n');
          assert.equal(result.replaced, true);
          assert.equal((await readRemoteFile(conn, path)).toString(), 'new\ncontent\n');
          const stat = await conn.exec(shellCommand(['stat', '-c', '%U:%G %a', path]), { sudo: true });
          assert.equal(stat.stdout.trim(), `root:${instance.user} 640`);
          assert.equal((await readRemoteFile(conn, result.backupPath)).toString(), 'old\n');
          assert.equal(await restoreRemoteFile(conn, path), 'restored');
          assert.equal((await readRemoteFile(conn, path)).toString(), 'old\n');
          await conn.exec(shellCommand(['rm', '-f', path]), { sudo: true });
        });

        it('a new file gets the requested mode and owner; restoring removes it', async () => {
          const conn = track(connect(instance));
          const path = `/root/mailwright-new-${Date.now()}`;
          const r = await writeRemoteFileAtomic(conn, path, 'secret', { mode: '0600', owner: 'root:root' });
          assert.equal(r.replaced, false);
          const stat = await conn.exec(shellCommand(['stat', '-c', '%a', path]));
          assert.equal(stat.stdout.trim(), '600');
          assert.equal(await restoreRemoteFile(conn, path), 'removed');
          assert.notEqual(
            (await conn.exec(shellCommand(['test', '-e', path]), { check: false })).exitCode,
            0,
          );
        });

        it('a write cut by a dropped connection leaves the old file intact', async () => {
          const conn = track(connect(instance));
          const path = `/root/mailwright-cut-${Date.now()}.txt`;
          await writeRemoteFileAtomic(conn, path, 'the old version\n');
          const big = Buffer.alloc(64 * 1024 * 1024, 'x');
          const writing = writeRemoteFileAtomic(conn, path, big);
          // Drop the TCP connection once the upload is under way.
          await new Promise((r) => setTimeout(r, 300));
          conn.destroy();
          await assert.rejects(writing);
          const check = track(connect(instance));
          assert.equal((await readRemoteFile(check, path)).toString(), 'the old version\n');
          const leftovers = await check.exec(
            shellScript('ls -a "$(dirname "$1")" | grep -c "^\\.mailwright-new" || true', [path]),
          );
          assert.equal(leftovers.stdout.trim(), '0', 'no half-written file next to the target');
          await check.exec(shellCommand(['rm', '-f', path]));
        });
      });
    });
  }
});
