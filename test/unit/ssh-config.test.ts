import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  directSsh,
  listHostAliases,
  resolveSsh,
  SshConfigError,
  type SshEnvironment,
  type SshRequest,
} from '../../src/core/remote';

/** A machine made of a few files: the Linux one at /home/me, or a Windows one at C:\Users\me. */
function machine(
  files: Record<string, string>,
  opts: { platform?: NodeJS.Platform; env?: Record<string, string> } = {},
): SshEnvironment {
  const platform = opts.platform ?? 'linux';
  const home = platform === 'win32' ? 'C:\\Users\\me' : '/home/me';
  const sep = platform === 'win32' ? '\\' : '/';
  return {
    platform,
    home,
    localUser: 'me',
    env: opts.env ?? {},
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
    readDir: (dir) => {
      const prefix = dir.endsWith(sep) ? dir : dir + sep;
      const names = Object.keys(files)
        .filter((f) => f.startsWith(prefix))
        .map((f) => f.slice(prefix.length).split(sep)[0]!);
      if (names.length === 0) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return [...new Set(names)];
    },
  };
}

const CONFIG = '/home/me/.ssh/config';

function resolve(
  text: string,
  request: Partial<SshRequest> & { ssh: string },
  more: Record<string, string> = {},
) {
  const env = machine({ [CONFIG]: text, ...more });
  return resolveSsh({ origin: 'mailwright.yaml', ...request }, { env });
}

