// Brute-force protection on real Debian 13 and 12 VPSes of their own, side by side (on 12 the
// administrator's fail2ban ran first, and its sshd jail is kept): provisioned (fail2ban with
// Mailwright's filter and jail, nothing left to plan), then 20 wrong passwords from one address
// of this machine get that address blocked on the mail ports, while the right password from
// another address still gets 235 — once over IPv6 and once over IPv4, in the same provisioning;
// `mailwright blocked` lists both and `--unblock` lifts each block (the address logs in again).
// The client addresses are extra addresses on this machine's side of the sandbox's link, removed
// after: two of its IPv6 /64, and two of the spare addresses of its IPv4 /29 (the VPSes are
// brought up with `scripts/sandbox up --spare-ipv4`). Neither is the SSH login's address, which
// the jail never blocks.
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
import { FILTER_PATH, JAIL_NAME, JAIL_PATH, NFT_SETS, NFT_TABLE } from '../../src/core/brute-force';
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

/** Two client addresses of one family on this machine's side of the sandbox's link. */
interface Clients {
  family: 4 | 6;
  /** The VPS's address in that family. */
  server: string;
  /** The interface on this machine's side of the link. */
  link: string;
  /** The address that guesses passwords. */
  attacker: string;
  /** The address that logs in rightly meanwhile. */
  other: string;
}

/** The interface on this machine that holds `address`. */
function linkOf(address: string, family: 4 | 6): string {
  const bits = family === 4 ? 32 : 128;
  const link = execFileSync('ip', ['-o', `-${family}`, 'addr', 'show', 'to', `${address}/${bits}`], {
    encoding: 'utf8',
  }).split(/\s+/)[1];
  assert.ok(link, `no interface holds ${address}`);
  return link;
}

/**
 * IPv6: two further addresses of the link's /64 (the sandbox routes all of it there). IPv4: two of
 * the link's spare addresses, inside the subnet the sandbox chose and checked against this
 * machine's routes.
 */
function clientAddresses(instance: SandboxInstance): { v6: Clients; v4: Clients } {
  const prefix = instance.hostIpv6.replace(/::1$/, '::');
  assert.notEqual(prefix, instance.hostIpv6, `unexpected host address ${instance.hostIpv6}`);
  const spare = instance.spareIpv4 ?? [];
  assert.ok(
    spare.length >= 2,
    `${instance.name} has no spare IPv4 addresses: bring it up with \`scripts/sandbox up ${instance.name} --spare-ipv4\``,
  );
  assert.ok(!spare.includes(instance.hostIpv4), "a spare address is not the SSH login's");
  return {
    v6: {
      family: 6,
      server: instance.ipv6,
      link: linkOf(instance.hostIpv6, 6),
      attacker: `${prefix}a`,
      other: `${prefix}b`,
    },
    v4: {
      family: 4,
      server: instance.ipv4,
      link: linkOf(instance.hostIpv4, 4),
      attacker: spare[0]!,
      other: spare[1]!,
    },
  };
}

/** The address with the prefix length of one host, as `ip addr` takes it. */
const hostPrefix = (c: Clients, address: string) => `${address}/${c.family === 4 ? 32 : 128}`;

type Outcome = '235' | '535' | 'refused' | 'cut off' | string;

