// Hostile and wrong inputs against ONE provisioned VPS, through the built CLI (dist/cli.js) as
// a user would type them. Each case either arrives intact on the server (a password logs in
// with AUTH PLAIN on 465) or is refused naming the field, with no stack trace and no raw
// control characters in the output. Around every refusal: every file and directory under
// /etc/chasquid and /etc/dovecot is hashed before and after (a refused input changes nothing),
// mailwright.yaml is unchanged, and no canary file (/tmp/pwn-…) appears on the guest or here.
//
// Secrets probes: while apply and `user passwd` set passwords (ASCII and not, with a UTF-8
// locale on the guest), every process's argv on the guest is sampled every ~50 ms from
// /proc/*/cmdline (what `ps -eo args` shows, byte for byte); afterwards no password, key
// passphrase, DNS token, sudo password or private key may appear in the CLI's output, the
// workspace (mailwright.yaml, the git snapshot's whole history), Mailwright's files on the
// server (/var/backups/mailwright, /var/lib/mailwright) or the guest's journal.
//
// Last, chasquid's defaults that Mailwright documents rather than changes (README, "chasquid's
// defaults"): AUTH offered on port 25 after STARTTLS, only AUTH PLAIN, TLS 1.0/1.1 accepted on
// 465/587 — and that the systemd setting the README gives turns TLS 1.0/1.1 off.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkInbound } from '../../src/core/dns';
import { probeSmtp, SmtpProbeError } from '../../src/core/smtp';
import { HardeningTally } from '../hardening-tally';
import { sandboxes, skipReason, type SandboxInstance } from './sandbox-instances';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const MAIL_HOST = 'smtp.example.test';
const BOX = 'example.test'; // mailboxes: users in Dovecot's file
const FWD = 'fwd.test'; // forward-only: users in chasquid's file

// Fixed, not random: apply never resets a password, so a rerun on the same VPS still logs in.
const ALICE = `Grüße-密码 "$(touch /tmp/pwn-hd-a1)" 'x' \`touch /tmp/pwn-hd-a2\` ;|&`;
const BOB = `bob's "pass" $(touch /tmp/pwn-hd-b1) \`touch /tmp/pwn-hd-b2\` \\ ;|&>x`;
// Present in the CLI's environment on every run, used or not: none may leak.
const DECOYS = {
  MAILWRIGHT_KEY_PASSPHRASE: `passphrase-${randomBytes(8).toString('hex')}`,
  MAILWRIGHT_SUDO_PASSWORD: `sudo-${randomBytes(8).toString('hex')}`,
  MAILWRIGHT_DNS_SECRET_EXAMPLE_TEST: randomBytes(24).toString('base64'),
};

const instance: SandboxInstance | undefined = sandboxes('hardening').find((i) => i.suite === 'trixie');
const tally = new HardeningTally('inputs');
const secretsTally = new HardeningTally('secrets');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** C0/C1 control characters (tab and newline allowed) in what the CLI prints. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** A JavaScript stack frame: "    at fn (file.js:1:2)". */
const STACK = /^\s+at .+:\d+:\d+\)?$/m;

