// The built command line (dist/cli.js) reaching a sandbox VPS named only by a Host alias of an SSH
// client configuration in a temporary folder (chosen with --ssh-config or MAILWRIGHT_SSH_CONFIG):
// mailwright.yaml says `ssh: <alias>` and nothing else about the login. Then the errors a user
// meets with such a configuration, each one paragraph naming the file and line.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sandboxes, skipReason, type SandboxInstance } from './sandbox-instances';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const STACK = /\n\s+at .+:\d+:\d+/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, SSH_AUTH_SOCK: '', MAILWRIGHT_DEBUG: '', MAILWRIGHT_SSH_CONFIG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const ALIAS = 'mwvps';

/** The SSH configuration: line numbers matter to the assertions (HostName is line 3). */
function sshConfig(vps: SandboxInstance, identityFile: string, extra: string[] = []): string {
  return [
    '# written by the test',
    `Host ${ALIAS}`,
    `  HostName ${vps.ipv4}`,
    `  Port=${vps.port}`,
    '  User "root"',
    `  IdentityFile ${identityFile}`,
    `  UserKnownHostsFile ${vps.knownHostsFile}`,
    ...extra,
    'Host *',
    '  ForwardAgent yes',
    '',
  ].join('\r\n');
}

function yaml(ssh: string, extra: string[] = []): string {
  return [
    'version: 1',
    'hosts:',
    '  - name: vps',
    `    ssh: ${ssh}`,
    ...extra,
    '    mailHost: smtp.example.test',
    '    domains:',
    `      - name: alias${process.pid}.test`,
    '        users: []',
    `        aliases: { '*': you@elsewhere.test }`,
    '',
  ].join('\n');
}

const instances = sandboxes().filter((s) => s.suite === 'trixie');

