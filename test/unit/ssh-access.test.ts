// How Mailwright finds its way to a server on each OS: key and known_hosts paths, the SSH agent
// (Linux, macOS, Windows), jump hosts in mailwright.yaml, and what a user reads when a hop or a
// key fails. Other platforms are injected; the sockets, keys and servers here are real.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/core/config';
import { expandUserPath, type LocalSystem } from '../../src/core/local-path';
import {
  AuthenticationError,
  chooseAgent,
  ConnectionPool,
  connectionKey,
  defaultKnownHosts,
  hostSshRequest,
  KnownHosts,
  MemorySecretStore,
  PAGEANT,
  RemoteConnection,
  RemoteError,
  secretKeys,
  TimeoutError,
  resolveSsh,
  WINDOWS_OPENSSH_AGENT_PIPE,
  type ConnectOptions,
  type SshRequest,
} from '../../src/core/remote';

const linux: LocalSystem = { platform: 'linux', env: {}, home: '/home/ann' };
const darwin: LocalSystem = { platform: 'darwin', env: {}, home: '/Users/ann' };
const windows: LocalSystem = {
  platform: 'win32',
  env: { USERPROFILE: 'C:\\Users\\ann', APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' },
  home: 'C:\\Users\\ann',
};
/** A login resolved as the extension and the command line resolve it, with no SSH configuration read. */
const login = (request: Omit<SshRequest, 'origin'>, system: LocalSystem = linux) =>
  resolveSsh(
    { origin: 'mailwright.yaml', ...request },
    {
      configFile: null,
      env: {
        platform: system.platform,
        home: system.home,
        localUser: 'ann',
        env: system.env,
        readFile: () => {
          throw Object.assign(new Error('none'), { code: 'ENOENT' });
        },
        readDir: () => [],
      },
    },
  );
const withEnv = (system: LocalSystem, env: NodeJS.ProcessEnv): LocalSystem => ({
  ...system,
  env: { ...system.env, ...env },
});

describe('local paths per OS', () => {
  it('expands ~ on Linux and macOS and leaves other text alone', () => {
    assert.equal(expandUserPath('~/.ssh/id_ed25519', linux), '/home/ann/.ssh/id_ed25519');
    assert.equal(expandUserPath('~', darwin), '/Users/ann');
    assert.equal(expandUserPath('~/.ssh/id_ed25519', darwin), '/Users/ann/.ssh/id_ed25519');
    assert.equal(expandUserPath('~bob/.ssh/key', linux), '~bob/.ssh/key');
    assert.equal(expandUserPath('/etc/key', linux), '/etc/key');
    // A backslash is an ordinary character in a Linux file name, and %NAME% is not expanded.
    assert.equal(expandUserPath('~\\key', linux), '~\\key');
    assert.equal(expandUserPath('%HOME%/key', withEnv(linux, { HOME: '/x' })), '%HOME%/key');
  });

  it('expands ~, ~\\ and %VARIABLE% on Windows, with backslashes', () => {
    assert.equal(expandUserPath('~/.ssh/id_ed25519', windows), 'C:\\Users\\ann\\.ssh\\id_ed25519');
    assert.equal(expandUserPath('~\\.ssh\\id_ed25519', windows), 'C:\\Users\\ann\\.ssh\\id_ed25519');
    assert.equal(expandUserPath('%USERPROFILE%\\.ssh\\id_rsa', windows), 'C:\\Users\\ann\\.ssh\\id_rsa');
    // Variable names are case-insensitive on Windows; unknown ones stay as written.
    assert.equal(expandUserPath('%userprofile%/.ssh/key', windows), 'C:\\Users\\ann\\.ssh\\key');
    assert.equal(expandUserPath('%NOPE%\\key', windows), '%NOPE%\\key');
    assert.equal(expandUserPath('D:/keys/server', windows), 'D:\\keys\\server');
  });

  it('puts the known_hosts files where each OS keeps them', () => {
    const onLinux = defaultKnownHosts(linux);
    assert.deepEqual(onLinux.readOnlyFiles, ['/home/ann/.ssh/known_hosts']);
    assert.equal(onLinux.managedFile, '/home/ann/.config/mailwright/known_hosts');
    assert.equal(
      defaultKnownHosts(withEnv(darwin, { XDG_CONFIG_HOME: '/Users/ann/cfg' })).managedFile,
      '/Users/ann/cfg/mailwright/known_hosts',
    );
    const onWindows = defaultKnownHosts(windows);
    assert.deepEqual(onWindows.readOnlyFiles, ['C:\\Users\\ann\\.ssh\\known_hosts']);
    assert.equal(onWindows.managedFile, 'C:\\Users\\ann\\AppData\\Roaming\\mailwright\\known_hosts');
  });
});

describe('which SSH agent is asked', () => {
  const none = () => false;
  const only =
    (...paths: string[]) =>
    (p: string) =>
      paths.includes(p);

  it('Linux and macOS: the socket in SSH_AUTH_SOCK, when it is there', () => {
    for (const system of [linux, darwin]) {
      const sock = '/tmp/ssh-XXXX/agent.1';
      assert.deepEqual(
        chooseAgent(undefined, { system: withEnv(system, { SSH_AUTH_SOCK: sock }), exists: only(sock) }),
        {
          ok: true,
          agent: sock,
          from: 'SSH_AUTH_SOCK',
        },
      );
      const missing = chooseAgent(undefined, {
        system: withEnv(system, { SSH_AUTH_SOCK: sock }),
        exists: none,
      });
      assert.deepEqual(missing, { ok: false, tried: `SSH_AUTH_SOCK: nothing at ${sock}` });
      assert.deepEqual(chooseAgent(undefined, { system, exists: none }), {
        ok: false,
        tried: 'SSH_AUTH_SOCK is not set',
      });
      // An empty variable is no agent, as in OpenSSH.
      assert.equal(
        chooseAgent(undefined, { system: withEnv(system, { SSH_AUTH_SOCK: '' }), exists: none }).ok,
        false,
      );
    }
  });

  it('Windows: SSH_AUTH_SOCK, else the OpenSSH agent pipe, else Pageant', () => {
    const pipe = chooseAgent(undefined, { system: windows, exists: only(WINDOWS_OPENSSH_AGENT_PIPE) });
    assert.deepEqual(pipe, {
      ok: true,
      agent: '\\\\.\\pipe\\openssh-ssh-agent',
      from: 'the Windows OpenSSH agent',
    });
    const pageant = chooseAgent(undefined, { system: windows, exists: none });
    assert.equal(pageant.ok && pageant.agent, PAGEANT);
    const own = '\\\\.\\pipe\\my-agent';
    const fromEnv = chooseAgent(undefined, {
      system: withEnv(windows, { ssh_auth_sock: own }),
      exists: only(own, WINDOWS_OPENSSH_AGENT_PIPE),
    });
    assert.equal(fromEnv.ok && fromEnv.agent, own);
    assert.equal(chooseAgent('pageant', { system: windows, exists: none }).ok, true);
  });

  it('IdentityAgent: a path (with ~), SSH_AUTH_SOCK, $VARIABLE or none', () => {
    const onePassword = '/Users/ann/.1password/agent.sock';
    assert.deepEqual(chooseAgent('~/.1password/agent.sock', { system: darwin, exists: only(onePassword) }), {
      ok: true,
      agent: onePassword,
      from: 'IdentityAgent ~/.1password/agent.sock',
    });
    const env = withEnv(linux, { SSH_AUTH_SOCK: '/run/a', OTHER_SOCK: '/run/b' });
    const exists = only('/run/a', '/run/b');
    assert.equal(chooseAgent('SSH_AUTH_SOCK', { system: env, exists }).ok && '/run/a', '/run/a');
    const other = chooseAgent('$OTHER_SOCK', { system: env, exists });
    assert.equal(other.ok && other.agent, '/run/b');
    assert.deepEqual(chooseAgent('$UNSET_SOCK', { system: env, exists }), {
      ok: false,
      tried: 'IdentityAgent $UNSET_SOCK: the variable UNSET_SOCK is not set',
    });
    assert.equal(chooseAgent('none', { system: env, exists }).ok, false);
    const win = chooseAgent('%USERPROFILE%\\agent.pipe', { system: windows, exists: none });
    assert.deepEqual(win, {
      ok: false,
      tried: 'IdentityAgent %USERPROFILE%\\agent.pipe: nothing at C:\\Users\\ann\\agent.pipe',
    });
  });
});

describe('jump hosts in mailwright.yaml', () => {
  const yaml = (jump: string) => `version: 1
hosts:
  - name: vps
    ssh: root@10.1.2.3
    identityFile: ~/.ssh/id_ed25519
    ${jump}
    mailHost: mail.example.com
    domains: []
`;

  it('reads one jump host or a list, first hop first, with the [user@]host[:port] rule', () => {
    const one = parseConfig(yaml('jump: admin@bastion.example.com:2222'));
    assert.deepEqual(one.config?.hosts[0]?.jump, ['admin@bastion.example.com:2222']);
    const two = parseConfig(yaml('jump: [bastion.example.com, "ops@[fd00::1]"]'));
    const host = two.config!.hosts[0]!;
    assert.deepEqual(host.jump, ['bastion.example.com', 'ops@[fd00::1]']);
    const ssh = login(hostSshRequest(host));
    assert.deepEqual(
      ssh.jumps.map((j) => j.target),
      [
        { user: 'root', host: 'bastion.example.com', port: 22 },
        { user: 'ops', host: 'fd00::1', port: 22 },
      ],
    );
    assert.equal(ssh.origins.proxyJump, 'mailwright.yaml');
    // Jump hosts written in mailwright.yaml log in like the host: the same key.
    assert.deepEqual(ssh.identityFiles, ['/home/ann/.ssh/id_ed25519']);
    assert.ok(ssh.jumps.every((j) => j.identityFiles[0] === '/home/ann/.ssh/id_ed25519'));
  });

  it('refuses a bad jump host with its place in the list', () => {
    const bad = parseConfig(yaml('jump: [bastion.example.com, "a@@b"]'));
    assert.equal(bad.config, undefined);
    const issue = bad.issues.find((i) => i.severity === 'error');
    assert.equal(issue?.path, 'hosts[0].jump[1]');
    assert.match(issue?.message ?? '', /"a@@b" is not a valid SSH target/);
  });

  it('gives every different way to a host its own pooled connection', () => {
    const base = { name: 'vps', ssh: login({ ssh: 'root@10.1.2.3', auth: 'key' }) };
    const viaA = { name: 'vps', ssh: login({ ssh: 'root@10.1.2.3', auth: 'key', jumps: ['a'] }) };
    const viaB = { name: 'vps', ssh: login({ ssh: 'root@10.1.2.3', auth: 'key', jumps: ['b'] }) };
    const viaAB = { name: 'vps', ssh: login({ ssh: 'root@10.1.2.3', auth: 'key', jumps: ['a', 'b'] }) };
    const keys = new Set([
      connectionKey(base),
      connectionKey(viaA),
      connectionKey(viaB),
      connectionKey(viaAB),
    ]);
    assert.equal(keys.size, 4);
    const pool = new ConnectionPool({
      knownHosts: new KnownHosts([], join(tmpdir(), 'mw-unused-known-hosts')),
      secrets: new MemorySecretStore(),
      confirmUnknownHostKey: async () => false,
    });
    const again = { name: 'vps', ssh: login({ ssh: 'root@10.1.2.3', auth: 'key', jumps: ['a'] }) };
    const first = pool.get(viaA);
    assert.equal(pool.get(again), first);
    const second = pool.get(viaB);
    assert.notEqual(second, first, 'another jump host is another connection');
    assert.deepEqual(second.options.ssh.jumps, viaB.ssh.jumps);
    pool.closeAll();
    assert.equal(connectionKey(viaA), connectionKey(again));
  });
});

describe('connecting: errors that name the hop, passphrases asked once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-ssh-access-'));
  const keyFile = join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'right horse', '-C', 'test', '-f', keyFile]);
  let silent: Server;
  let silentPort = 0;
  let closedPort = 0;
  const sockets = new Set<Socket>();

  before(async () => {
    // A TCP server that accepts and never speaks SSH: a jump host that does not answer.
    silent = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as AddressInfo).port;
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
  });
  after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });

  function connection(
    overrides: Partial<ConnectOptions>,
    request: Partial<SshRequest> = {},
    system: LocalSystem = linux,
  ): RemoteConnection {
    return new RemoteConnection({
      name: 'vps',
      ssh: login({ ssh: 'root@10.9.9.9:22', auth: 'key', identityFile: keyFile, ...request }, system),
      knownHosts: new KnownHosts([], join(dir, 'known_hosts')),
      secrets: new MemorySecretStore(),
      confirmUnknownHostKey: async () => false,
      readyTimeoutMs: 1000,
      ...overrides,
    });
  }

  it('a jump host that does not answer is named with its hop and the time waited', async () => {
    const conn = connection(
      { promptSecret: async () => 'right horse' },
      { jumps: [`root@127.0.0.1:${silentPort}`, 'root@inner:22'] },
    );
    await assert.rejects(conn.connect(), (e: Error) => {
      assert.ok(e instanceof TimeoutError, String(e));
      assert.match(e.message, /^jump host 127\.0\.0\.1 \(hop 1 of 3\) did not answer within 1 s/);
      return true;
    });
  });

  it('a jump host that refuses the connection is named too', async () => {
    const conn = connection(
      { promptSecret: async () => 'right horse' },
      { jumps: [`root@127.0.0.1:${closedPort}`] },
    );
    await assert.rejects(conn.connect(), (e: Error) => {
      assert.ok(e instanceof RemoteError);
      assert.match(e.message, /^Nothing accepts connections on jump host 127\.0\.0\.1 \(hop 1 of 2\)/);
      return true;
    });
  });

  it('a wrong passphrase is a clear error and is not kept', async () => {
    const secrets = new MemorySecretStore();
    let asked = 0;
    const conn = connection({
      secrets,
      promptSecret: async () => (asked++, 'wrong horse'),
      rememberPassphrase: async () => true,
    });
    await assert.rejects(conn.connect(), (e: Error) => {
      assert.ok(e instanceof AuthenticationError);
      assert.match(e.message, new RegExp(`The passphrase for ${keyFile} is wrong`));
      return true;
    });
    assert.equal(asked, 1);
    assert.equal(await secrets.get(secretKeys.keyPassphrase('vps')), undefined);
  });

  it('the right passphrase is asked once for every hop using the key, and stored only with consent', async () => {
    for (const consent of [false, true]) {
      const secrets = new MemorySecretStore();
      let asked = 0;
      const conn = connection(
        {
          secrets,
          promptSecret: async () => (asked++, 'right horse'),
          rememberPassphrase: async () => consent,
        },
        { jumps: [`root@127.0.0.1:${closedPort}`] },
      );
      // The key is read (and unlocked) before the first hop is dialled; the hop then refuses.
      await assert.rejects(conn.connect(), /Nothing accepts connections on jump host/);
      await assert.rejects(conn.connect(), /Nothing accepts connections on jump host/);
      assert.equal(asked, 1, 'asked once per connection, also when it is retried');
      assert.equal(await secrets.get(secretKeys.keyPassphrase('vps')), consent ? 'right horse' : undefined);
    }
  });

  it('without an agent, says which variable or pipe was tried and how to start one', async () => {
    const conn = connection({ system: linux }, { auth: 'agent', identityFile: undefined });
    await assert.rejects(conn.connect(), (e: Error) => {
      assert.ok(e instanceof AuthenticationError);
      assert.match(
        e.message,
        /10\.9\.9\.9:22 is to be logged in to with an SSH agent, but there is no agent to ask \(SSH_AUTH_SOCK is not set\)/,
      );
      assert.match(e.message, /ssh-add/);
      return true;
    });
    const onWindows = connection(
      { system: windows },
      { auth: 'agent', identityFile: undefined, identityAgent: 'none' },
      windows,
    );
    await assert.rejects(onWindows.connect(), /IdentityAgent is "none"[\s\S]*OpenSSH Authentication Agent/);
  });

  it('a key file that does not exist names the expanded path', async () => {
    const home = { ...linux, home: dir };
    const conn = connection({ system: home }, { identityFile: '~/.ssh/nope' }, home);
    await assert.rejects(
      conn.connect(),
      new RegExp(
        `Cannot read the private key for 10\\.9\\.9\\.9:\\n  ${join(dir, '.ssh/nope')} \\(from mailwright\\.yaml\\)`,
      ),
    );
  });
});
