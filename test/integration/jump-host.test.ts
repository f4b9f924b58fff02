// A server on a private network, reachable only through a jump host: two sandbox VPSes, the
// second brought up with `scripts/sandbox up --behind` the first, so this machine has no route
// to it. The built CLI provisions it through the jump (jump: in mailwright.yaml); AUTH is checked
// from inside the jump host's network namespace; the log is tailed through the jump; a changed
// host key of the jump host is refused before anything happens. Then the key logins a user meets
// on Linux: a passphrase-protected key (asked once, stored only with consent) and a real ssh-agent.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LocalSystem } from '../../src/core/local-path';
import {
  AuthenticationError,
  KnownHosts,
  MemorySecretStore,
  RemoteConnection,
  directSsh,
  secretKeys,
  shellCommand,
  type AuthMethod,
  type ConnectOptions,
  type ResolvedSsh,
  type SshTarget,
} from '../../src/core/remote';
import { TailSession } from '../../src/vscode/logs/tail-session';
import type { SandboxInstance } from './sandbox-instances';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const SANDBOX = join(ROOT, 'scripts', 'sandbox');
const PASSWORD = 'jump test password, not secret';

/** A login as resolveSsh gives it (no SSH configuration read), through `jumps`, first hop first. */
function login(
  target: SshTarget,
  auth: AuthMethod,
  identityFile?: string,
  jumps: ResolvedSsh[] = [],
): ResolvedSsh {
  return { ...directSsh(target, identityFile, auth), jumps };
}

