// The conf-directory snapshot against a real VPS: one exec channel through sudo, secrets
// left out on the server, nothing secret anywhere in the workspace's git history.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fetchConfTar, snapshotConf } from '../../src/core/git';
import { shellScript, type RemoteConnection } from '../../src/core/remote';
import { connect, sandboxes, skipReason } from './sandbox-instances';

const instances = sandboxes();
const opened: RemoteConnection[] = [];
const temp: string[] = [];
after(() => {
  opened.forEach((c) => c.close());
  temp.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const SECRET = 'SECRET-SANDBOX-MATERIAL';
// A conf directory of its own (root-only, like /etc/chasquid's secrets) so this test never
// disturbs the provisioning tests that share the sandbox's real /etc/chasquid.
const SETUP = `set -e
d=$1; s=$2
rm -rf "$d"; mkdir -p "$d"; chmod 0700 "$d"; cd "$d"
mkdir -p domains/example.test certs/mail.example.test certs/example.test .git
printf 'hostname: "mail.example.test"\\n' > chasquid.conf
printf '*: someone@example.org\\n' > domains/example.test/aliases
printf 'sel1\\n' > domains/example.test/dkim_selector
printf 'users:{key:"bob" value:{scrypt:{encrypted:"%s"}}}\\n' "$s" > domains/example.test/users
printf -- '-----BEGIN PRIVATE KEY-----\\n%s\\n' "$s" > domains/example.test/dkim:sel1.pem
printf -- '-----BEGIN CERTIFICATE-----\\npublic\\n' > certs/mail.example.test/fullchain.pem
printf -- '-----BEGIN PRIVATE KEY-----\\n%s\\n' "$s" > certs/mail.example.test/privkey.pem
printf -- '-----BEGIN RSA PRIVATE KEY-----\\n%s\\n' "$s" > certs/example.test/dkim_privkey.pem
printf '%s\\n' "$s" > .git/config
chmod -R go-rwx "$d"`;

describe(
  'git snapshot of the conf directory (sandbox VPS)',
  { skip: instances.length === 0 && skipReason },
  () => {
    for (const instance of instances) {
      it(`${instance.suite}: fetches through sudo in one exec and commits no secret`, async () => {
        const confDir = `/var/tmp/mw-snapshot-${process.pid}/chasquid`;
        const root = connect(instance, 'root');
        const user = connect(instance, 'sudo-nopasswd');
        opened.push(root, user);
        await root.exec(shellScript(SETUP, [confDir, SECRET]));

        const ws = mkdtempSync(join(tmpdir(), 'mw-ws-it-'));
        temp.push(ws);
        await user.connect();
        const before = user.stats.execChannels;
        const first = await snapshotConf(user, {
          workspaceRoot: ws,
          hostName: instance.name,
          confDir,
          actions: ['Install chasquid', 'Set chasquid.conf hostname'],
        });
        // One channel for the archive (plus at most the one-time sudo probe).
        assert.ok(user.stats.execChannels - before <= 2, `${user.stats.execChannels - before} channels`);
        assert.equal(first.committed, true);
        assert.deepEqual(first.files, [
          '.gitignore',
          'certs/mail.example.test/fullchain.pem',
          'chasquid.conf',
          'domains/example.test/aliases',
          'domains/example.test/dkim_selector',
        ]);
        const git = (...args: string[]) => execFileSync('git', args, { cwd: ws, encoding: 'utf8' });
        assert.match(git('log', '-1', '--format=%B'), /- Install chasquid\n- Set chasquid.conf hostname/);
        assert.equal(
          git('show', `HEAD:conf/${instance.name}/chasquid.conf`),
          'hostname: "mail.example.test"\n',
        );
        const history = git('log', '-p', '--all');
        assert.doesNotMatch(history, new RegExp(SECRET));
        assert.doesNotMatch(history, /PRIVATE KEY|scrypt/);

        // The secrets never even travel: the archive itself lists none of them.
        const members = execFileSync('tar', ['-t', '-f', '-'], { input: await fetchConfTar(user, confDir) })
          .toString('utf8')
          .split('\n');
        assert.ok(members.includes('./chasquid.conf'), members.join(' '));
        for (const m of members) assert.doesNotMatch(m, /users|privkey|dkim:|\.git/, m);

        // Unchanged server: no commit. A file removed on the server: removed in the repo.
        const again = await snapshotConf(user, { workspaceRoot: ws, hostName: instance.name, confDir });
        assert.equal(again.committed, false);
        await root.exec(shellScript('rm -f "$1/domains/example.test/aliases"', [confDir]));
        const third = await snapshotConf(user, { workspaceRoot: ws, hostName: instance.name, confDir });
        assert.deepEqual(third.changed, ['domains/example.test/aliases']);
        await root.exec(shellScript('rm -rf "$1"', [confDir.replace(/\/chasquid$/, '')]));
      });
    }
  },
);