describe('resolving an SSH login through ~/.ssh/config', () => {
  it('reads an alias: HostName, User, Port, IdentityFile, each with its file and line', () => {
    const r = resolve(
      [
        '# my servers',
        'Host myvps',
        '  HostName 203.0.113.10',
        '  User admin',
        '  Port 2222',
        '  IdentityFile ~/.ssh/vps_key',
        '',
      ].join('\n'),
      { ssh: 'myvps' },
    );
    assert.deepEqual(r.target, { user: 'admin', host: '203.0.113.10', port: 2222 });
    assert.deepEqual(r.identityFiles, ['/home/me/.ssh/vps_key']);
    assert.equal(r.auth, 'key', 'an identity file from the configuration makes key the default');
    assert.equal(r.origins.host, '~/.ssh/config:3');
    assert.equal(r.origins.user, '~/.ssh/config:4');
    assert.equal(r.origins.port, '~/.ssh/config:5');
    assert.equal(r.origins['identityFiles[0]'], '~/.ssh/config:6');
    assert.deepEqual(r.warnings, []);
    assert.equal(r.unknownAlias, undefined);
  });

  it("lets what mailwright.yaml writes win, and adds its identityFile before the configuration's", () => {
    const r = resolve(
      'Host myvps\n  HostName 203.0.113.10\n  User admin\n  Port 2222\n  IdentityFile ~/.ssh/b\n',
      {
        ssh: 'root@myvps:22',
        identityFile: '~/.ssh/a',
      },
    );
    assert.deepEqual(r.target, { user: 'root', host: '203.0.113.10', port: 22 });
    assert.equal(r.origins.user, 'mailwright.yaml');
    assert.equal(r.origins.port, 'mailwright.yaml');
    assert.deepEqual(r.identityFiles, ['/home/me/.ssh/a', '/home/me/.ssh/b']);
    assert.equal(r.origins['identityFiles[0]'], 'mailwright.yaml');
    assert.equal(r.origins['identityFiles[1]'], '~/.ssh/config:5');
  });

  it('takes the first value obtained, across Host blocks, and collects every IdentityFile in order', () => {
    const r = resolve(
      [
        'Host my*',
        '  User first',
        '  IdentityFile ~/.ssh/one',
        'Host myvps',
        '  User second',
        '  HostName h.example',
        '  IdentityFile ~/.ssh/two',
        'Host *',
        '  User third',
        '  Port 2200',
      ].join('\n'),
      { ssh: 'myvps' },
    );
    assert.equal(r.target.user, 'first');
    assert.equal(r.origins.user, '~/.ssh/config:2');
    assert.equal(r.target.port, 2200);
    assert.deepEqual(r.identityFiles, ['/home/me/.ssh/one', '/home/me/.ssh/two']);
  });

  it('matches several patterns per line, ? and *, and a negated pattern excludes the host', () => {
    const text = ['Host web? !web9 db-*', '  User ops', 'Host *', '  User nobody'].join('\n');
    assert.equal(resolve(text, { ssh: 'web1' }).target.user, 'ops');
    assert.equal(resolve(text, { ssh: 'web9' }).target.user, 'nobody', 'negated');
    assert.equal(resolve(text, { ssh: 'web10' }).target.user, 'nobody', '? is one character');
    assert.equal(resolve(text, { ssh: 'db-main' }).target.user, 'ops');
    assert.equal(resolve(text, { ssh: 'WEB1' }).target.user, 'ops', 'host names are matched without case');
  });

  it('reads keywords in any case, key=value, quoted values and CRLF lines', () => {
    const text =
      'HOST myvps\r\n  hostname=198.51.100.7\r\n  USER = "deploy"\r\n  identityfile "/home/me/keys/my key"\r\n';
    const r = resolve(text, { ssh: 'myvps' });
    assert.deepEqual(r.target, { user: 'deploy', host: '198.51.100.7', port: 22 });
    assert.deepEqual(r.identityFiles, ['/home/me/keys/my key']);
    assert.equal(r.origins.user, '~/.ssh/config:3', 'CRLF lines are counted once each');
    assert.equal(r.origins['identityFiles[0]'], '~/.ssh/config:4');
  });

  it('follows Include relative to ~/.ssh, with globs in sorted order, and conditionally inside a Host block', () => {
    const r = resolve(
      [
        'Include conf.d/*.conf',
        'Host myvps',
        '  Include ~/.ssh/vps-only',
        'Host other',
        '  Include never',
      ].join('\n'),
      { ssh: 'myvps' },
      {
        '/home/me/.ssh/conf.d/20-b.conf': 'Host myvps\n  Port 2022\n',
        '/home/me/.ssh/conf.d/10-a.conf': '\nHost myvps\n  HostName 198.51.100.9\n  Port 1022\n',
        '/home/me/.ssh/conf.d/notes.txt': 'Host *\n  User wrong\n',
        '/home/me/.ssh/vps-only': 'User fromvps\n',
        '/home/me/.ssh/never': 'User never\n',
      },
    );
    assert.deepEqual(r.target, { user: 'fromvps', host: '198.51.100.9', port: 1022 });
    assert.equal(r.origins.port, '~/.ssh/conf.d/10-a.conf:4');
    assert.equal(r.origins.user, '~/.ssh/vps-only:1');
  });

  it('a Host line inside an included file does not end the including block', () => {
    const r = resolve(
      'Host myvps\n  Include inc\n  User after\n',
      { ssh: 'myvps' },
      {
        '/home/me/.ssh/inc': 'Host somethingelse\n  Port 1\n',
      },
    );
    assert.equal(r.target.user, 'after');
    assert.equal(r.target.port, 22);
  });

  it('expands %d %u %h %r %p %n, ~ and ${VAR} in IdentityFile', () => {
    const r = resolveSsh(
      { ssh: 'myvps', origin: 'mailwright.yaml' },
      {
        env: machine(
          {
            [CONFIG]:
              'Host myvps\n  HostName h.example\n  User admin\n  IdentityFile %d/k/%u-%r@%h-%n-%p-%%\n  IdentityFile ${KEYS}/x\n',
          },
          { env: { KEYS: '/keys' } },
        ),
      },
    );
    assert.deepEqual(r.identityFiles, ['/home/me/k/me-admin@h.example-myvps-22-%', '/keys/x']);
  });

  it('keeps Windows paths intact and expands %USERPROFILE% and ~ on win32', () => {
    const config = 'C:\\Users\\me\\.ssh\\config';
    const env = machine(
      {
        [config]: [
          'Host myvps',
          '  HostName 203.0.113.10',
          '  IdentityFile C:\\Users\\me\\.ssh\\id_ed25519',
          '  IdentityFile "%USERPROFILE%\\.ssh\\id_rsa"',
          '  IdentityFile ~\\.ssh\\third',
          '  Include extra',
        ].join('\r\n'),
        'C:\\Users\\me\\.ssh\\extra': 'User fromextra\r\n',
      },
      { platform: 'win32', env: { USERPROFILE: 'C:\\Users\\me' } },
    );
    const r = resolveSsh({ ssh: 'myvps', origin: 'mailwright.yaml' }, { env });
    assert.deepEqual(r.identityFiles, [
      'C:\\Users\\me\\.ssh\\id_ed25519',
      'C:\\Users\\me\\.ssh\\id_rsa',
      'C:\\Users\\me\\.ssh\\third',
    ]);
    assert.equal(r.target.user, 'fromextra', 'a relative Include is under %USERPROFILE%\\.ssh');
    assert.equal(r.origins['identityFiles[0]'], '~\\.ssh\\config:3');
    // On Linux the same text is no token: it is kept as written.
    const linux = resolve('Host x\n  IdentityFile %USERPROFILE%/k\n', { ssh: 'x' });
    assert.ok(linux.identityFiles[0]?.includes('USERPROFILE'), linux.identityFiles[0]);
  });

  it('says which lines it does not follow, naming the file and line; Match blocks are never evaluated', () => {
    const r = resolve(
      [
        'Host myvps',
        '  HostName 203.0.113.10',
        '  ProxyCommand nc %h %p',
        '  StrictHostKeyChecking no',
        '  CanonicalizeHostname yes',
        'Match exec "touch /tmp/should-not-exist"',
        '  User frommatch',
        'Host unrelated',
        '  ForwardAgent yes',
      ].join('\n'),
      { ssh: 'myvps' },
    );
    assert.equal(r.target.user, 'root', 'nothing from the Match block applies');
    assert.equal(r.warnings.length, 4, r.warnings.join('\n'));
    assert.match(r.warnings[0]!, /^~\/\.ssh\/config:3: ProxyCommand is not supported .*ProxyJump/);
    assert.match(
      r.warnings[1]!,
      /^~\/\.ssh\/config:4: StrictHostKeyChecking no does not change Mailwright's host-key check .*changed key is always refused/,
    );
    assert.match(r.warnings[2]!, /^~\/\.ssh\/config:5: CanonicalizeHostname is not supported/);
    assert.match(r.warnings[3]!, /^~\/\.ssh\/config:6: Match blocks are not supported/);
  });

  it('parses ProxyJump into hops, each resolved through the configuration, first hop first', () => {
    const r = resolve(
      [
        'Host myvps',
        '  HostName 10.0.0.5',
        '  ProxyJump ops@bastion:2222,inner',
        'Host bastion',
        '  HostName 203.0.113.1',
        '  IdentityFile ~/.ssh/bastion',
        '  ProxyJump edge',
        'Host inner',
        '  HostName 10.0.0.1',
        '  User jump',
        'Host edge',
        '  HostName 198.51.100.1',
      ].join('\n'),
      { ssh: 'myvps' },
    );
    assert.deepEqual(
      r.jumps.map((j) => j.target),
      [
        { user: 'root', host: '198.51.100.1', port: 22 },
        { user: 'ops', host: '203.0.113.1', port: 2222 },
        { user: 'jump', host: '10.0.0.1', port: 22 },
      ],
    );
    assert.deepEqual(r.jumps[1]?.identityFiles, ['/home/me/.ssh/bastion']);
    assert.equal(r.origins.proxyJump, '~/.ssh/config:3');
    assert.ok(r.jumps.every((j) => j.jumps.length === 0));
    assert.deepEqual(resolve('Host a\n  ProxyJump none\n', { ssh: 'a' }).jumps, []);
  });

  it('refuses a ProxyJump loop instead of recursing for ever', () => {
    assert.throws(
      () => resolve('Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n', { ssh: 'a' }),
      (e: unknown) =>
        e instanceof SshConfigError && /~\/\.ssh\/config:\d: the ProxyJump chain/.test(e.message),
    );
  });

  it("mailwright.yaml's jump: and identityAgent: win over ProxyJump and IdentityAgent; its hops log in like the host", () => {
    const text = [
      'Host myvps',
      '  HostName 10.0.0.5',
      '  ProxyJump edge',
      '  IdentityAgent ~/.1password/agent.sock',
      'Host bastion',
      '  HostName 203.0.113.1',
      '  User ops',
    ].join('\n');
    const r = resolve(text, {
      ssh: 'myvps',
      identityFile: '~/.ssh/id_vps',
      jumps: ['bastion', 'admin@198.51.100.7:2222'],
      identityAgent: 'none',
    });
    assert.deepEqual(
      r.jumps.map((j) => j.target),
      [
        { user: 'ops', host: '203.0.113.1', port: 22 },
        { user: 'admin', host: '198.51.100.7', port: 2222 },
      ],
    );
    assert.equal(r.origins.proxyJump, 'mailwright.yaml');
    assert.equal(r.identityAgent, 'none');
    assert.equal(r.origins.identityAgent, 'mailwright.yaml');
    assert.ok(
      r.jumps.every((j) => j.identityFiles[0] === '/home/me/.ssh/id_vps' && j.identityAgent === 'none'),
    );
    const fromConfig = resolve(text, { ssh: 'myvps' });
    assert.deepEqual(
      fromConfig.jumps.map((j) => j.alias),
      ['edge'],
    );
    assert.equal(fromConfig.identityAgent, '/home/me/.1password/agent.sock');
  });

  it('reads IdentitiesOnly, IdentityAgent, UserKnownHostsFile, ConnectTimeout and ServerAliveInterval', () => {
    const r = resolve(
      [
        'Host myvps',
        '  IdentitiesOnly yes',
        '  IdentityAgent ~/.1password/agent.sock',
        '  UserKnownHostsFile ~/.ssh/known_vps /etc/ssh/other',
        '  ConnectTimeout 7',
        '  ServerAliveInterval 30',
      ].join('\n'),
      { ssh: 'myvps' },
    );
    assert.equal(r.identitiesOnly, true);
    assert.equal(r.identityAgent, '/home/me/.1password/agent.sock');
    assert.deepEqual(r.knownHostsFiles, ['/home/me/.ssh/known_vps', '/etc/ssh/other']);
    assert.equal(r.connectTimeoutMs, 7000);
    assert.equal(r.keepaliveIntervalMs, 30_000);
    const flag = resolve('Host myvps\n  ConnectTimeout 7\n', {
      ssh: 'myvps',
      connectTimeout: { ms: 3000, origin: '--connect-timeout' },
    });
    assert.equal(flag.connectTimeoutMs, 3000);
    assert.equal(flag.origins.connectTimeout, '--connect-timeout');
  });

  it('says a bad value with its file and line', () => {
    assert.throws(
      () => resolve('Host myvps\n\n  Port twenty\n', { ssh: 'myvps' }),
      (e: unknown) =>
        e instanceof SshConfigError && /^~\/\.ssh\/config:3: Port must be a number/.test(e.message),
    );
  });

  it('a file that does not parse: the file and the line', () => {
    assert.throws(
      () => resolve('Host myvps\n  User admin\n  IdentityFile "~/.ssh/open\n', { ssh: 'myvps' }),
      (e: unknown) =>
        e instanceof SshConfigError &&
        /^~\/\.ssh\/config:3 cannot be read as an SSH client configuration/.test(e.message) &&
        e.expected === 'usage',
    );
  });

  it('marks a name that is no Host of the configuration, with the closest alias', () => {
    const text = 'Host myvps\n  HostName 203.0.113.10\nHost *\n  User admin\n';
    assert.deepEqual(resolve(text, { ssh: 'myvsp' }).unknownAlias, { suggestion: 'myvps' });
    assert.equal(resolve(text, { ssh: 'myvps' }).unknownAlias, undefined);
    assert.equal(resolve(text, { ssh: '203.0.113.10' }).unknownAlias, undefined, 'an address is no alias');
  });

  it('without a configuration file, the target is used as written', () => {
    const r = resolveSsh({ ssh: 'mail.example.com', origin: 'mailwright.yaml' }, { env: machine({}) });
    assert.deepEqual(r.target, { user: 'root', host: 'mail.example.com', port: 22 });
    assert.equal(r.origins.user, 'default');
    assert.equal(r.auth, 'agent');
    const direct = directSsh({ user: 'u', host: 'fd00::2', port: 2222 }, '/k', 'key');
    assert.deepEqual(direct.target, { user: 'u', host: 'fd00::2', port: 2222 });
    assert.deepEqual(direct.identityFiles, ['/k']);
  });

  it('MAILWRIGHT_SSH_CONFIG chooses the file when no path is given', () => {
    const env = machine(
      { '/tmp/alt': 'Host alt\n  HostName 192.0.2.77\n' },
      { env: { MAILWRIGHT_SSH_CONFIG: '/tmp/alt' } },
    );
    assert.equal(resolveSsh({ ssh: 'alt', origin: 'x' }, { env }).target.host, '192.0.2.77');
    assert.equal(resolveSsh({ ssh: 'alt', origin: 'x' }, { env, configFile: '/nowhere' }).target.host, 'alt');
  });
});

describe('listing the Host entries to pick from', () => {
  it('lists concrete names once, from included files too, and no wildcard or negated pattern', () => {
    const env = machine({
      [CONFIG]: 'Host myvps backup\n  User a\nHost *.example.com !x\nInclude conf.d/*\nHost MyVPS\n',
      '/home/me/.ssh/conf.d/a': 'Host fromdir\n',
    });
    assert.deepEqual(
      listHostAliases(CONFIG, env).map((a) => `${a.alias}:${a.line}`),
      ['myvps:1', 'backup:1', 'fromdir:1'],
    );
  });
});
