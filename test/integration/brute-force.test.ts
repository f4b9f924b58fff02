// Brute-force protection on real Debian 13 and 12 VPSes of their own (on 12 the administrator's
// fail2ban ran first, and its sshd jail is kept): provisioned (fail2ban with
// Mailwright's filter and jail, nothing left to plan), then 20 wrong passwords from one address
// of this machine get that address blocked on the mail ports, while the right password from
// another address still gets 235; `mailwright blocked` lists it and `--unblock` lifts the block
// (the first address logs in again). The two client addresses are extra IPv6 addresses on this
// machine's side of the sandbox's link (the sandbox routes its whole /64 there), removed after.
// Also: a user name that carries a forged log line blocks nobody else (fail2ban-regex on the
// live journal), a hand edit of the jail is drift, and `enabled: false` removes the jail.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { FILTER_PATH, JAIL_NAME, JAIL_PATH } from '../../src/core/brute-force';
import type { HostConfig } from '../../src/core/config';
import { gatherFacts } from '../../src/core/facts';
import { applyPlan, planHost, type Plan } from '../../src/core/plan';
import { userPasswordKey } from '../../src/core/plan/actions/domains';
import {
  MemorySecretStore,
  readRemoteFile,
  shellCommand,
  writeRemoteFileAtomic,
  type RemoteConnection,
} from '../../src/core/remote';
import { probeSmtp, SmtpProbeError } from '../../src/core/smtp';
import { connect, desiredHost, sandboxes, skipReason, type SandboxInstance } from './sandbox-instances';

const instances = sandboxes('bruteforce');

/**
 * On Debian 12 the administrator ran fail2ban before Mailwright, protecting SSH with the
 * distribution's sshd jail read from the journal (Debian 12 has no syslog file by default).
 */
const ADMIN_JAIL = `[sshd]
enabled = true
backend = systemd
`;
const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'src', 'cli', 'bin.ts');
const DOMAIN = 'example.test';
const MAIL_HOST = 'smtp.example.test';
const USER = `alice@${DOMAIN}`;
const PASSWORD = 'correct horse battery staple';

/** This machine's side of the sandbox's link, and two further addresses of its /64 there. */
function clientAddresses(instance: SandboxInstance) {
  const prefix = instance.hostIpv6.replace(/::1$/, '::');
  assert.notEqual(prefix, instance.hostIpv6, `unexpected host address ${instance.hostIpv6}`);
  const link = execFileSync('ip', ['-o', '-6', 'addr', 'show', 'to', `${instance.hostIpv6}/128`], {
    encoding: 'utf8',
  }).split(/\s+/)[1];
  assert.ok(link, `no interface holds ${instance.hostIpv6}`);
  return { link, attacker: `${prefix}a`, other: `${prefix}b` };
}

type Outcome = '235' | '535' | 'refused' | 'cut off' | string;

/** One AUTH PLAIN on 465 from `local`, as a mail program would try it. */
async function login(
  instance: SandboxInstance,
  local: string,
  password: string,
  user = USER,
): Promise<Outcome> {
  try {
    const r = await probeSmtp({
      host: instance.ipv6,
      port: 465,
      mode: 'tls',
      servername: MAIL_HOST,
      timeoutMs: 10_000,
      login: { user, password },
      dial: (host, port) =>
        new Promise<Socket>((resolve, reject) => {
          const s = netConnect({ host, port, localAddress: local });
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        }),
    });
    return r.login?.reply.slice(0, 3) ?? 'no reply';
  } catch (e) {
    if (e instanceof SmtpProbeError && e.kind === 'refused') return 'refused';
    if ((e as NodeJS.ErrnoException).code === 'ECONNREFUSED') return 'refused';
    // The block landed while this conversation was under way: its packets are rejected from then on.
    if (/^No answer from /.test((e as Error).message)) return 'cut off';
    return `error: ${(e as Error).message}`;
  }
}

/** A TCP connection to `port` from `local`: accepted, or refused by the firewall. */
function tcp(instance: SandboxInstance, local: string, port: number): Promise<'open' | 'refused' | string> {
  return new Promise((resolve) => {
    const s = netConnect({ host: instance.ipv6, port, localAddress: local });
    s.setTimeout(5000, () => (s.destroy(), resolve('timeout')));
    s.once('connect', () => (s.destroy(), resolve('open')));
    s.once('error', (e: NodeJS.ErrnoException) =>
      resolve(e.code === 'ECONNREFUSED' ? 'refused' : String(e.code)),
    );
  });
}

