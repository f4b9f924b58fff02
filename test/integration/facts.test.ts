// Facts of a real Debian 13 and Debian 12 VPS, gathered in exactly one exec channel.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { gatherFacts } from '../../src/core/facts';
import { MemorySecretStore, secretKeys, shellCommand, type RemoteConnection } from '../../src/core/remote';
import { connect, hostKeyFingerprints, sandboxes, skipReason, sudoPassword } from './sandbox-instances';

const instances = sandboxes();
const opened: RemoteConnection[] = [];
after(() => opened.forEach((c) => c.close()));
const run = promisify(execFile);
const cli = join(__dirname, '..', '..', 'dist', 'cli.js');

const expected = {
  trixie: { versionId: '13', codename: 'trixie' },
  bookworm: { versionId: '12', codename: 'bookworm' },
};

describe('facts (sandbox VPS)', { skip: instances.length === 0 && skipReason }, () => {
  for (const instance of instances) {
    describe(`${instance.suite} (${instance.ipv4})`, () => {
      it('are gathered in exactly one exec channel and describe the server', async () => {
        const conn = connect(instance);
        opened.push(conn);
        await conn.connect();
        const before = { ...conn.stats };
        const facts = await gatherFacts(conn);
        assert.equal(conn.stats.execChannels - before.execChannels, 1, 'one exec channel');
        assert.equal(conn.stats.sftpChannels, 0);
        assert.equal(conn.stats.connects, 1);

        assert.equal(facts.os.id, 'debian');
        assert.equal(facts.os.versionId, expected[instance.suite].versionId);
        assert.equal(facts.os.codename, expected[instance.suite].codename);
        assert.equal(facts.os.supported, true);
        assert.equal(facts.system.state, 'ready');
        assert.equal(facts.systemd, true);
        assert.equal(facts.hostname, instance.hostname);
        assert.ok(
          facts.addresses.ipv4.includes(instance.ipv4),
          `${facts.addresses.ipv4} has ${instance.ipv4}`,
        );
        assert.ok(
          facts.addresses.ipv6.includes(instance.ipv6),
          `${facts.addresses.ipv6} has ${instance.ipv6}`,
        );
        assert.ok(
          facts.listening.some((l) => l.port === 22),
          'sshd listens on 22',
        );
        // Other tests install chasquid on the same VPS: compare with what dpkg says right now.
        const dpkg = await conn.exec(
          shellCommand(['dpkg-query', '-W', '-f', '${Status}|${Version}', 'chasquid']),
          { check: false },
        );
        const [status, version] = dpkg.stdout.split('|');
        assert.equal(facts.chasquid.installed, status === 'install ok installed');
        if (facts.chasquid.installed) assert.equal(facts.chasquid.version, version);
        const arch = await conn.exec(shellCommand(['dpkg', '--print-architecture']));
        assert.equal(facts.packageArch, arch.stdout.trim());
        assert.equal(facts.hasApt, true);
        assert.equal(facts.sudo, 'root');
        assert.ok(facts.resources.memTotalBytes > 0 && facts.resources.diskFreeBytes > 0);
      });

      it('report how each login reaches root', async () => {
        const nopasswd = connect(instance, 'sudo-nopasswd');
        opened.push(nopasswd);
        assert.equal((await gatherFacts(nopasswd)).sudo, 'nopasswd');

        const secrets = new MemorySecretStore();
        const withPassword = connect(instance, 'sudo-password', { secrets });
        opened.push(withPassword);
        const unknown = await gatherFacts(withPassword);
        assert.equal(unknown.sudo, 'password');
        assert.equal(unknown.confFiles, undefined, 'root-only facts need the password');
        await secrets.set(secretKeys.sudoPassword(instance.name), sudoPassword(instance));
        const known = await gatherFacts(withPassword);
        assert.equal(known.sudo, 'password');
        const asRoot = connect(instance);
        opened.push(asRoot);
        assert.deepEqual(
          known.confFiles,
          (await gatherFacts(asRoot)).confFiles,
          'root-only facts were read with the password from stdin, as root sees them',
        );
      });

      it('the CLI refuses an unknown host key unless told to accept it', async () => {
        const knownHosts = join(mkdtempSync(join(tmpdir(), 'mw-cli-')), 'known_hosts');
        const args = [
          'facts',
          '--host',
          `root@${instance.ipv4}:${instance.port}`,
          '-i',
          instance.rootKey,
          '--known-hosts',
          knownHosts,
        ];
        const env = { ...process.env, HOME: mkdtempSync(join(tmpdir(), 'mw-home-')), SSH_AUTH_SOCK: '' };
        await assert.rejects(
          run(process.execPath, [cli, ...args], { env }),
          (e: { code: number; stderr: string }) => {
            assert.equal(e.code, 1);
            assert.ok(
              hostKeyFingerprints(instance).some((fp) => e.stderr.includes(fp)),
              e.stderr,
            );
            assert.match(e.stderr, /--accept-new-host-key/);
            return true;
          },
        );
        const ok = await run(process.execPath, [cli, ...args, '--accept-new-host-key'], { env });
        const facts = JSON.parse(ok.stdout);
        assert.equal(facts.os.versionId, expected[instance.suite].versionId);
        assert.ok(readFileSync(knownHosts, 'utf8').includes(instance.ipv4));
        const again = await run(process.execPath, [cli, ...args], { env });
        assert.equal(JSON.parse(again.stdout).hostname, instance.hostname);
      });
    });
  }
});
