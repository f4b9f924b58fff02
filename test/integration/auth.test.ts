// The three ways to log in: a private key with a passphrase, ssh-agent, and a password.
// Secrets come from the secret store (never argv); a wrong one is a clear AuthenticationError.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AuthenticationError,
  MemorySecretStore,
  secretKeys,
  shellCommand,
  shellScript,
  type RemoteConnection,
} from '../../src/core/remote';
import { connect, sandboxes, skipReason, sudoPassword } from './sandbox-instances';

const instances = sandboxes();
const opened: RemoteConnection[] = [];
const track = (c: RemoteConnection) => (opened.push(c), c);
after(() => opened.forEach((c) => c.close()));

describe('login methods (sandbox VPS)', { skip: instances.length === 0 && skipReason }, () => {
  for (const instance of instances) {
    describe(`${instance.suite} (${instance.ipv4})`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'mw-auth-'));
      const keyFile = join(dir, 'id_ed25519');
      const passphrase = `pass phrase ${Date.now()}`;
      const passwordConf = '/etc/ssh/sshd_config.d/zz-mailwright-test-password.conf';

      before(async () => {
        // A key protected by a passphrase, authorized for root.
        execFileSync('ssh-keygen', [
          '-q',
          '-t',
          'ed25519',
          '-N',
          passphrase,
          '-C',
          'mailwright-test',
          '-f',
          keyFile,
        ]);
        const root = track(connect(instance));
        await root.exec(shellScript('cat >> /root/.ssh/authorized_keys'), {
          stdin: readFileSync(`${keyFile}.pub`, 'utf8'),
        });
        // Password logins for the password user only (the sandbox allows keys alone by default).
        await root.exec(
          shellScript(
            'printf "Match User %s\\n  PasswordAuthentication yes\\n" "$1" > "$2" && systemctl reload ssh',
            [instance.sudoPasswordUser, passwordConf],
          ),
        );
      });

      after(async () => {
        const root = track(connect(instance));
        await root.exec(
          shellScript(
            'rm -f "$1" && systemctl reload ssh; sed -i "/mailwright-test$/d" /root/.ssh/authorized_keys',
            [passwordConf],
          ),
        );
      });

      it('a key with a passphrase: the passphrase comes from the secret store', async () => {
        const secrets = new MemorySecretStore();
        const missing = track(connect(instance, 'root', { identityFile: keyFile, secrets }));
        await assert.rejects(missing.exec(shellCommand(['true'])), (e: unknown) => {
          assert.ok(e instanceof AuthenticationError);
          assert.match(e.message, /Passphrase for .* is needed/);
          assert.match(e.message, /MAILWRIGHT_KEY_PASSPHRASE/);
          return true;
        });
        await secrets.set(secretKeys.keyPassphrase(instance.name), 'not the passphrase');
        const wrong = track(connect(instance, 'root', { identityFile: keyFile, secrets }));
        await assert.rejects(wrong.exec(shellCommand(['true'])), /passphrase .* is wrong/);
        await secrets.set(secretKeys.keyPassphrase(instance.name), passphrase);
        const right = track(connect(instance, 'root', { identityFile: keyFile, secrets }));
        assert.equal((await right.exec(shellCommand(['id', '-un']))).stdout.trim(), 'root');
      });

      it('ssh-agent holding the key', async () => {
        const socket = join(dir, 'agent.sock');
        const agent = spawnSync('ssh-agent', ['-a', socket, '-s'], { encoding: 'utf8' });
        const pid = /SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1];
        const saved = process.env.SSH_AUTH_SOCK;
        try {
          execFileSync('ssh-add', ['-q', instance.rootKey], {
            env: { ...process.env, SSH_AUTH_SOCK: socket },
          });
          process.env.SSH_AUTH_SOCK = socket;
          const conn = track(connect(instance, 'root', { auth: 'agent', identityFile: undefined }));
          assert.equal((await conn.exec(shellCommand(['id', '-un']))).stdout.trim(), 'root');
          delete process.env.SSH_AUTH_SOCK;
          const none = track(connect(instance, 'root', { auth: 'agent', identityFile: undefined }));
          await assert.rejects(
            none.exec(shellCommand(['true'])),
            /no agent to ask \(SSH_AUTH_SOCK is not set\)/,
          );
        } finally {
          if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
          else process.env.SSH_AUTH_SOCK = saved;
          if (pid) process.kill(Number(pid));
        }
      });

      it('a password from the secret store; a wrong one is refused clearly', async () => {
        const secrets = new MemorySecretStore();
        await secrets.set(secretKeys.sshPassword(instance.name), 'certainly wrong');
        const wrong = track(
          connect(instance, 'sudo-password', { auth: 'password', identityFile: undefined, secrets }),
        );
        await assert.rejects(wrong.exec(shellCommand(['true'])), AuthenticationError);
        await secrets.set(secretKeys.sshPassword(instance.name), sudoPassword(instance));
        const right = track(
          connect(instance, 'sudo-password', { auth: 'password', identityFile: undefined, secrets }),
        );
        assert.equal(
          (await right.exec(shellCommand(['id', '-un']))).stdout.trim(),
          instance.sudoPasswordUser,
        );
      });
    });
  }
});