describe('hardening: hostile inputs and secrets (one sandbox VPS)', { skip: !instance && skipReason }, () => {
  const inst = instance!;
  let work: string;
  let yamlText: string;
  const cliOutputs: string[] = [];
  const passwords = new Set<string>([ALICE, BOB]);
  let rootKeyLines: string[] = [];

  /** A root shell inside the guest, without SSH (nsenter into its namespaces). */
  const guest = (script: string, args: string[] = []): string =>
    execFileSync('nsenter', ['-t', String(inst.leaderPid), '-a', 'sh', '-c', script, 'sh', ...args], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });

  /** Every file (content hash) and directory (mode, owner) under the mail configuration. */
  const confState = () =>
    guest(
      'for d in /etc/chasquid /etc/dovecot; do [ -d "$d" ] || continue; ' +
        'find "$d" -printf "%p %m %u:%g %y\\n"; find "$d" -type f -exec sha256sum {} +; done | LC_ALL=C sort',
    );

  const canaries = () => {
    const onGuest = guest('ls -d /tmp/pwn* 2>/dev/null || true').trim();
    const here = readdirSync('/tmp').filter((f) => f.startsWith('pwn-hd'));
    return [onGuest, ...here].filter(Boolean);
  };

  const cli = (args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}) =>
    new Promise<CliRun>((done, fail) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: work,
        env: { PATH: process.env.PATH, HOME: join(work, 'home'), ...DECOYS, ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('error', fail);
      child.on('close', (code) => {
        cliOutputs.push(stdout, stderr);
        done({ code, stdout, stderr });
      });
      child.stdin.end(opts.stdin ?? '');
    });
  const show = (r: CliRun) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
  const KH = () => ['--known-hosts', join(work, 'known_hosts')];

  /** Runs the CLI with an input it must refuse: non-zero exit, the field named, nothing changed. */
  async function refused(
    args: string[],
    field: RegExp,
    opts: { stdin?: string; code?: number; env?: Record<string, string> } = {},
  ): Promise<CliRun> {
    const before = confState();
    const r = await cli(args, opts);
    assert.notEqual(r.code, 0, show(r));
    if (opts.code !== undefined) assert.equal(r.code, opts.code, show(r));
    assert.match(r.stdout + r.stderr, field, show(r));
    assert.doesNotMatch(r.stderr, STACK, `no stack trace\n${show(r)}`);
    assert.doesNotMatch(r.stdout + r.stderr, CONTROL, `no raw control characters\n${show(r)}`);
    assert.equal(confState(), before, 'nothing under /etc/chasquid or /etc/dovecot changed');
    assert.equal(readFileSync(join(work, 'mailwright.yaml'), 'utf8'), yamlText, 'mailwright.yaml unchanged');
    assert.deepEqual(canaries(), [], 'no canary file');
    return r;
  }

  /** AUTH PLAIN over TLS on 465, as a mail program logs in. */
  const logsIn = async (address: string, password: string, port = 465) => {
    const r = await probeSmtp({
      host: inst.ipv4,
      port,
      mode: port === 465 ? 'tls' : 'starttls',
      servername: MAIL_HOST,
      login: { user: address, password },
      timeoutMs: 20_000,
    });
    return r.login?.accepted ?? false;
  };

  /** Logs in within 45 s: chasquid re-reads its users file about every 30 s (Dovecot at once). */
  const eventuallyLogsIn = async (address: string, password: string) => {
    const deadline = Date.now() + 45_000;
    while (!(await logsIn(address, password))) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 2_000));
    }
    return true;
  };

  /** Samples every process's argv on the guest every ~50 ms until stopped. */
  const sampleArgv = () => {
    const marker = `argv-marker-${randomBytes(6).toString('hex')}`;
    const stopFile = `/tmp/mw-sampler-stop-${marker}`;
    // Runs inside the guest's PID namespace (nsenter forks it there): it stops when the stop file appears.
    const script = `
import os, sys, time
while not os.path.exists(${JSON.stringify(stopFile)}):
    for p in os.listdir('/proc'):
        if p.isdigit():
            try:
                a = open('/proc/' + p + '/cmdline', 'rb').read()
            except OSError:
                continue
            if a:
                sys.stdout.buffer.write(a.replace(b'\\0', b' ') + b'\\n')
    sys.stdout.buffer.write(b'@@sample\\n')
    sys.stdout.flush()
    time.sleep(0.05)
os.remove(${JSON.stringify(stopFile)})
`;
    const child = spawn('nsenter', ['-t', String(inst.leaderPid), '-a', 'python3', '-c', script], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    const closed = new Promise((r) => child.once('close', r));
    // A process with a known argv: the sampler must see it, or it sees nothing at all.
    execFile('nsenter', ['-t', String(inst.leaderPid), '-a', 'sh', '-c', 'sleep 0.5; :', marker]);
    return async () => {
      await new Promise((r) => setTimeout(r, 600));
      guest('touch "$1"', [stopFile]);
      await closed;
      const text = Buffer.concat(chunks).toString('utf8');
      const samples = text.split('@@sample\n').length - 1;
      assert.ok(samples >= 5, `only ${samples} argv samples`);
      assert.ok(text.includes(marker), 'the sampler sees a known argv');
      return text;
    };
  };

  /** All secrets a probe looks for: every password used, the decoys, the SSH private key. */
  const allSecrets = () => [...passwords, ...Object.values(DECOYS), ...rootKeyLines];

  const secretsProbe = (what: string, text: string) => {
    const found = secretsTally.probe(text, allSecrets());
    assert.deepEqual(
      found.map((s) => `${s.slice(0, 6)}…`),
      [],
      `a secret appears in ${what}`,
    );
  };

  before(async () => {
    assert.ok(existsSync(CLI), `${CLI} is missing: run npm run build first`);
    work = mkdtempSync(join(tmpdir(), 'mw-hardening-'));
    writeFileSync(join(work, 'known_hosts'), readFileSync(inst.knownHostsFile));
    // The SSH key's body lines (not the armour): a leak of any of them is a leak of the key.
    rootKeyLines = readFileSync(inst.rootKey, 'utf8')
      .split('\n')
      .filter((l) => l.length > 20 && !l.startsWith('-----'));
    yamlText = [
      'version: 1',
      'hosts:',
      `  - name: ${inst.name}`,
      `    ssh: root@${inst.ipv4}:${inst.port}`,
      `    identityFile: ${inst.rootKey}`,
      `    mailHost: ${MAIL_HOST}`,
      '    domains:',
      `      - name: ${BOX}`,
      '        mailboxes: true',
      '        users: [alice]',
      '        aliases: { postmaster: alice }',
      `      - name: ${FWD}`,
      '        users: [bob]',
      '        aliases: { postmaster: bob, bob: bob@sink.test }',
      '',
    ].join('\n');
    writeFileSync(join(work, 'mailwright.yaml'), yamlText);
    execFileSync('git', ['init', '-q', work]);
    // Mail users' passwords with non-ASCII characters, as on a server set up in a UTF-8 locale.
    guest('printf "LANG=C.UTF-8\\n" > /etc/default/locale; rm -f /tmp/pwn*');
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(
    'apply provisions both domains; passwords from the environment log in over AUTH PLAIN',
    {
      // A fresh VPS installs chasquid and Dovecot from the mirror first: 1 to 5 minutes.
      timeout: 12 * 60_000,
    },
    async () => {
      const stop = sampleArgv();
      const r = await cli(['apply', '--yes', ...KH()], {
        env: {
          MAILWRIGHT_USER_PASSWORD_ALICE_EXAMPLE_TEST: ALICE,
          MAILWRIGHT_USER_PASSWORD_BOB_FWD_TEST: BOB,
        },
      });
      const argv = await stop();
      assert.equal(r.code, 0, show(r));
      secretsProbe('the guest argv during apply', argv);
      yamlText = readFileSync(join(work, 'mailwright.yaml'), 'utf8');
      // The passwords arrive intact: chasquid (bob) and Dovecot through chasquid (alice) accept them.
      const handled = tally.start('inputs');
      assert.ok(await logsIn(`alice@${BOX}`, ALICE), 'non-ASCII password with shell syntax logs in');
      handled();
      const handledBob = tally.start('inputs');
      assert.ok(await eventuallyLogsIn(`bob@${FWD}`, BOB), 'ASCII password with quotes and $() logs in');
      assert.equal(await logsIn(`bob@${FWD}`, `${BOB}x`), false, 'a wrong one does not');
      handledBob();
      assert.deepEqual(canaries(), []);
    },
  );

  describe('passwords through `user passwd` (stdin)', () => {
    const longest = `${'ü'.repeat(100)}${'p'.repeat(56)}`; // 256 bytes in UTF-8
    tally.inputCase('the longest the policy allows (256 bytes, non-ASCII) arrives and logs in', async () => {
      passwords.add(longest);
      const stop = sampleArgv();
      const r = await cli(['user', 'passwd', `bob@${FWD}`, ...KH()], { stdin: `${longest}\n` });
      secretsProbe('the guest argv during user passwd', await stop());
      assert.equal(r.code, 0, show(r));
      assert.ok(await eventuallyLogsIn(`bob@${FWD}`, longest));
    });
    tally.inputCase('one byte more is refused naming the password', async () => {
      passwords.add(`${longest}x`);
      await refused(['user', 'passwd', `bob@${FWD}`, ...KH()], /password cannot be used: .*257 bytes/, {
        stdin: `${longest}x\n`,
      });
    });
    tally.inputCase('a short one is refused naming the minimum', async () => {
      await refused(['user', 'passwd', `bob@${FWD}`, ...KH()], /password cannot be used: .*at least 12/, {
        stdin: 'short\n',
      });
    });
    tally.inputCase('a line break inside is refused', async () => {
      passwords.add('first line pw\nsecond line pw');
      await refused(['user', 'passwd', `bob@${FWD}`, ...KH()], /password cannot be used: .*control/, {
        stdin: 'first line pw\nsecond line pw\n',
      });
    });
    tally.inputCase(
      'a Dovecot user gets a non-ASCII password with shell syntax back, and it logs in',
      async () => {
        const stop = sampleArgv();
        const r = await cli(['user', 'passwd', `alice@${BOX}`, ...KH()], { stdin: `${ALICE}\n` });
        secretsProbe('the guest argv during user passwd (Dovecot)', await stop());
        assert.equal(r.code, 0, show(r));
        assert.ok(await logsIn(`alice@${BOX}`, ALICE));
      },
    );
    tally.inputCase('bob gets his first password back', async () => {
      const r = await cli(['user', 'passwd', `bob@${FWD}`, ...KH()], { stdin: `${BOB}\n` });
      assert.equal(r.code, 0, show(r));
      assert.ok(await eventuallyLogsIn(`bob@${FWD}`, BOB));
    });
  });

  describe('user names and addresses on the command line', () => {
    const pw = { stdin: 'a good long password\n' };
    const fieldUser = /user|address|local part|name/i;
    tally.inputCase(
      "'x|touch${IFS}/tmp/pwn-hd-8@fwd.test' (a name mailwright.yaml cannot hold) is refused",
      () => refused(['user', 'add', `x|touch\${IFS}/tmp/pwn-hd-8@${FWD}`, ...KH()], fieldUser, pw),
    );
    tally.inputCase("o'brien@fwd.test (a quote) is refused", () =>
      refused(['user', 'add', `o'brien@${FWD}`, ...KH()], fieldUser, pw),
    );
    tally.inputCase('$(touch /tmp/pwn-hd-9)@fwd.test is refused', () =>
      refused(['user', 'add', `$(touch /tmp/pwn-hd-9)@${FWD}`, ...KH()], /user name is invalid/, pw),
    );
    tally.inputCase('a backtick command is refused', () =>
      refused(['user', 'add', `\`touch /tmp/pwn-hd-10\`@${FWD}`, ...KH()], /user name is invalid/, pw),
    );
    tally.inputCase('a non-ASCII name is refused', () =>
      refused(['user', 'add', `jörg@${FWD}`, ...KH()], /user name is invalid/, pw),
    );
    tally.inputCase('65 characters before "@" are refused', () =>
      refused(['user', 'add', `${'a'.repeat(65)}@${FWD}`, ...KH()], /the limit is 64/, pw),
    );
    tally.inputCase('a domain that is not in mailwright.yaml is refused', () =>
      refused(['user', 'add', 'carol@unknown.test', ...KH()], /unknown\.test is not a domain of/, pw),
    );
    tally.inputCase('an address without "@" is refused', () =>
      refused(['user', 'add', 'carol', ...KH()], /user@domain/, pw),
    );
    tally.inputCase('an ANSI escape in the address is refused and not echoed raw', () =>
      refused(['user', 'add', `\u001b[2J\u001b[31mred@${FWD}`, ...KH()], /user name is invalid/, pw),
    );
    tally.inputCase('a newline in the address is refused and not echoed raw (no forged line)', async () => {
      const r = await refused(
        ['user', 'add', `red\nforged line@${FWD}`, ...KH()],
        /user name is invalid/,
        pw,
      );
      assert.doesNotMatch(r.stderr, /^forged line/m, show(r));
    });
    tally.inputCase('`user passwd` of a user that does not exist is refused (it would create one)', () =>
      refused(['user', 'passwd', `nobody@${FWD}`, ...KH()], /nobody/, pw),
    );
  });

  describe('SSH targets on the command line', () => {
    tally.inputCase('--host=-oProxyCommand=… is refused, nothing runs here', () =>
      refused(['facts', '--host=-oProxyCommand=touch${IFS}/tmp/pwn-hd-11', ...KH()], /--host/),
    );
    tally.inputCase('--host -oProxyCommand=… (separate argument) is refused', () =>
      refused(['facts', '--host', '-oProxyCommand=touch /tmp/pwn-hd-12', ...KH()], /--host/),
    );
    tally.inputCase('an unclosed IPv6 bracket is refused with the reason', () =>
      refused(['facts', '--host', 'root@[fd00::1:22', ...KH()], /--host .*never closed/),
    );
    tally.inputCase('an IPv6 address without brackets is refused with the fix', () =>
      refused(['facts', '--host', `root@${inst.ipv6}`, ...KH()], /brackets/),
    );
    tally.inputCase('a port out of range is refused', () =>
      refused(['facts', '--host', `root@${inst.ipv4}:70000`, ...KH()], /outside 1-65535/),
    );
    tally.inputCase('[IPv6]:port is read and reaches the server', async () => {
      const r = await cli([
        'facts',
        '--host',
        `root@[${inst.ipv6}]:${inst.port}`,
        '-i',
        inst.rootKey,
        ...KH(),
      ]);
      assert.equal(r.code, 0, show(r));
      assert.equal((JSON.parse(r.stdout) as { os?: { id?: string } }).os?.id, 'debian');
    });
  });

  describe('mailwright.yaml edits that apply must refuse before any change', () => {
    /** Writes a variant of the workspace's yaml, runs apply, and puts the yaml back. */
    const withYaml = async (edit: (text: string) => string, field: RegExp) => {
      const original = yamlText;
      yamlText = edit(original);
      writeFileSync(join(work, 'mailwright.yaml'), yamlText);
      try {
        await refused(['apply', '--yes', ...KH()], field);
      } finally {
        yamlText = original;
        writeFileSync(join(work, 'mailwright.yaml'), original);
      }
    };
    tally.inputCase(
      'an alias to "|/tmp/run@sink.test" (chasquid would run it) is refused naming the alias',
      () =>
        withYaml(
          (t) => t.replace('bob: bob@sink.test', 'bob: bob@sink.test, eve: "|/tmp/pwn-hd-13@sink.test"'),
          /aliases\.eve/,
        ),
    );
    tally.inputCase('an alias loop is refused naming the alias', () =>
      withYaml(
        (t) => t.replace('bob: bob@sink.test', 'bob: carol, carol: bob'),
        /aliases\.(postmaster|bob|carol): aliases go round in circles/,
      ),
    );
    tally.inputCase('a duplicate key is refused with its line', () =>
      withYaml(
        (t) => t.replace('        mailboxes: true\n', '        mailboxes: true\n        mailboxes: false\n'),
        /"mailboxes" appears twice/,
      ),
    );
    tally.inputCase('a wrong type is refused naming the field', () =>
      withYaml((t) => t.replace('users: [bob]', 'users: 5'), /domains\[1\]\.users: must be a list/),
    );
    tally.inputCase('a user name with shell syntax is refused naming the field', () =>
      withYaml((t) => t.replace('users: [bob]', 'users: [bob, "$(touch /tmp/pwn-hd-14)"]'), /users\[1\]/),
    );
    tally.inputCase('a domain with a shell metacharacter is refused naming the field', () =>
      withYaml(
        (t) => t.replace(`name: ${FWD}`, 'name: "fwd.test;touch${IFS}/tmp/pwn-hd-15"'),
        /domains\[1\]\.name/,
      ),
    );
    tally.inputCase('an SSH target with -oProxyCommand is refused naming the field', () =>
      withYaml(
        (t) => t.replace(/ssh: .*/, 'ssh: "-oProxyCommand=touch${IFS}/tmp/pwn-hd-16"'),
        /hosts\[0\]\.ssh/,
      ),
    );
    tally.inputCase(
      'an unreachable ACME CA stops at the certificate step, naming the CA; nothing changes',
      async () => {
        // From the desired state (cases above may have left users behind), so the certificate is the first step.
        const converge = await cli(['apply', '--yes', ...KH()]);
        assert.equal(converge.code, 0, show(converge));
        await withYaml(
          (t) =>
            t.replace(
              `    mailHost: ${MAIL_HOST}\n`,
              `    mailHost: ${MAIL_HOST}\n    acme:\n      ca: https://127.0.0.1:9/directory\n      email: ops@${BOX}\n`,
            ),
          /CA at https:\/\/127\.0\.0\.1:9\/directory cannot be reached/,
        );
      },
    );
  });

  describe('DNS failures', () => {
    const withDns = async (run: () => Promise<unknown>) => {
      const original = yamlText;
      yamlText = original.replace(
        '        users: [alice]\n',
        "        users: [alice]\n        dns: { provider: rfc2136, server: '127.0.0.1:9', keyName: mw }\n",
      );
      writeFileSync(join(work, 'mailwright.yaml'), yamlText);
      try {
        await run();
      } finally {
        yamlText = original;
        writeFileSync(join(work, 'mailwright.yaml'), original);
      }
    };
    tally.inputCase('publish without the credential is refused naming the variable', () =>
      withDns(() =>
        refused(['dns', 'publish', '--domain', BOX, '--yes', ...KH()], /MAILWRIGHT_DNS_SECRET_EXAMPLE_TEST/, {
          env: { MAILWRIGHT_DNS_SECRET_EXAMPLE_TEST: '' },
        }),
      ),
    );
    tally.inputCase('an unreachable DNS server is named with the field to check', () =>
      withDns(() =>
        refused(['dns', 'plan', '--domain', BOX, ...KH()], /cannot reach 127\.0\.0\.1:9.*\n.*"server"/),
      ),
    );
  });

  describe('odd contents on the server are shown escaped', () => {
    /** Puts a file's text on the guest for one case, and its original back afterwards. */
    const withServerFile = async (path: string, edit: (text: string) => string, run: () => Promise<void>) => {
      const original = guest('cat "$1"', [path]);
      guest('printf %s "$2" > "$1"', [path, edit(original)]);
      try {
        await run();
      } finally {
        guest('printf %s "$2" > "$1"', [path, original]);
      }
    };
    const planShowsEscaped = async () => {
      const r = await cli(['plan', ...KH()]);
      assert.equal(r.code, 0, show(r));
      assert.doesNotMatch(r.stdout + r.stderr, CONTROL, `no raw control characters\n${show(r)}`);
      assert.doesNotMatch(r.stderr, STACK);
    };
    tally.inputCase('a hostname with an ANSI escape in chasquid.conf', () =>
      withServerFile(
        '/etc/chasquid/chasquid.conf',
        (t) => t.replace(/^hostname: .*$/m, 'hostname: "smtp.example.test\\033[2J\\033]0;owned\\007"'),
        planShowsEscaped,
      ),
    );
    tally.inputCase('an /etc/hostname with a newline and an escape', () =>
      withServerFile('/etc/hostname', () => 'vps\u001b[31m\nforged: line\n', planShowsEscaped),
    );
    tally.inputCase('an aliases file with odd lines (no colon, a pipe, CRLF, an escape)', () =>
      withServerFile(
        `/etc/chasquid/domains/${FWD}/aliases`,
        (t) => `${t}no colon here\nevil: | /bin/sh -c id\r\n\u001b[31mred: bob\n`,
        planShowsEscaped,
      ),
    );
  });

  describe('secrets after the runs', () => {
    it('appear nowhere: CLI output, workspace files, git history, the server', async () => {
      secretsProbe('the CLI stdout/stderr', cliOutputs.join('\n'));
      const files: string[] = [];
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          if (name === '.git') continue;
          const path = join(dir, name);
          if (statSync(path).isDirectory()) walk(path);
          else files.push(path);
        }
      };
      walk(work);
      assert.ok(
        files.some((f) => f.includes(`conf/${inst.name}/`)),
        'the snapshot was written',
      );
      secretsProbe('the workspace files', files.map((f) => readFileSync(f, 'utf8')).join('\n'));
      const history = execFileSync('git', ['-C', work, 'log', '-p', '--all'], { encoding: 'utf8' });
      assert.match(history, /chasquid\.conf/, 'the history holds the snapshot');
      secretsProbe('git log -p --all of the workspace', history);
      const serverFiles = guest(
        'for d in /var/backups/mailwright /var/lib/mailwright; do [ -d "$d" ] && find "$d" -type f -exec cat {} +; done; true',
      );
      secretsProbe('/var/backups/mailwright and /var/lib/mailwright on the server', serverFiles);
      const journal = guest(
        'journalctl --no-pager -q -o cat _SYSTEMD_UNIT=chasquid.service + _SYSTEMD_UNIT=dovecot.service + _COMM=sudo + _COMM=sshd; journalctl --no-pager -q -o cat | tail -n 5000',
      );
      assert.match(journal, /chasquid/i, 'the journal is readable');
      secretsProbe("the guest's journal (chasquid, dovecot, sudo, sshd, everything recent)", journal);
    });
  });

  describe("chasquid's defaults (documented in the README)", () => {
    /** Whether a TLS 1.1 handshake (old ciphers allowed on our side) succeeds on the port. */
    const acceptsTls11 = (port: 465 | 587) =>
      probeSmtp({
        host: inst.ipv4,
        port,
        mode: port === 465 ? 'tls' : 'starttls',
        servername: MAIL_HOST,
        onlyTlsVersion: 'TLSv1.1',
        timeoutMs: 20_000,
      }).then(
        (r) => r.tls.protocol === 'TLSv1.1',
        (e: unknown) => {
          if (e instanceof SmtpProbeError && e.kind === 'tls') return false;
          throw e;
        },
      );

    it('port 25 offers AUTH PLAIN after STARTTLS, and a user can log in there', async () => {
      const r = await probeSmtp({
        host: inst.ipv4,
        port: 25,
        mode: 'starttls',
        servername: MAIL_HOST,
        login: { user: `bob@${FWD}`, password: BOB },
      });
      assert.deepEqual(r.authMechanisms, ['PLAIN']);
      assert.equal(r.login?.accepted, true);
    });

    it('465 and 587 offer AUTH PLAIN only (no LOGIN)', async () => {
      for (const port of [465, 587] as const) {
        const r = await probeSmtp({
          host: inst.ipv4,
          port,
          mode: port === 465 ? 'tls' : 'starttls',
          servername: MAIL_HOST,
        });
        assert.deepEqual(r.authMechanisms, ['PLAIN'], `port ${port}`);
      }
    });

    it('TLS 1.1 is accepted on 465 and 587; the DNS report says so for each port', async () => {
      assert.equal(await acceptsTls11(465), true);
      assert.equal(await acceptsTls11(587), true);
      const findings = await checkInbound(inst.ipv4, [25, 465, 587], { servername: MAIL_HOST });
      const notes = (port: number) =>
        findings.find((f) => f.id === `reach:inbound-${port}`)?.notes.join('\n') ?? '';
      assert.match(notes(25), /AUTH .*port 25/);
      assert.match(notes(465), /TLS 1\.1/);
      assert.match(notes(587), /TLS 1\.1/);
      assert.match(notes(465), /AUTH PLAIN only/);
    });

    it(
      'GODEBUG=tls10server=0 for chasquid.service (the README) turns TLS 1.0/1.1 off',
      { timeout: 60_000 },
      async () => {
        const dropIn = '/etc/systemd/system/chasquid.service.d/tls12.conf';
        guest(
          'mkdir -p "${1%/*}" && printf "[Service]\\nEnvironment=GODEBUG=tls10server=0\\n" > "$1" && systemctl daemon-reload && systemctl restart chasquid',
          [dropIn],
        );
        try {
          await new Promise((r) => setTimeout(r, 1_000));
          assert.equal(await acceptsTls11(465), false);
          assert.equal(await acceptsTls11(587), false);
          assert.ok(await logsIn(`bob@${FWD}`, BOB), 'TLS 1.2+ still logs in');
        } finally {
          guest('rm -f "$1"; systemctl daemon-reload; systemctl restart chasquid', [dropIn]);
        }
      },
    );
  });
});