/** One AUTH PLAIN on 465 from `local` to `server`, as a mail program would try it. */
async function login(server: string, local: string, password: string, user = USER): Promise<Outcome> {
  try {
    const r = await probeSmtp({
      host: server,
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

/** A TCP connection to `server`'s `port` from `local`: accepted, or refused by the firewall. */
function tcp(server: string, local: string, port: number): Promise<'open' | 'refused' | string> {
  return new Promise((resolve) => {
    const s = netConnect({ host: server, port, localAddress: local });
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

describe(
  'brute-force protection (sandbox VPS)',
  // The VPSes are independent (each its own link and client addresses): they run side by side.
  { skip: instances.length === 0 && skipReason, concurrency: true },
  () => {
    for (const instance of instances) {
      describe(`${instance.suite} (${instance.ipv4})`, { timeout: 20 * 60_000, concurrency: 1 }, () => {
        const secrets = new MemorySecretStore();
        const workspace = mkdtempSync(join(tmpdir(), 'mw-bf-'));
        const yamlPath = join(workspace, 'mailwright.yaml');
        const knownHosts = join(workspace, 'known_hosts');
        const { v6, v4 } = clientAddresses(instance);
        const clients = [v6, v4];
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
          for (const c of clients)
            for (const a of [c.attacker, c.other])
              execFileSync('ip', [
                `-${c.family}`,
                'addr',
                'replace',
                hostPrefix(c, a),
                'dev',
                c.link,
                ...(c.family === 6 ? ['nodad'] : []),
              ]);
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
          for (const c of clients)
            for (const a of [c.attacker, c.other])
              execFileSync('ip', [`-${c.family}`, 'addr', 'del', hostPrefix(c, a), 'dev', c.link], {
                stdio: 'ignore',
              });
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

        // IPv6 first, then IPv4 with the IPv6 address still blocked: each family's set holds its own.
        for (const c of clients)
          it(`IPv${c.family}: 20 wrong passwords block that address; the right password from another one still gets 235`, async () => {
            assert.equal(
              await login(c.server, c.attacker, PASSWORD),
              '235',
              'the attacker address works at first',
            );
            const outcomes: Outcome[] = [];
            for (let i = 0; i < 20; i++) outcomes.push(await login(c.server, c.attacker, `wrong ${i}`));
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
              blocked = (await login(c.server, c.attacker, 'wrong again')) === 'refused';
            }
            assert.ok(blocked, `no block within 30 s of 20 failures: ${outcomes.join(' ')}`);
            assert.equal(await login(c.server, c.attacker, PASSWORD), 'refused', 'even the right password');
            for (const port of [25, 465, 587]) assert.equal(await tcp(c.server, c.attacker, port), 'refused');
            assert.equal(await tcp(c.server, c.attacker, 22), 'open', 'SSH is never blocked');
            assert.equal(await login(c.server, c.other, PASSWORD), '235', 'another address is not blocked');
          });

        it('the facts and `mailwright blocked` list both addresses', async () => {
          const both = [v4.attacker, v6.attacker].sort();
          assert.deepEqual((await gatherFacts(conn)).bruteForce?.blocked, both);
          const listed = await cli(['blocked', '--json']);
          assert.equal(listed.code, 0, listed.err);
          const json = JSON.parse(listed.out) as { jail: boolean; addresses: string[] };
          assert.deepEqual(json, {
            host: instance.name,
            jail: true,
            addresses: both,
            unreadable: [],
          });
          const text = await cli(['blocked']);
          assert.deepEqual(text.out.trim().split('\n'), both);
          // Each in the set of its family.
          for (const [c, set] of [
            [v4, NFT_SETS[0]],
            [v6, NFT_SETS[1]],
          ] as const)
            assert.match(
              await root(['nft', 'list', 'set', 'inet', NFT_TABLE, set]),
              new RegExp(c.attacker.replace(/\./g, '\\.')),
            );
        });

        it('a forged log line in a user name blocks nobody else', async () => {
          const forged = '9.9.9.9';
          await rawAuth(instance, v6.other, `x@${DOMAIN}\n${forged}:25 auth failed for y@${DOMAIN}`);
          const journal = await root(['journalctl', '-o', 'cat', '--no-pager', 'SYSLOG_IDENTIFIER=chasquid']);
          assert.match(
            journal,
            new RegExp(`^${forged.replace(/\./g, '\\.')}:25 auth failed for`, 'm'),
            'the forged line is in the journal',
          );
          const regex = await root(['fail2ban-regex', '-v', 'systemd-journal', FILTER_PATH]);
          for (const c of clients) assert.match(regex, new RegExp(c.attacker.replace(/\./g, '\\.')));
          assert.doesNotMatch(regex, /9\.9\.9\.9/);
          assert.doesNotMatch(await root(['fail2ban-client', 'get', JAIL_NAME, 'banip']), /9\.9\.9\.9/);
        });

        it('`mailwright blocked --unblock` lifts each block: the blocked addresses log in again', async () => {
          const wrong = await cli(['blocked', '--unblock', '203.0.113.1; reboot']);
          assert.equal(wrong.code, 2);
          assert.match(wrong.err, /cannot be unblocked/);
          // IPv4 first: the IPv6 block stays until it is lifted in turn.
          const done4 = await cli(['blocked', '--unblock', v4.attacker]);
          assert.equal(done4.code, 0, done4.err);
          assert.match(done4.err, /is no longer blocked/);
          assert.equal(await login(v4.server, v4.attacker, PASSWORD), '235');
          assert.deepEqual((await gatherFacts(conn)).bruteForce?.blocked, [v6.attacker]);
          assert.equal(await login(v6.server, v6.attacker, PASSWORD), 'refused');
          // An address as the user may write it: normalised before it reaches the server.
          const done6 = await cli(['blocked', '--unblock', v6.attacker.toUpperCase()]);
          assert.equal(done6.code, 0, done6.err);
          assert.match(done6.err, /is no longer blocked/);
          assert.equal(await login(v6.server, v6.attacker, PASSWORD), '235');
          assert.deepEqual((await gatherFacts(conn)).bruteForce?.blocked, []);
          for (const c of clients) {
            const again = await cli(['blocked', '--unblock', c.attacker]);
            assert.equal(again.code, 1);
            assert.match(again.err, /is not blocked/);
          }
        });

        it('a hand edit of the jail is drift, and overwriting it leaves nothing to plan', async () => {
          const original = (await readRemoteFile(conn, JAIL_PATH)).toString('utf8');
          await writeRemoteFileAtomic(
            conn,
            JAIL_PATH,
            original.replace(/^maxretry = .*$/m, 'maxretry = 1000'),
          );
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
  },
);