function instance(variable: string): SandboxInstance | undefined {
  const path = process.env[variable];
  return path ? (JSON.parse(readFileSync(path, 'utf8')) as SandboxInstance) : undefined;
}
const jump = instance('MAILWRIGHT_JUMP_SANDBOX');
const behind = instance('MAILWRIGHT_BEHIND_SANDBOX');
const skip =
  !jump || !behind
    ? 'no jump-host sandboxes (MAILWRIGHT_JUMP_SANDBOX, MAILWRIGHT_BEHIND_SANDBOX; scripts/test-integration)'
    : false;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(work: string, args: string[]): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args, '--config', join(work, 'mailwright.yaml'), '--known-hosts', join(work, 'known_hosts')],
      {
        cwd: work,
        env: {
          PATH: process.env.PATH,
          HOME: join(work, 'home'),
          MAILWRIGHT_USER_PASSWORD_ALICE_EXAMPLE_TEST: PASSWORD,
          MAILWRIGHT_USER_PASSWORD_BOB_EXAMPLE_TEST: PASSWORD,
        },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs a command as root inside a sandbox guest, without SSH (nsenter). */
function inGuest(name: string, script: string): string {
  return execFileSync('bash', [SANDBOX, 'exec', name, '--', 'sh', '-c', script], { encoding: 'utf8' });
}

/**
 * SMTP AUTH PLAIN on port 465 of `ip`, run by a Node process inside the jump host's network
 * namespace (the only place with a route to the server). Prints the server's reply to AUTH.
 */
function authFromJumpNamespace(netns: string, ip: string, user: string, password: string): string {
  const script = `
const tls = require('node:tls');
const [ip, user, password] = process.argv.slice(1);
const s = tls.connect({ host: ip, port: 465, rejectUnauthorized: false });
let buf = '', step = 0;
const plain = Buffer.from('\\0' + user + '\\0' + password).toString('base64');
setTimeout(() => { console.log('TIMEOUT ' + JSON.stringify(buf)); process.exit(1); }, 15000).unref();
s.on('data', (d) => {
  buf += d;
  const lines = buf.split('\\r\\n');
  const last = lines[lines.length - 2];
  if (!last || /^\\d{3}-/.test(last)) return;
  buf = '';
  if (step === 0) s.write('EHLO jump.test\\r\\n');
  else if (step === 1) s.write('AUTH PLAIN ' + plain + '\\r\\n');
  else { console.log(last); s.end('QUIT\\r\\n'); process.exit(0); }
  step++;
});
s.on('error', (e) => { console.log('ERROR ' + e.message); process.exit(1); });`;
  return execFileSync('ip', ['netns', 'exec', netns, process.execPath, '-e', script, ip, user, password], {
    encoding: 'utf8',
  }).trim();
}

describe('a server reachable only through a jump host', { skip, timeout: 10 * 60_000 }, () => {
  let work: string;
  const targetSsh = () => `root@${behind!.ipv4}:${behind!.port}`;
  const jumpSsh = () => `root@${jump!.ipv4}:${jump!.port}`;
  const yaml = (...users: string[]) =>
    [
      'version: 1',
      'hosts:',
      '  - name: inner',
      `    ssh: ${targetSsh()}`,
      `    identityFile: ${behind!.rootKey}`,
      `    jump: ${jumpSsh()}`,
      '    mailHost: smtp.example.test',
      '    domains:',
      '      - name: example.test',
      `        users: [${users.join(', ')}]`,
      '        aliases:',
      ...users.map((u) => `          ${u}: ${u}@elsewhere.test`),
      "          '*': postmaster@elsewhere.test",
      '',
    ].join('\n');
  /** What apply writes on the server: must not change when the jump host is refused. */
  const serverState = () =>
    inGuest(
      behind!.name,
      'cat /etc/chasquid/domains/example.test/users 2>&1; sha256sum /var/lib/mailwright/managed.json 2>&1',
    );

  before(() => {
    assert.ok(existsSync(CLI), `${CLI} is missing: run npm run build first`);
    work = mkdtempSync(join(tmpdir(), 'mw-jump-'));
    writeFileSync(join(work, 'mailwright.yaml'), yaml('alice'));
    writeFileSync(
      join(work, 'known_hosts'),
      readFileSync(jump!.knownHostsFile, 'utf8') + readFileSync(behind!.knownHostsFile, 'utf8'),
    );
    // The jump host accepts the same key as the server behind it, as a bastion usually does.
    const pub = readFileSync(`${behind!.rootKey}.pub`, 'utf8').trim();
    inGuest(jump!.name, `printf '%s\\n' '${pub}' >> /root/.ssh/authorized_keys`);
  });

  it('cannot be reached directly from this machine', async () => {
    const run = await cli(work, [
      'facts',
      '--host',
      targetSsh(),
      '-i',
      behind!.rootKey,
      '--connect-timeout',
      '3',
    ]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /No route to root@198\.51\.100\.\d+:22 \(EHOSTUNREACH\)/);
    assert.match(run.stderr, /reached through a jump host \(jump in mailwright\.yaml\)/);
  });

  it('is provisioned through the jump host by the CLI, and the next plan is empty', async () => {
    const run = await cli(work, ['apply', '--yes']);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /Plan for inner \(root@198\.51\.100\.\d+:22/);
    const again = await cli(work, ['plan', '--detailed-exitcode']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /Nothing to do: the server already matches mailwright\.yaml/);
  });

  it('accepts the user on 465 (AUTH 235), checked from inside the jump host network', () => {
    const reply = authFromJumpNamespace(jump!.netns, behind!.ipv4, 'alice@example.test', PASSWORD);
    assert.match(reply, /^235 /, reply);
    const wrong = authFromJumpNamespace(jump!.netns, behind!.ipv4, 'alice@example.test', 'not it');
    assert.match(wrong, /^535 /, wrong);
  });

  it('tails the log through the jump host, and stopping ends the remote tail', async () => {
    const conn = new RemoteConnection({
      name: 'inner',
      ssh: login({ user: 'root', host: behind!.ipv4, port: behind!.port }, 'key', behind!.rootKey, [
        login({ user: 'root', host: jump!.ipv4, port: jump!.port }, 'key', behind!.rootKey),
      ]),
      knownHosts: new KnownHosts([join(work, 'known_hosts')], join(work, 'managed_known_hosts')),
      secrets: new MemorySecretStore(),
      confirmUnknownHostKey: async () => false,
    });
    try {
      let changed = 0;
      const tail = new TailSession((command, o) => conn.exec(command, { ...o, sudo: true, check: false }), {
        maxLines: 500,
        initialLines: 50,
        onChange: () => changed++,
      });
      tail.start();
      try {
        // A refused login makes chasquid write a line while the tail runs.
        const deadline = Date.now() + 30_000;
        while (!tail.ring.toArray().some((l) => /auth/i.test(l)) && Date.now() < deadline) {
          authFromJumpNamespace(jump!.netns, behind!.ipv4, 'alice@example.test', 'not it');
          await new Promise((r) => setTimeout(r, 1000));
        }
      } finally {
        tail.stop();
        await tail.done();
      }
      assert.ok(changed > 0);
      assert.ok(
        tail.ring.toArray().some((l) => /auth/i.test(l)),
        `no auth line in:\n${tail.ring.toArray().join('\n')}`,
      );
      const left = inGuest(behind!.name, 'pgrep -f "[j]ournalctl -u chasquid -f" || true').trim();
      assert.equal(left, '', 'the remote tail was ended');
    } finally {
      conn.close();
    }
  });

  it('refuses a changed host key of the jump host, naming the hop, and changes nothing', async () => {
    writeFileSync(join(work, 'mailwright.yaml'), yaml('alice', 'bob'));
    const before = serverState();
    // New host keys on the jump host (the old ones are put back afterwards, for the tests below).
    inGuest(
      jump!.name,
      'mkdir -p /root/mw-host-keys && cp -p /etc/ssh/ssh_host_* /root/mw-host-keys/ && rm -f /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && systemctl restart ssh',
    );
    let run: CliRun;
    try {
      run = await cli(work, ['apply', '--yes']);
    } finally {
      inGuest(jump!.name, 'cp -p /root/mw-host-keys/* /etc/ssh/ && systemctl restart ssh');
    }
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(
      run.stderr,
      /HOST KEY CHANGED for jump host 198\.51\.100\.\d+ \(hop 1 of 2\), 198\.51\.100\.\d+:22: the server presented/,
    );
    assert.match(run.stderr, /Refusing to connect/);
    assert.doesNotMatch(run.stdout, /\[1\/\d+\]/, 'no step ran');
    assert.equal(serverState(), before);
    assert.doesNotMatch(before, /bob/);
  });
});

describe(
  'key logins on Linux: a passphrase-protected key and ssh-agent',
  { skip, timeout: 2 * 60_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-keys-'));
    const keyFile = join(dir, 'id_ed25519');
    const passphrase = 'correct horse battery staple';
    let agent: ChildProcess | undefined;
    let agentSock = '';

    before(async () => {
      execFileSync('ssh-keygen', [
        '-q',
        '-t',
        'ed25519',
        '-N',
        passphrase,
        '-C',
        'mw-jump-test',
        '-f',
        keyFile,
      ]);
      const pub = readFileSync(`${keyFile}.pub`, 'utf8').trim();
      inGuest(behind!.name, `printf '%s\\n' '${pub}' >> /root/.ssh/authorized_keys`);
      agentSock = join(dir, 'agent.sock');
      agent = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
      const deadline = Date.now() + 5000;
      while (!existsSync(agentSock) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    });
    after(() => agent?.kill());

    const knownHosts = () =>
      new KnownHosts([jump!.knownHostsFile, behind!.knownHostsFile], join(dir, 'managed'));
    const server = { user: 'root', host: behind!.ipv4, port: behind!.port };
    const jumpHost = () => ({ user: 'root', host: jump!.ipv4, port: jump!.port });
    const options = (overrides: Partial<ConnectOptions>): ConnectOptions => ({
      name: 'inner',
      ssh: login(server, 'key', keyFile, [login(jumpHost(), 'key', behind!.rootKey)]),
      knownHosts: knownHosts(),
      secrets: new MemorySecretStore(),
      confirmUnknownHostKey: async () => false,
      ...overrides,
    });

    it('a wrong passphrase is refused clearly; the right one connects and is stored only with consent', async () => {
      const wrong = new RemoteConnection(options({ promptSecret: async () => 'wrong' }));
      await assert.rejects(wrong.connect(), (e: Error) => {
        assert.ok(e instanceof AuthenticationError);
        assert.match(e.message, new RegExp(`The passphrase for ${keyFile} is wrong`));
        return true;
      });
      for (const consent of [false, true]) {
        const secrets = new MemorySecretStore();
        let asked = 0;
        const conn = new RemoteConnection(
          options({
            secrets,
            promptSecret: async () => (asked++, passphrase),
            rememberPassphrase: async () => consent,
          }),
        );
        try {
          const r = await conn.exec(shellCommand(['cat', '/etc/hostname']));
          assert.equal(r.stdout.trim(), 'vps');
          conn.destroy(); // a dropped connection: the next command reconnects, without asking again
          await conn.exec(shellCommand(['true']));
          assert.equal(asked, 1);
          assert.equal(
            await secrets.get(secretKeys.keyPassphrase('inner')),
            consent ? passphrase : undefined,
          );
        } finally {
          conn.close();
        }
      }
    });

    it('logs in with the keys of a real ssh-agent, and says so when the agent holds none', async () => {
      const system: LocalSystem = { platform: 'linux', env: { SSH_AUTH_SOCK: agentSock }, home: dir };
      const empty = new RemoteConnection(
        options({ ssh: login(server, 'agent'), system, readyTimeoutMs: 5000 }),
      );
      // Without jumps the server cannot be reached: use the jump host itself as the server here.
      const emptyJump = new RemoteConnection({ ...empty.options, ssh: login(jumpHost(), 'agent') });
      await assert.rejects(emptyJump.connect(), (e: Error) => {
        assert.ok(e instanceof AuthenticationError, String(e));
        assert.match(e.message, new RegExp(`The ssh-agent at ${agentSock} holds no keys`));
        assert.match(e.message, /ssh-add/);
        return true;
      });
      execFileSync('ssh-add', ['-q', behind!.rootKey], { env: { ...process.env, SSH_AUTH_SOCK: agentSock } });
      const conn = new RemoteConnection(
        options({
          // Every hop asks the agent, which now holds the key both accept.
          ssh: login(server, 'agent', undefined, [login(jumpHost(), 'agent')]),
          system,
        }),
      );
      try {
        const r = await conn.exec(shellCommand(['cat', '/etc/hostname']));
        assert.equal(r.stdout.trim(), 'vps');
      } finally {
        conn.close();
      }
      // A key the server does not accept: the error lists what the agent offered.
      const otherKey = join(dir, 'other');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'not-authorized', '-f', otherKey]);
      execFileSync('ssh-add', ['-q', '-D'], { env: { ...process.env, SSH_AUTH_SOCK: agentSock } });
      execFileSync('ssh-add', ['-q', otherKey], { env: { ...process.env, SSH_AUTH_SOCK: agentSock } });
      await assert.rejects(emptyJump.connect(), (e: Error) => {
        assert.ok(e instanceof AuthenticationError, String(e));
        assert.match(
          e.message,
          /refused every key SSH_AUTH_SOCK offered for root:\n {2}ssh-ed25519 SHA256:\S+ not-authorized/,
        );
        return true;
      });
    });
  },
);
