// Smoke test of the test VPS itself (scripts/sandbox): the contract in instance.json holds.
// Checks the instances named by MAILWRIGHT_SANDBOX_13 / MAILWRIGHT_SANDBOX_12 (set by
// scripts/test-integration) or MAILWRIGHT_SANDBOX_INSTANCE (paths of instance.json); with
// none set, brings up its own (suite from MAILWRIGHT_SANDBOX_SUITE, default trixie) and
// takes it down afterwards. Needs root, like the sandbox.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from 'ssh2';

interface Instance {
  name: string;
  suite: string;
  ipv4: string;
  ipv6: string;
  hostIpv4: string;
  hostIpv6: string;
  port: number;
  hostname: string;
  rootKey: string;
  user: string;
  userKey: string;
  sudoPasswordUser: string;
  sudoPasswordUserKey: string;
  sudoPasswordFile: string;
  hostKeys: string[];
  knownHostsFile: string;
  netns: string;
  leaderPid: number;
}

const sandbox = path.resolve(__dirname, '../../scripts/sandbox');
const isRoot = process.getuid?.() === 0;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one command over a fresh SSH connection, verifying the host key against instance.json. */
function sshRun(
  inst: Instance,
  user: string,
  keyFile: string,
  command: string,
  stdin?: string,
): Promise<Result> {
  const allowed = new Set(inst.hostKeys.map((k) => k.split(' ')[1]));
  return new Promise((resolve, reject) => {
    const conn = new Client();
    conn
      .on('ready', () => {
        conn.exec(command, (err, stream) => {
          if (err) {
            conn.end();
            reject(err);
            return;
          }
          let stdout = '';
          let stderr = '';
          stream.on('data', (d: Buffer) => (stdout += d.toString()));
          stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          stream.on('close', (code: number | null) => {
            conn.end();
            resolve({ code, stdout, stderr });
          });
          stream.end(stdin ?? '');
        });
      })
      .on('error', reject)
      .connect({
        host: inst.ipv4,
        port: inst.port,
        username: user,
        privateKey: readFileSync(keyFile),
        hostVerifier: (key: Buffer) => allowed.has(key.toString('base64')),
        readyTimeout: 15000,
      });
  });
}

// Instances brought up by scripts/test-integration (or named by hand); none: bring one up here.
const given = ['MAILWRIGHT_SANDBOX_INSTANCE', 'MAILWRIGHT_SANDBOX_13', 'MAILWRIGHT_SANDBOX_12']
  .map((v) => process.env[v])
  .filter((f): f is string => !!f);

function sandboxSuite(label: string, file: string | undefined): void {
  describe(`sandbox VPS (${label})`, { skip: isRoot ? false : 'needs root' }, () => {
    let inst: Instance;
    let ownName: string | undefined;

    before(() => {
      if (!file) {
        ownName = `smoke-${process.pid}`;
        const suite = process.env.MAILWRIGHT_SANDBOX_SUITE ?? 'trixie';
        execFileSync(sandbox, ['up', ownName, '--suite', suite], { stdio: ['ignore', 'ignore', 'inherit'] });
        file = execFileSync(sandbox, ['path', ownName], { encoding: 'utf8' }).trim();
      }
      inst = JSON.parse(readFileSync(file, 'utf8')) as Instance;
    });

    after(() => {
      if (ownName) execFileSync(sandbox, ['down', ownName], { stdio: ['ignore', 'ignore', 'inherit'] });
    });

    it('describes itself in instance.json', () => {
      assert.equal(inst.port, 22);
      assert.equal(inst.hostname, 'vps');
      assert.match(inst.ipv4, /^198\.51\.100\.\d+$/);
      assert.match(inst.ipv6, /^fd00:5eed:/);
      assert.ok(inst.hostKeys.length > 0);
      assert.ok(inst.leaderPid > 1);
    });

    it('lets root in by key, over a verified host key', async () => {
      const r = await sshRun(
        inst,
        'root',
        inst.rootKey,
        'id -u; hostname; systemctl is-system-running || true',
      );
      assert.equal(r.code, 0, r.stderr);
      const [uid, hostname, state] = r.stdout.trim().split('\n');
      assert.equal(uid, '0');
      assert.equal(hostname, 'vps');
      assert.ok(state === 'running' || state === 'degraded', `system state: ${state}`);
    });

    it('gives the user passwordless sudo', async () => {
      const r = await sshRun(inst, inst.user, inst.userKey, 'sudo -n id -u');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), '0');
    });

    it('makes the password user type a password for sudo', async () => {
      const key = inst.sudoPasswordUserKey;
      const denied = await sshRun(inst, inst.sudoPasswordUser, key, 'sudo -n true');
      assert.notEqual(denied.code, 0);
      const password = readFileSync(inst.sudoPasswordFile, 'utf8').trim();
      const r = await sshRun(inst, inst.sudoPasswordUser, key, "sudo -S -p '' id -u", `${password}\n`);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), '0');
    });

    it('runs commands through exec without SSH', () => {
      const out = execFileSync(sandbox, ['exec', inst.name, '--', 'cat', '/etc/hostname'], {
        encoding: 'utf8',
      });
      assert.equal(out.trim(), 'vps');
    });
  });
}

if (given.length === 0) sandboxSuite('own instance', undefined);
for (const file of given) sandboxSuite(path.basename(path.dirname(file)), file);
