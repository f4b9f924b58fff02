// Fault injection on the sandbox test bed, for hardening-faults.test.ts: the guest's link goes
// down, the guest reboots, its package mirror goes away, a disk fills up, apt's lock is held.
// Also the tally of faults tried and survived, written to test-results/hardening/faults.json.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { shellScript, type RemoteConnection } from '../../src/core/remote';
import { connect, type SandboxInstance } from './sandbox-instances';

const run = promisify(execFile);
export const ROOT = join(__dirname, '..', '..');
const SANDBOX = join(ROOT, 'scripts', 'sandbox');

/** Runs a shell script as root inside the guest, without SSH (nsenter through scripts/sandbox). */
export async function guest(instance: SandboxInstance, script: string, args: string[] = []): Promise<string> {
  const { stdout } = await run(
    'bash',
    [SANDBOX, 'exec', instance.name, '--', 'sh', '-c', script, 'sh', ...args],
    {
      timeout: 60_000,
    },
  );
  return stdout;
}

/** The same, left running (a lock holder); kill it with stopGuestProcess. */
export function guestBackground(instance: SandboxInstance, script: string): ChildProcess {
  return spawn('bash', [SANDBOX, 'exec', instance.name, '--', 'sh', '-c', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The host side of the guest's veth: the interface holding the instance's host address. */
async function hostInterface(instance: SandboxInstance): Promise<string> {
  const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show', 'to', `${instance.hostIpv4}/32`]);
  const name = stdout.trim().split(/\s+/)[1];
  assert.ok(name, `no interface holds ${instance.hostIpv4}`);
  return name.replace(/@.*$/, '');
}

/** Takes the guest's link down for `ms`, then up again. */
export async function linkDown(instance: SandboxInstance, ms: number): Promise<void> {
  const veth = await hostInterface(instance);
  await run('ip', ['link', 'set', veth, 'down']);
  try {
    await new Promise((r) => setTimeout(r, ms));
  } finally {
    await run('ip', ['link', 'set', veth, 'up']);
  }
}

/** Stops or starts the forwarder through which the guest reaches its package mirror. */
export async function mirror(instance: SandboxInstance, state: 'stop' | 'start'): Promise<void> {
  await run('bash', [SANDBOX, 'forwarder', instance.name, state], { timeout: 60_000 });
}

/** Waits until sshd of the guest answers again (after a reboot). */
export async function waitForSsh(instance: SandboxInstance, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const probe = connect(instance, 'root', { readyTimeoutMs: 5_000 });
    try {
      await probe.exec(shellScript('true'), { timeoutMs: 5_000 });
      return;
    } catch (e) {
      if (Date.now() > end)
        throw new Error(`sshd did not come back within ${timeoutMs / 1000} s: ${String(e)}`);
      await new Promise((r) => setTimeout(r, 1_000));
    } finally {
      probe.close();
    }
  }
}

/** sha256 of every file under /etc/chasquid (without its .git), by path. */
export async function confHashes(conn: RemoteConnection): Promise<Record<string, string>> {
  const r = await conn.exec(
    shellScript(`cd /etc/chasquid && find . -path ./.git -prune -o -type f -print0 | xargs -0r sha256sum`),
    { sudo: true },
  );
  const hashes: Record<string, string> = {};
  for (const line of r.stdout.trim().split('\n').filter(Boolean)) {
    const [hash, path] = line.split(/\s+/, 2) as [string, string];
    hashes[path.replace(/^\.\//, '/etc/chasquid/')] = hash;
  }
  return hashes;
}

/**
 * Nothing half written: each file as the fault left it is the version from before the fault
 * or the one the converged run wrote (or absent in one of them), and no temporary file remains.
 */
export function assertWhole(
  before: Record<string, string>,
  during: Record<string, string>,
  after: Record<string, string>,
): void {
  for (const [path, hash] of Object.entries(during)) {
    assert.ok(!/\/\.mailwright-/.test(path), `a temporary file was left behind: ${path}`);
    assert.ok(
      hash === before[path] || hash === after[path],
      `${path} is neither the previous version nor the new one`,
    );
  }
}

/** One paragraph that says what happened: no script text, no pile of output. */
export function assertClearError(message: string | undefined, ...mentions: RegExp[]): void {
  assert.ok(message, 'an error message');
  const lines = message.trim().split('\n');
  assert.ok(lines.length <= 6, `at most a short paragraph, got ${lines.length} lines:\n${message}`);
  assert.ok(message.length <= 900, `at most 900 characters, got ${message.length}:\n${message}`);
  assert.doesNotMatch(message, /set -eu|\$1|mailwright-new|sh -c /, `no script text:\n${message}`);
  for (const m of mentions) assert.match(message, m);
}

/** Resolves within `ms` or fails the case: every fault must end in bounded time. */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Counts each fault case run, and those whose assertions all held. */
export class FaultTally {
  tried = 0;
  survived = 0;

  /** A test case that injects one fault. */
  fault(
    name: string,
    opts: { timeout: number; skip?: string | boolean; todo?: string },
    fn: (t: TestContext) => Promise<void>,
  ): void {
    it(name, opts, async (t) => {
      this.tried++;
      await fn(t);
      this.survived++;
    });
  }

  write(): void {
    const dir = join(ROOT, 'test-results', 'hardening');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'faults.json');
    writeFileSync(file, JSON.stringify({ faults: { tried: this.tried, survived: this.survived } }) + '\n');
  }
}