/** AUTH PLAIN with a raw user name (newlines and all), which chasquid logs as it came. */
function rawAuth(instance: SandboxInstance, local: string, user: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({
      socket: netConnect({ host: instance.ipv6, port: 465, localAddress: local }),
      servername: MAIL_HOST,
      rejectUnauthorized: false,
    });
    let text = '';
    let step = 0;
    s.on('data', (d) => {
      text += d.toString();
      if (step === 0 && /^220 /m.test(text)) {
        step = 1;
        s.write('EHLO client.test\r\n');
      } else if (step === 1 && /^250 /m.test(text)) {
        step = 2;
        s.write(`AUTH PLAIN ${Buffer.from(`\0${user}\0wrong`).toString('base64')}\r\n`);
      } else if (step === 2 && /^535 /m.test(text)) {
        s.end('QUIT\r\n');
        resolve();
      }
    });
    s.once('error', reject);
    s.setTimeout(10_000, () => (s.destroy(), reject(new Error(`no 535 to the forged login: ${text}`))));
  });
}

describe('brute-force protection (sandbox VPS)', { skip: instances.length === 0 && skipReason }, () => {
  for (const instance of instances) {
    describe(`${instance.suite} (${instance.ipv4})`, { timeout: 20 * 60_000 }, () => {
      const secrets = new MemorySecretStore();
      const workspace = mkdtempSync(join(tmpdir(), 'mw-bf-'));
      const yamlPath = join(workspace, 'mailwright.yaml');
      const knownHosts = join(workspace, 'known_hosts');
      const addresses = clientAddresses(instance);
      let conn: RemoteConnection;
      let host: HostConfig = desiredHost(
        instance,
        { name: DOMAIN, users: ['alice'], aliases: { alice: ['alice@elsewhere.test'] } },
        MAIL_HOST,
      );
      const plan = async (): Promise<Plan> => planHost(host, await gatherFacts(conn));
      const apply = async (p: Plan, driftDecisions = {}) => {
        const lines: string[] = [];
        const result = await applyPlan(p, {
          conn,
          host,
          secrets,
          regather: () => gatherFacts(conn),
          driftDecisions,
          onEvent: (e) => lines.push('line' in e ? e.line : 'message' in e ? e.message : e.type),
        });
        assert.ok(
          result.ok,
          `apply failed: ${JSON.stringify(result.failed)}\n${lines.slice(-30).join('\n')}`,
        );
      };
      const root = async (argv: string[]) =>
        (await conn.exec(shellCommand(argv), { sudo: true, check: false })).stdout;
      const cli = (args: string[]) =>
        new Promise<{ code: number; out: string; err: string }>((resolve) => {
          execFile(
            process.execPath,
            ['--import', 'tsx', CLI, ...args, '--config', yamlPath, '--known-hosts', knownHosts],
            { cwd: ROOT, timeout: 120_000 },
            (error, stdout, stderr) =>
              resolve({ code: error ? Number(error.code ?? -1) : 0, out: stdout, err: stderr }),
          );
        });

      before(async () => {
        copyFileSync(instance.knownHostsFile, knownHosts);
        writeFileSync(
          yamlPath,
          `version: 1
hosts:
  - name: ${instance.name}
    ssh: root@${instance.ipv4}:${instance.port}
    identityFile: ${instance.rootKey}
    mailHost: ${MAIL_HOST}
    domains:
      - name: ${DOMAIN}
        users: [alice]
        aliases: { alice: alice@elsewhere.test }
`,
        );
        for (const a of [addresses.attacker, addresses.other])
          execFileSync('ip', ['addr', 'replace', `${a}/128`, 'dev', addresses.link, 'nodad']);
        conn = connect(instance);
        await conn.connect();
        await secrets.set(userPasswordKey('alice', DOMAIN), PASSWORD);
        if (instance.suite === 'bookworm') {
          await conn.exec(shellCommand(['apt-get', 'update', '-q']), { sudo: true, timeoutMs: 600_000 });
          await conn.exec(
            shellCommand([
              'env',
              'DEBIAN_FRONTEND=noninteractive',
              'apt-get',
              'install',
              '-y',
              '-q',
              'fail2ban',
              'python3-systemd',
            ]),
            { sudo: true, timeoutMs: 600_000 },
          );
          await writeRemoteFileAtomic(conn, '/etc/fail2ban/jail.local', ADMIN_JAIL);
          await conn.exec(shellCommand(['systemctl', 'restart', 'fail2ban']), { sudo: true });
          // fail2ban answers on its socket a few seconds after its start.
          let status = '';
          for (let i = 0; i < 40 && !/sshd/.test(status); i++) {
            await new Promise((r) => setTimeout(r, 500));
            status = await root(['fail2ban-client', 'status']);
          }
          assert.match(status, /sshd/, "the administrator's sshd jail runs");
        }
      });

      after(() => {
        for (const a of [addresses.attacker, addresses.other])
          execFileSync('ip', ['addr', 'del', `${a}/128`, 'dev', addresses.link], { stdio: 'ignore' });
        conn?.close();
      });

      it('provisioning installs fail2ban with the jail, and then nothing is left to plan', async () => {
        const first = await plan();
        const ids = first.actions.map((a) => a.id);
        // fail2ban is installed once per VPS (a rerun finds it there).
        const install = first.facts.bruteForce?.packages.fail2ban ? [] : ['brute-force:install'];
        for (const id of ['brute-force:filter', 'brute-force:jail', ...install, 'brute-force:service'])
          assert.ok(ids.includes(id), `${id} planned: ${ids.join(', ')}`);
        const jail = first.actions.find((a) => a.id === 'brute-force:jail')!;
        assert.match(
          jail.reason,
          /10 failed logins within 10m block an address for 1h on ports 25, 465, 587/,
        );
        assert.match(
          jail.reason,
          new RegExp(`${instance.hostIpv4.replace(/\./g, '\\.')} \\(this SSH login\\)`),
        );
        await apply(first);
        const second = await plan();
        assert.deepEqual(
          second.actions.map((a) => `${a.id}: ${a.reason}`),
          [],
        );
        assert.deepEqual(second.facts.bruteForce?.blocked, []);
        assert.match(await root(['fail2ban-client', 'status', JAIL_NAME]), /Currently banned:\s+0/);
        if (instance.suite === 'bookworm') {
          // fail2ban ran before: the administrator's sshd jail runs on beside Mailwright's.
          assert.match(await root(['fail2ban-client', 'status']), /sshd/);
          assert.match(await root(['fail2ban-client', 'status']), new RegExp(JAIL_NAME));
        } else {
          // SSH is left alone: the distribution's sshd jail, new with fail2ban, is off.
          assert.doesNotMatch(await root(['fail2ban-client', 'status']), /sshd/);
        }
      });

      it('20 wrong passwords block that address; the right password from another one still gets 235', async () => {
        assert.equal(
          await login(instance, addresses.attacker, PASSWORD),
          '235',
          'the attacker address works at first',
        );
        const outcomes: Outcome[] = [];
        for (let i = 0; i < 20; i++) outcomes.push(await login(instance, addresses.attacker, `wrong ${i}`));
        assert.deepEqual(
          outcomes.slice(0, 9),
          Array(9).fill('535'),
          `the first failures are answered: ${outcomes.join(' ')}`,
        );
        // Answered until the block, then refused; at most one conversation is cut off by it.
        assert.match(outcomes.join(' '), /^(535 )+(cut off )?(refused ?)*$/);
        // fail2ban reads the journal as it is written: on a busy machine the block may land only
        // after the twentieth attempt, but within seconds of it.
        const deadline = Date.now() + 30_000;
        let blocked = outcomes.at(-1) === 'refused';
        while (!blocked && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 1000));
          blocked = (await login(instance, addresses.attacker, 'wrong again')) === 'refused';
        }
        assert.ok(blocked, `no block within 30 s of 20 failures: ${outcomes.join(' ')}`);
        assert.equal(
          await login(instance, addresses.attacker, PASSWORD),
          'refused',
          'even the right password',
        );
        for (const port of [25, 465, 587])
          assert.equal(await tcp(instance, addresses.attacker, port), 'refused');
        assert.equal(await tcp(instance, addresses.attacker, 22), 'open', 'SSH is never blocked');
        assert.equal(
          await login(instance, addresses.other, PASSWORD),
          '235',
          'another address is not blocked',
        );
      });

      it('the facts and `mailwright blocked` list the address', async () => {
        assert.deepEqual((await gatherFacts(conn)).bruteForce?.blocked, [addresses.attacker]);
        const listed = await cli(['blocked', '--json']);
        assert.equal(listed.code, 0, listed.err);
        const json = JSON.parse(listed.out) as { jail: boolean; addresses: string[] };
        assert.deepEqual(json, {
          host: instance.name,
          jail: true,
          addresses: [addresses.attacker],
          unreadable: [],
        });
        const text = await cli(['blocked']);
        assert.equal(text.out.trim(), addresses.attacker);
      });

      it('a forged log line in a user name blocks nobody else', async () => {
        const forged = '9.9.9.9';
        await rawAuth(instance, addresses.other, `x@${DOMAIN}\n${forged}:25 auth failed for y@${DOMAIN}`);
        const journal = await root(['journalctl', '-o', 'cat', '--no-pager', 'SYSLOG_IDENTIFIER=chasquid']);
        assert.match(
          journal,
          new RegExp(`^${forged.replace(/\./g, '\\.')}:25 auth failed for`, 'm'),
          'the forged line is in the journal',
        );
        const regex = await root(['fail2ban-regex', '-v', 'systemd-journal', FILTER_PATH]);
        assert.match(regex, new RegExp(addresses.attacker.replace(/:/g, ':')));
        assert.doesNotMatch(regex, /9\.9\.9\.9/);
        assert.doesNotMatch(await root(['fail2ban-client', 'get', JAIL_NAME, 'banip']), /9\.9\.9\.9/);
      });

      it('`mailwright blocked --unblock` lifts the block: the first address logs in again', async () => {
        const wrong = await cli(['blocked', '--unblock', '203.0.113.1; reboot']);
        assert.equal(wrong.code, 2);
        assert.match(wrong.err, /cannot be unblocked/);
        const done = await cli(['blocked', '--unblock', addresses.attacker.toUpperCase()]);
        assert.equal(done.code, 0, done.err);
        assert.match(done.err, /is no longer blocked/);
        assert.equal(await login(instance, addresses.attacker, PASSWORD), '235');
        assert.deepEqual((await gatherFacts(conn)).bruteForce?.blocked, []);
        const again = await cli(['blocked', '--unblock', addresses.attacker]);
        assert.equal(again.code, 1);
        assert.match(again.err, /is not blocked/);
      });

      it('a hand edit of the jail is drift, and overwriting it leaves nothing to plan', async () => {
        const original = (await readRemoteFile(conn, JAIL_PATH)).toString('utf8');
        await writeRemoteFileAtomic(conn, JAIL_PATH, original.replace(/^maxretry = .*$/m, 'maxretry = 1000'));
        const drifted = await plan();
        const jail = drifted.actions.find((a) => a.id === 'brute-force:jail');
        assert.ok(jail?.drift, 'drift reported');
        assert.match(jail.drift.diff, /^-maxretry = 1000$/m);
        await apply(drifted, { [JAIL_PATH]: 'overwrite' });
        assert.deepEqual(
          (await plan()).actions.map((a) => a.id),
          [],
        );
      });

      it('bruteForce.enabled: false removes the jail, and then nothing is left to plan', async () => {
        host = {
          ...host,
          bruteForce: { enabled: false, maxRetry: 10, findTime: '10m', banTime: '1h', ignore: [] },
        };
        const off = await plan();
        assert.deepEqual(
          off.actions.map((a) => a.id),
          ['brute-force:remove'],
        );
        await apply(off);
        assert.equal(
          (await root(['sh', '-c', `ls ${JAIL_PATH} ${FILTER_PATH} 2>/dev/null | wc -l`])).trim(),
          '0',
        );
        assert.deepEqual(
          (await plan()).actions.map((a) => a.id),
          [],
        );
        const listed = await cli(['blocked', '--json']);
        assert.equal((JSON.parse(listed.out) as { jail: boolean }).jail, false);
      });
    });
  }
});