describe(
  'a server named by its Host alias in an SSH configuration',
  { skip: instances.length === 0 && skipReason },
  () => {
    const vps = instances[0]!;
    let dir: string;
    let config: string;
    /** Mailwright's own known-hosts file: empty, so trust can come only from UserKnownHostsFile. */
    let knownHosts: string;

    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'mw-ssh-config-'));
      config = join(dir, 'ssh_config');
      knownHosts = join(dir, 'mailwright_known_hosts');
      writeFileSync(config, sshConfig(vps, vps.rootKey));
      writeFileSync(join(dir, 'mailwright.yaml'), yaml(ALIAS));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('plans through the alias given with --ssh-config, and says what it ignores', async () => {
      const run = await cli(
        ['plan', '--host', 'vps', '--ssh-config', config, '--known-hosts', knownHosts],
        dir,
      );
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /Plan for vps/);
      assert.match(
        run.stderr,
        new RegExp(`${config}:9: ForwardAgent is not supported by Mailwright and is ignored for ${ALIAS}`),
      );
    });

    it('plans the same with MAILWRIGHT_SSH_CONFIG, and facts take the alias as --host', async () => {
      const plan = await cli(['plan', '--host', 'vps', '--known-hosts', knownHosts], dir, {
        MAILWRIGHT_SSH_CONFIG: config,
      });
      assert.equal(plan.code, 0, plan.stderr);
      const facts = await cli(['facts', '--host', ALIAS, '--known-hosts', knownHosts], dir, {
        MAILWRIGHT_SSH_CONFIG: config,
      });
      assert.equal(facts.code, 0, facts.stderr);
      const parsed = JSON.parse(facts.stdout) as { addresses: { ipv4: string[] } };
      assert.ok(parsed.addresses.ipv4.includes(vps.ipv4), facts.stdout.slice(0, 400));
    });

    it('explains each value with its origin, without connecting', async () => {
      const run = await cli(['ssh-config', '--host', 'vps', '--ssh-config', config, '--json'], dir);
      assert.equal(run.code, 0, run.stderr);
      const r = JSON.parse(run.stdout) as {
        target: unknown;
        origins: Record<string, string>;
        identityFiles: string[];
      };
      assert.deepEqual(r.target, { user: 'root', host: vps.ipv4, port: vps.port });
      assert.equal(r.origins.host, `${config}:3`);
      assert.equal(r.origins.port, `${config}:4`);
      assert.equal(r.origins.user, `${config}:5`);
      assert.equal(r.origins['identityFiles[0]'], `${config}:6`);
      assert.deepEqual(r.identityFiles, [vps.rootKey]);
      const text = await cli(['ssh-config', '--host', 'vps', '--ssh-config', config], dir);
      assert.match(text.stdout, new RegExp(`host +${vps.ipv4.replace(/\./g, '\\.')} +${config}:3`));
    });

    it('a misspelt alias: not a Host of the file (did you mean …?) and not a host name', async () => {
      const work = mkdtempSync(join(dir, 'typo-'));
      writeFileSync(join(work, 'mailwright.yaml'), yaml('mwvsp'));
      const run = await cli(['plan', '--host', 'vps', '--ssh-config', config], work);
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `"mwvsp": it is not a Host in ${config} \\(did you mean ${ALIAS}\\?\\) and not a host name`,
        ),
      );
      assert.match(run.stderr, new RegExp(`Write ssh: ${ALIAS} in mailwright.yaml`));
      assert.doesNotMatch(run.stderr, STACK);
    });

    it('a key the server refuses: every key tried, and where each was named', async () => {
      const keyDir = mkdtempSync(join(dir, 'key-'));
      const stranger = join(keyDir, 'id_stranger');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
      const refused = join(keyDir, 'ssh_config');
      writeFileSync(refused, sshConfig(vps, stranger));
      const run = await cli(
        ['plan', '--host', 'vps', '--ssh-config', refused, '--known-hosts', knownHosts],
        dir,
      );
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /refused the login of root \(from .*ssh_config:5\) with every key tried:/);
      assert.match(run.stderr, new RegExp(`${stranger} \\(from ${refused}:6\\)`));
      assert.match(run.stderr, /authorized_keys/);
      assert.doesNotMatch(run.stderr, STACK);
    });

    it('an identity file that cannot be read: which file, from which line', async () => {
      const missing = join(dir, 'no-such-key');
      const broken = join(dir, 'ssh_config_missing_key');
      writeFileSync(broken, sshConfig(vps, missing));
      const run = await cli(
        ['plan', '--host', 'vps', '--ssh-config', broken, '--known-hosts', knownHosts],
        dir,
      );
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(`Cannot read the private key for ${ALIAS}:\\n  ${missing} \\(from ${broken}:6\\)`),
      );
      assert.doesNotMatch(run.stderr, STACK);
    });

    it('an agent with no keys, named by IdentityAgent', async () => {
      const socket = join(dir, 'agent.sock');
      const agent = spawnSync('ssh-agent', ['-a', socket, '-s'], { encoding: 'utf8' });
      const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1]);
      try {
        const agentConfig = join(dir, 'ssh_config_agent');
        writeFileSync(agentConfig, sshConfig(vps, vps.rootKey, [`  IdentityAgent ${socket}`]));
        const work = mkdtempSync(join(dir, 'agent-'));
        writeFileSync(join(work, 'mailwright.yaml'), yaml(ALIAS, ['    auth: agent']));
        const run = await cli(
          ['plan', '--host', 'vps', '--ssh-config', agentConfig, '--known-hosts', knownHosts],
          work,
        );
        assert.equal(run.code, 1, run.stderr);
        assert.match(
          run.stderr,
          new RegExp(`ssh-agent at ${socket} \\(IdentityAgent at ${agentConfig}:8\\) holds no keys`),
        );
        assert.match(run.stderr, /ssh-add/);
        assert.doesNotMatch(run.stderr, STACK);
      } finally {
        if (pid) process.kill(pid);
      }
    });

    it('a configuration that does not parse: the file and the line', async () => {
      const bad = join(dir, 'ssh_config_bad');
      writeFileSync(bad, `Host ${ALIAS}\n  HostName ${vps.ipv4}\n  IdentityFile "${vps.rootKey}\n`);
      const run = await cli(['plan', '--host', 'vps', '--ssh-config', bad], dir);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`${bad}:3 cannot be read as an SSH client configuration`));
      assert.doesNotMatch(run.stderr, STACK);
    });
  },
);
