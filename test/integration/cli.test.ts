// The built command line (dist/cli.js) as a user meets it: Ctrl-C while connecting, the connect
// timeout, and the errors a user can fix, each told as one paragraph without a stack trace (and
// with it under --debug); text from the server never reaches the terminal raw.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { shellScript, type RemoteConnection } from '../../src/core/remote';
import { connect, sandboxes, skipReason, type SandboxInstance } from './sandbox-instances';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const STACK = /\n\s+at .+:\d+:\d+/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs dist/cli.js; `onStart` gets the child (to send it a signal). */
function cli(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; onStart?: (pid: number) => void } = {},
) {
  return new Promise<Run>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, SSH_AUTH_SOCK: '', MAILWRIGHT_DEBUG: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
    opts.onStart?.(child.pid!);
  });
}

/**
 * A TCP port on loopback that drops SYNs: a listener that never accepts (its process is blocked),
 * its accept queue filled; the kernel then drops every further SYN, as a firewall's DROP would.
 */
async function blackhole(): Promise<{ port: number; close: () => void }> {
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const s = require('net').createServer();
       s.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
         process.stdout.write(s.address().port + '\\n', () =>
           Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
       });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve) =>
    holder.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
  );
  // Fill the accept queue (backlog + 1) and one more: those after it stay in SYN-SENT.
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const s = tcpConnect(port, '127.0.0.1');
    s.on('error', () => undefined);
    fillers.push(s);
  }
  await new Promise((r) => setTimeout(r, 300));
  return {
    port,
    close: () => {
      fillers.forEach((s) => s.destroy());
      holder.kill('SIGKILL');
    },
  };
}

function workspace(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mw-cli-errors-'));
  writeFileSync(join(dir, 'mailwright.yaml'), yaml);
  return dir;
}

function hostYaml(ssh: string, identityFile: string, extra: string[] = []): string {
  return [
    'version: 1',
    'hosts:',
    '  - name: vps',
    `    ssh: ${ssh}`,
    `    identityFile: ${identityFile}`,
    '    mailHost: smtp.example.test',
    '    domains:',
    `      - name: cli${process.pid}.test`,
    '        users: [carol]',
    `        aliases: { carol: carol@elsewhere.test, '*': carol }`,
    ...extra,
    '',
  ].join('\n');
}

/** A throwaway key: these connections fail before any key is offered. */
const anyKey = join(mkdtempSync(join(tmpdir(), 'mw-cli-key-')), 'id_ed25519');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', anyKey]);

describe('the CLI while connecting', () => {
  let hole: Awaited<ReturnType<typeof blackhole>>;
  before(async () => {
    hole = await blackhole();
  });
  after(() => hole.close());

  it('Ctrl-C ends a connection attempt at once and exits 130', async () => {
    let sent = 0;
    const run = await cli(
      ['facts', '--host', `root@127.0.0.1:${hole.port}`, '-i', anyKey, '--connect-timeout', '30'],
      {
        onStart: (pid) =>
          setTimeout(() => {
            sent = performance.now();
            process.kill(pid, 'SIGINT');
          }, 1000),
      },
    );
    assert.equal(run.code, 130, run.stderr);
    assert.ok(sent > 0, 'SIGINT was sent while connecting');
    assert.ok(run.ms < 2500, `exited ${Math.round(run.ms)} ms after start (SIGINT at 1000 ms)`);
    assert.match(run.stderr, /cancelled/);
    assert.doesNotMatch(run.stderr, STACK);
  });

  it('says how long it waited for the connection and what to check', async () => {
    const run = await cli([
      'facts',
      '--host',
      `root@127.0.0.1:${hole.port}`,
      '-i',
      anyKey,
      '--connect-timeout',
      '1',
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`No SSH connection to root@127\\.0\\.0\\.1:${hole.port} within 1 s`));
    assert.match(run.stderr, /host name or address and the port/);
    assert.match(run.stderr, /firewall/);
    assert.doesNotMatch(run.stderr, STACK);
    assert.ok(run.ms < 5000, `${Math.round(run.ms)} ms`);
  });

  it('tells a closed port as such (exit 1, no stack)', async () => {
    const closed: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      closed.listen(0, '127.0.0.1', () => resolve((closed.address() as { port: number }).port)),
    );
    await new Promise((r) => closed.close(r));
    const run = await cli(['facts', '--host', `root@127.0.0.1:${port}`, '-i', anyKey]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /^mailwright: Nothing accepts connections on root@127\.0\.0\.1:\d+ \(connection refused\)\.\nIs sshd running/,
    );
    assert.doesNotMatch(run.stderr, STACK);
  });
});

