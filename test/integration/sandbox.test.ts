// Smoke test of the test VPS itself (scripts/sandbox): the contract in instance.json holds.
// Checks the instances named by MAILWRIGHT_SANDBOX_13 / MAILWRIGHT_SANDBOX_12 (set by
// scripts/test-integration) or MAILWRIGHT_SANDBOX_INSTANCE (paths of instance.json); with
// none set, brings up its own (suite from MAILWRIGHT_SANDBOX_SUITE, default trixie) and
// takes it down afterwards. Needs root, like the sandbox.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { SandboxInstance } from './sandbox-instances';

type Instance = SandboxInstance;

const sandbox = path.resolve(__dirname, '../../scripts/sandbox');
const isRoot = process.getuid?.() === 0;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one command with OpenSSH's own client, strictly checking the host key against the
 * instance's known_hosts: the test bed is checked independently of Mailwright's SSH layer.
 */
function sshRun(
  inst: Instance,
  user: string,
  keyFile: string,
  command: string,
  stdin?: string,
): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      'ssh',
      [
        '-i',
        keyFile,
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        `UserKnownHostsFile=${inst.knownHostsFile}`,
        '-o',
        'ConnectTimeout=15',
        '-p',
        String(inst.port),
        `${user}@${inst.ipv4}`,
        command,
      ],
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin ?? '');
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