describe('the CLI on errors in what it is given', () => {
  it('refuses a "|" alias target in mailwright.yaml with its position and a hint (exit 2)', async () => {
    const yaml = hostYaml('root@127.0.0.1:9', anyKey).replace(
      `aliases: { carol: carol@elsewhere.test, '*': carol }`,
      `aliases: { carol: "|/tmp/run@sink.test" }`,
    );
    const dir = workspace(yaml);
    const run = await cli(['plan'], { cwd: dir });
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /mailwright\.yaml:10:\d+: hosts\[0\]\.domains\[0\]\.aliases\.carol: "\|\/tmp\/run@sink\.test" starts with "\|": chasquid would run it as a command/,
    );
    assert.match(run.stderr, /Alias targets are addresses or users/);
    assert.doesNotMatch(run.stderr, STACK);
    assert.doesNotMatch(run.stderr, /RangeError/);

    const debug = await cli(['plan', '--debug'], { cwd: dir });
    assert.equal(debug.code, 2);
    assert.match(debug.stderr, STACK, '--debug shows the stack');
    const env = await cli(['plan'], { cwd: dir, env: { MAILWRIGHT_DEBUG: '1' } });
    assert.match(env.stderr, STACK, 'MAILWRIGHT_DEBUG=1 shows the stack');
  });

  it('refuses invalid YAML with its position (exit 2)', async () => {
    const dir = workspace('version: 1\nhosts:\n  - name: vps\n    ssh: [unclosed\n');
    const run = await cli(['plan'], { cwd: dir });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /mailwright\.yaml:\d+:\d+: /);
    assert.doesNotMatch(run.stderr, STACK);
  });

  it('answers --help and refuses an unknown flag by name (exit 2)', async () => {
    const help = await cli(['apply', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: mailwright apply \[options\]/);
    assert.match(help.stdout, /--keep-drift/);
    const bad = await cli(['apply', '--kep-drift']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option --kep-drift for mailwright apply\. Its options: .*--keep-drift/);
    assert.equal(bad.stdout, '');
  });
});

const instances = sandboxes();

describe('the CLI against a server (sandbox VPS)', { skip: instances.length === 0 && skipReason }, () => {
  const instance = instances[0] as SandboxInstance;
  let root: RemoteConnection;
  before(async () => {
    root = connect(instance);
    // A login without sudo rights, with root's key.
    await root.exec(
      shellScript(
        'id nosudo >/dev/null 2>&1 || useradd -m -s /bin/sh nosudo; install -d -o nosudo -m 700 ~nosudo/.ssh; install -o nosudo -m 600 /root/.ssh/authorized_keys ~nosudo/.ssh/authorized_keys',
      ),
    );
  });
  after(() => root?.close());

  const target = (user: string) => `${user}@${instance.ipv4}:${instance.port}`;
  const knownHosts = () => ['--known-hosts', instance.knownHostsFile];

  it('refuses a changed host key, naming both keys (exit 1, no stack)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mw-kh-')), 'known_hosts');
    const other = 'AAAAC3NzaC1lZDI1NTE5AAAAIKxLw3c5Ar0tcmUcp4KDuVb5KOBhk9Gkx5rB0zcOqPTl';
    writeFileSync(file, `${instance.ipv4} ssh-ed25519 ${other}\n`);
    const run = await cli(['facts', '--host', target('root'), '-i', instance.rootKey, '--known-hosts', file]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /HOST KEY CHANGED for /);
    assert.match(run.stderr, /delete the line\(s\) named above/);
    assert.doesNotMatch(run.stderr, STACK);
  });

  it('tells a login without sudo rights what to do (exit 1, no stack)', async () => {
    const dir = workspace(hostYaml(target('nosudo'), instance.rootKey));
    const run = await cli(['apply', '--yes', ...knownHosts()], {
      cwd: dir,
      env: { [`MAILWRIGHT_USER_PASSWORD_CAROL_CLI${process.pid}_TEST`]: 'a long enough password' },
    });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(
      run.stderr,
      'mailwright: nosudo cannot become root on vps: log in as root or a sudo user.\n',
    );
    assert.doesNotMatch(run.stdout + run.stderr, STACK);
  });

  it('names the variable for a missing sudo password (exit 1, no stack)', async () => {
    const dir = workspace(hostYaml(target(instance.sudoPasswordUser), instance.sudoPasswordUserKey));
    const run = await cli(['apply', '--yes', ...knownHosts()], {
      cwd: dir,
      env: { [`MAILWRIGHT_USER_PASSWORD_CAROL_CLI${process.pid}_TEST`]: 'a long enough password' },
    });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /^mailwright: ops needs a sudo password on vps .*MAILWRIGHT_SUDO_PASSWORD/);
    assert.doesNotMatch(run.stdout + run.stderr, STACK);
  });

  it("shows the server's text escaped in the plan: no raw escape sequence", async () => {
    // The OS name of the plan's first line comes from the server's /etc/os-release: here with
    // escape sequences that would clear the screen and retitle the terminal. (A line break cannot
    // come through os-release; the unit tests of the writers cover forged lines.)
    await root.exec(
      shellScript(
        "cp -P /etc/os-release /etc/os-release.mw-test && rm /etc/os-release && { grep -v '^PRETTY_NAME=' /usr/lib/os-release; printf 'PRETTY_NAME=\"Debian\\033[2J\\033]0;owned\\007 evil\"\\n'; } > /etc/os-release",
      ),
      { sudo: true },
    );
    try {
      const dir = workspace(hostYaml(target('root'), instance.rootKey));
      const run = await cli(['plan', ...knownHosts()], { cwd: dir });
      assert.equal(run.code, 0, run.stderr);
      const first = run.stdout.split('\n')[0]!;
      assert.match(first, /^Plan for vps \(root@.*, Debian\\x1b\[2J\\x1b\]0;owned\\x07 evil\):$/, first);
      // eslint-disable-next-line no-control-regex -- the point: no raw control character
      assert.doesNotMatch(run.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    } finally {
      await root.exec(shellScript('mv -f /etc/os-release.mw-test /etc/os-release'), { sudo: true });
    }
  });
});
