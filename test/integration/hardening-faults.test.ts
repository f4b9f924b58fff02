// The fault suite: a server, a network or a service failing in the middle of a run. Each case
// injects one real fault and checks four things: the run ends within a bound, its error is one
// paragraph saying what failed, where and what to do, nothing is lost or half written (on the VPS:
// every file under /etc/chasquid is its previous or its new version, chasquid runs), and running
// again converges (the next apply succeeds and the plan after it is empty). The server faults run
// in sequence on one sandbox VPS, provisioned once and changed case by case; the DNS provider,
// DNS server and ACME CA faults run beside them against local servers. The counts of faults tried
// and survived go to test-results/hardening/faults.json.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { stringify } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe } from 'node:test';
import type { DomainConfig, HostConfig } from '../../src/core/config';
import { dns01Responder, issueCertificate } from '../../src/core/acme';
import { publicKeyOfPem } from '../../src/core/dkim';
import { checkRecords } from '../../src/core/dns/check';
import { expectedRecords } from '../../src/core/dns/expected';
import { resolverLookup } from '../../src/core/dns/lookup';
import { waitForTxt } from '../../src/core/dns/propagation';
import { CloudflareProvider } from '../../src/core/dns/providers/cloudflare';
import { Rfc2136Provider } from '../../src/core/dns/providers/rfc2136';
import { applyPublish, planPublish } from '../../src/core/dns/publish';
import { gatherFacts } from '../../src/core/facts';
import { applyPlan, planHost, type ApplyEvent, type ApplyResult } from '../../src/core/plan';
import { userPasswordKey } from '../../src/core/plan/actions/domains';
import { MemorySecretStore, shellScript, type RemoteConnection } from '../../src/core/remote';
import {
  assertClearError,
  assertWhole,
  confHashes,
  FaultTally,
  guest,
  guestBackground,
  linkDown,
  mirror,
  ROOT,
  waitForSsh,
  within,
} from './fault-fixture';
import { startCloudflare } from '../fixtures-servers/cloudflare';
import { startKnot } from '../fixtures-servers/knot';
import { testDomain, testHost } from '../unit/config-fixture';
import { connect, desiredHost, sandboxes, type SandboxInstance } from './sandbox-instances';

const run = promisify(execFile);
const TESTACME = join(ROOT, 'scripts', 'testacme');
const tally = new FaultTally();
after(() => tally.write());

// A VPS of its own (scripts/test-integration's "faults" purpose): the faults would break others' runs.
const instance = process.env.MAILWRIGHT_FAULTS_SANDBOX_13
  ? sandboxes('faults').find((i) => i.suite === 'trixie')
  : undefined;
const noVps =
  !instance && 'no fault-suite VPS configured (MAILWRIGHT_FAULTS_SANDBOX_13, see scripts/test-integration)';

const PASSWORD = 'faults come and go, mail stays';
/** The CLI as shipped (npm test builds it first). */
const CLI = join(ROOT, 'dist', 'cli.js');

function domain(name: string): Pick<DomainConfig, 'name'> & Partial<DomainConfig> {
  return { name, users: ['alice'], aliases: { alice: [`alice@elsewhere.test`], '*': ['alice'] } };
}

/** The desired state: the first domain, plus one more per case so that each case has work to do. */
function hostWith(vps: SandboxInstance, names: string[], extra: Record<string, string[]> = {}): HostConfig {
  const host = desiredHost(vps, domain(names[0]!), 'smtp.fault.test');
  for (const name of names.slice(1)) host.domains.push({ ...host.domains[0]!, ...domain(name) });
  const first = host.domains[0]!;
  first.aliases = { ...first.aliases, ...extra };
  return host;
}

// The VPS sequence runs its cases one after the other; the DNS and CA cases run beside it.
describe('the fault suite', { concurrency: true }, () => {
  describe('faults during apply (sandbox VPS)', { skip: noVps, concurrency: 1 }, () => {
    const vps = instance!;
    const secrets = new MemorySecretStore();
    const domains = ['fault.test'];
    let conn: RemoteConnection;

    before(async () => {
      conn = connect(vps);
      for (const d of ['fault.test', 'link.test', 'kill.test', 'reboot.test', 'start.test'])
        await secrets.set(userPasswordKey('alice', d), PASSWORD);
    });
    after(() => conn?.close());

    const lines = (events: ApplyEvent[]) =>
      events.flatMap((e) => (e.type === 'output' ? [e.line] : e.type === 'action-failed' ? [e.message] : []));

    async function apply(
      host: HostConfig,
      onEvent?: (e: ApplyEvent) => void,
    ): Promise<{ result: ApplyResult; events: ApplyEvent[] }> {
      const plan = planHost(host, await gatherFacts(conn));
      const events: ApplyEvent[] = [];
      const result = await applyPlan(plan, {
        conn,
        host,
        secrets,
        regather: () => gatherFacts(conn),
        onEvent: (e) => {
          events.push(e);
          onEvent?.(e);
        },
      });
      return { result, events };
    }

    /** Applies again and checks the plan after it is empty; returns the files as they are then. */
    async function converge(host: HostConfig): Promise<Record<string, string>> {
      const { result, events } = await apply(host);
      assert.ok(
        result.ok,
        `the next apply succeeds: ${result.failed?.message}\n${lines(events).slice(-20).join('\n')}`,
      );
      const again = planHost(host, await gatherFacts(conn));
      assert.deepEqual(
        again.actions.map((a) => `${a.id}: ${a.reason}`),
        [],
        'converged: the plan after it is empty',
      );
      const state = await conn.exec(shellScript('systemctl is-active chasquid'), { check: false });
      assert.equal(state.stdout.trim(), 'active', 'chasquid runs');
      return confHashes(conn);
    }

    tally.fault(
      'apt cannot reach the package mirror: the install stops at once and says so',
      { timeout: 180_000 },
      async () => {
        const host = hostWith(vps, domains);
        await mirror(vps, 'stop');
        try {
          const started = Date.now();
          const { result } = await within(150_000, 'apply without a mirror', apply(host));
          assert.equal(result.ok, false);
          assert.equal(result.failed?.id, 'install:chasquid');
          assert.ok(
            Date.now() - started < 120_000,
            'no minutes of retrying a mirror that refuses connections',
          );
          assertClearError(result.failed?.message, /download|reach|mirror/i, /deb\.debian\.org|198\.51\.100/);
          const left = await guest(vps, 'ls -A /etc/chasquid 2>/dev/null | wc -l');
          assert.equal(left.trim(), '0', 'nothing was written under /etc/chasquid');
        } finally {
          await mirror(vps, 'start');
        }
      },
    );

    tally.fault(
      'apt lock held by another process: install waits for it, then provisions',
      { timeout: 600_000 },
      async () => {
        const host = hostWith(vps, domains);
        // Holds dpkg's frontend lock the way apt does (an fcntl lock), like unattended-upgrades on a
        // fresh VPS, until apt says it waits for it (at most 3 minutes).
        const holder = guestBackground(
          vps,
          `echo $$ >/run/mailwright-fault-lock.pid; exec python3 -c 'import fcntl, time; f = open("/var/lib/dpkg/lock-frontend", "w"); fcntl.lockf(f, fcntl.LOCK_EX); time.sleep(180)'`,
        );
        let released: Promise<unknown> | undefined;
        const release = () =>
          (released ??= new Promise((r) => setTimeout(r, 1_000)).then(() =>
            guest(vps, 'kill "$(cat /run/mailwright-fault-lock.pid)"; rm -f /run/mailwright-fault-lock.pid'),
          ));
        try {
          const { result, events } = await within(
            480_000,
            'apply while apt is locked',
            apply(host, (e) => {
              if (e.type === 'output' && /lock/i.test(e.line)) void release();
            }),
          );
          assert.ok(released, 'apt said it waits for its lock');
          assert.ok(result.ok, `provisioned once the lock was free: ${result.failed?.message}`);
          assert.ok(lines(events).some((l) => /lock/i.test(l)));
        } finally {
          await release().catch(() => undefined);
          holder.kill();
        }
        await converge(host);
      },
    );

    tally.fault(
      'the link goes down for a few seconds in each action: the run ends, nothing is half written, a rerun converges',
      { timeout: 420_000 },
      async () => {
        domains.push('link.test');
        const host = hostWith(vps, domains, { bob: ['bob@elsewhere.test'] });
        const before = await confHashes(conn);
        const blips: Array<Promise<void>> = [];
        const hit: string[] = [];
        const { result } = await within(
          300_000,
          'apply with the link going down',
          apply(host, (e) => {
            if (e.type !== 'action-start') return;
            hit.push(e.id);
            blips.push(new Promise((r) => setTimeout(r, 150)).then(() => linkDown(vps, 2_000)));
          }),
        );
        await Promise.all(blips);
        assert.ok(hit.length >= 3, `several kinds of action were hit: ${hit.join(', ')}`);
        if (!result.ok) assertClearError(result.failed?.message, /connection|timed out/i);
        const during = await confHashes(conn);
        assertWhole(before, during, await converge(host));
      },
    );

    tally.fault(
      'the client is killed in each action of a CLI apply: rerunning converges',
      { timeout: 420_000 },
      async () => {
        assert.ok(existsSync(CLI), `${CLI} is missing: run npm run build first`);
        domains.push('kill.test');
        const host = hostWith(vps, domains, { bob: ['bob@elsewhere.test'] });
        const before = await confHashes(conn);
        const home = mkdtempSync(join(tmpdir(), 'mw-fault-home-'));
        mkdirSync(join(home, '.ssh'), { recursive: true });
        copyFileSync(vps.knownHostsFile, join(home, '.ssh', 'known_hosts'));
        const workspace = mkdtempSync(join(tmpdir(), 'mw-fault-ws-'));
        writeFileSync(join(workspace, 'mailwright.yaml'), yamlOf(host));
        const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
        for (const d of domains)
          env[`MAILWRIGHT_USER_PASSWORD_ALICE_${d.toUpperCase().replace(/\W/g, '_')}`] = PASSWORD;

        /** One `mailwright apply --yes`, killed (SIGKILL) 300 ms after its action number `killAt` started. */
        const cliApply = (killAt: number) =>
          new Promise<{ code: number | null; killed: boolean; out: string }>((resolve) => {
            const child = spawn(
              process.execPath,
              [CLI, 'apply', '--yes', '--no-commit', '--config', join(workspace, 'mailwright.yaml')],
              {
                cwd: ROOT,
                env,
                stdio: ['ignore', 'pipe', 'pipe'],
              },
            );
            let out = '';
            let killed = false;
            const onData = (d: Buffer) => {
              out += d.toString();
              const started = [...out.matchAll(/^\[(\d+)\/\d+\]/gm)].map((m) => Number(m[1]));
              if (!killed && started.includes(killAt)) {
                killed = true;
                setTimeout(() => child.kill('SIGKILL'), 300);
              }
            };
            child.stdout.on('data', onData);
            child.stderr.on('data', onData);
            child.on('close', (code) => resolve({ code, killed, out }));
          });

        const during: Array<Record<string, string>> = [];
        let last: { code: number | null; killed: boolean; out: string } | undefined;
        try {
          for (let run = 1; run <= 10; run++) {
            last = await within(180_000, `CLI apply run ${run}`, cliApply(run));
            if (!last.killed) break;
            during.push(await confHashes(conn));
          }
        } finally {
          rmSync(home, { recursive: true, force: true });
          rmSync(workspace, { recursive: true, force: true });
        }
        assert.ok(last && !last.killed, 'a run finished without being killed');
        assert.ok(during.length >= 3, `the client was killed in ${during.length} actions`);
        assert.equal(last.code, 0, `the last CLI apply succeeds:\n${last.out.slice(-3000)}`);
        const after = await converge(host);
        for (const state of during) assertWhole(before, state, after);
      },
    );

    tally.fault(
      'the guest reboots during apply: a clear error, then a rerun converges',
      { timeout: 420_000 },
      async () => {
        domains.push('reboot.test');
        const host = hostWith(vps, domains, { bob: ['bob@elsewhere.test'] });
        const before = await confHashes(conn);
        let rebooting: Promise<unknown> | undefined;
        const { result } = await within(
          180_000,
          'apply during a reboot',
          apply(host, (e) => {
            if (e.type === 'action-start' && e.id.endsWith(':reboot.test') && !rebooting)
              rebooting = guest(vps, 'systemctl reboot').catch(() => undefined);
          }),
        );
        await rebooting;
        assert.ok(rebooting, 'the reboot was triggered');
        assert.equal(result.ok, false, 'the run stops when the server goes away');
        // Cut mid-command ("the connection was lost") or mid-upload ("could not write"): either way it names the server.
        assertClearError(result.failed?.message, new RegExp(`${vps.name}|${vps.ipv4.replace(/\./g, '\\.')}`));
        await waitForSsh(vps, 120_000);
        const during = await confHashes(conn);
        assertWhole(before, during, await converge(host));
      },
    );

    tally.fault(
      'chasquid does not start after a change (a key it cannot read): files put back, chasquid runs, the cause quoted',
      { timeout: 300_000 },
      async () => {
        domains.push('start.test');
        const host = hostWith(vps, domains, { bob: ['bob@elsewhere.test'] });
        const before = await confHashes(conn);
        let broke: Promise<unknown> | undefined;
        const { result } = await within(
          180_000,
          'apply with a failing restart',
          apply(host, (e) => {
            // The new DKIM key becomes unreadable for chasquid right before the restart.
            if (e.type === 'action-start' && e.id === 'service:chasquid')
              broke = guest(
                vps,
                'chown root:root /etc/chasquid/domains/start.test/dkim:*.pem && chmod 0600 /etc/chasquid/domains/start.test/dkim:*.pem',
              );
          }),
        );
        await broke;
        assert.equal(result.ok, false);
        assert.equal(result.failed?.id, 'service:chasquid');
        assertClearError(
          result.failed?.message,
          /does not start/,
          /runs again with the previous configuration/,
          /permission denied/i,
        );
        const state = await conn.exec(shellScript('systemctl is-active chasquid'), { check: false });
        assert.equal(state.stdout.trim(), 'active', 'chasquid runs again');
        const during = await confHashes(conn);
        assert.deepEqual(during, before, 'every file of the run was put back');
        assertWhole(before, during, await converge(host));
      },
    );

    tally.fault(
      'the disk is full where a file goes: one clear paragraph, nothing to put back, a rerun converges',
      { timeout: 300_000 },
      async () => {
        const host = hostWith(vps, domains, { bob: ['bob@elsewhere.test'], carol: ['carol@elsewhere.test'] });
        const dir = '/etc/chasquid/domains/fault.test';
        const before = await confHashes(conn);
        // A small file system over the domain's folder, holding its files, then filled up.
        await guest(
          vps,
          `set -e
d=$1 tmp=$(mktemp -d)
cp -a "$d/." "$tmp/"
mount -t tmpfs -o size=64k,mode=0755 mailwright-fault "$d"
cp -a "$tmp/." "$d/"
rm -rf "$tmp"
dd if=/dev/zero of="$d/.fill" bs=4k 2>/dev/null || true`,
          [dir],
        );
        let result: ApplyResult;
        try {
          ({ result } = await within(120_000, 'apply on a full disk', apply(host)));
        } finally {
          await guest(vps, 'rm -f "$1/.fill"; umount "$1"', [dir]);
        }
        assert.equal(result.ok, false);
        assert.equal(result.failed?.id, 'aliases:fault.test');
        assertClearError(
          result.failed?.message,
          new RegExp(`^Disk full on ${vps.name}: ${dir} `),
          /was not changed/,
        );
        assert.doesNotMatch(result.failed!.message, /Could not put back/);
        assert.match(result.failed?.hint ?? '', /^Free space there/, 'what to do');
        const during = await confHashes(conn);
        assert.deepEqual(during, before, 'nothing changed');
        assertWhole(before, during, await converge(host));
      },
    );
  });

  /** mailwright.yaml for a host as hostWith builds it (the CLI reads the same desired state). */
  function yamlOf(host: HostConfig): string {
    return stringify(
      {
        version: 1,
        hosts: [
          {
            name: host.name,
            ssh: `${host.ssh.user}@${host.ssh.host}:${host.ssh.port}`,
            identityFile: host.identityFile,
            mailHost: host.mailHost,
            domains: host.domains.map((d) => ({
              name: d.name,
              users: d.users,
              aliases: d.aliases,
              dkim: d.dkim,
            })),
          },
        ],
      },
      { aliasDuplicateObjects: false },
    );
  }

  // DNS and its providers failing: a provider's API answering errors, a DNS server that never answers.
  describe('faults of DNS providers and servers (local servers)', { concurrency: 1 }, () => {
    const token = 'fault-token';
    const records = (() => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const key = publicKeyOfPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
      return expectedRecords({
        host: testHost({ mailHost: 'smtp.example.test' }),
        domain: testDomain({ name: 'example.test' }),
        addresses: { ipv4: ['198.51.100.7'], ipv6: ['2001:db8::7'] },
        dkimKeys: [{ selector: 'mw1', ...key }],
      });
    })();

    // What Cloudflare answers in each case (its documented envelope; a 500 from its edge is not JSON).
    const answers: Record<number, { body: string; mentions: RegExp[] }> = {
      401: {
        body: JSON.stringify({ success: false, errors: [{ code: 10000, message: 'Authentication error' }] }),
        mentions: [/Authentication error/, /API token/],
      },
      404: {
        body: JSON.stringify({
          success: false,
          errors: [
            { code: 7003, message: 'Could not route to /zones, perhaps your object identifier is invalid?' },
          ],
        }),
        mentions: [/Could not route/, /zone/],
      },
      429: {
        body: JSON.stringify({
          success: false,
          errors: [{ code: 971, message: 'Please wait and consider throttling your request speed' }],
        }),
        mentions: [/throttling/, /wait/i],
      },
      500: { body: '<html><body>500 Internal Server Error</body></html>', mentions: [/HTTP 500/, /again/i] },
    };

    for (const status of [401, 404, 429, 500]) {
      tally.fault(
        `Cloudflare answers ${status} in the middle of a publish: a clear error, records kept, a rerun converges`,
        { timeout: 60_000 },
        async () => {
          const api = await startCloudflare(token, 'example.test');
          // A stand-in for the API in front of the contract server: from the third write on, `status`.
          let writes = 0;
          let failing = true;
          const proxy = createServer((req, res) => {
            const write = req.method !== 'GET';
            if (write && failing && ++writes > 2) {
              req.resume();
              res.writeHead(status, { 'Content-Type': status === 500 ? 'text/html' : 'application/json' });
              res.end(answers[status]!.body);
              return;
            }
            const chunks: Buffer[] = [];
            req.on('data', (c: Buffer) => chunks.push(c));
            req.on('end', () => {
              void fetch(`${api.baseUrl}${req.url}`, {
                method: req.method,
                headers: req.headers as Record<string, string>,
                body: chunks.length ? Buffer.concat(chunks) : undefined,
              }).then(async (r) => {
                res.writeHead(r.status, {
                  'Content-Type': r.headers.get('content-type') ?? 'application/json',
                });
                res.end(Buffer.from(await r.arrayBuffer()));
              });
            });
          });
          await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
          const baseUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
          try {
            const provider = new CloudflareProvider({ token, zone: 'example.test', baseUrl });
            // A record of the user's that Mailwright must never lose.
            await provider.create({ name: 'example.test', type: 'MX', value: '20 backup.example.test' });
            writes = 0;
            const changes = await planPublish(records, provider);
            const error = await within(20_000, 'publish', applyPublish(changes, provider)).then(
              () => undefined,
              (e: Error) => e,
            );
            assert.ok(error, 'the publish fails');
            assertClearError(error.message, /cloudflare/i, ...answers[status]!.mentions);
            assert.ok(
              api.records.some((r) => r.type === 'MX' && r.content === 'backup.example.test'),
              "the user's own MX is still there",
            );
            assert.equal(
              api.records.length,
              1 + 2,
              'the two changes made before the error stay, nothing else',
            );

            failing = false;
            const again = await planPublish(records, provider);
            await within(20_000, 'publish again', applyPublish(again, provider));
            const last = await planPublish(records, provider);
            assert.deepEqual(
              last.filter((c) => c.action === 'create' || c.action === 'update').map((c) => c.record.id),
              [],
              'converged: nothing left to publish',
            );
          } finally {
            await new Promise((r) => proxy.close(r));
            await api.close();
          }
        },
      );
    }

    tally.fault(
      'a DNS API that accepts the connection and never answers: publish ends at its timeout and says so',
      { timeout: 60_000 },
      async () => {
        const held: Array<{ destroy(): void }> = [];
        const silent = createServer((req) => held.push(req.socket));
        await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
        const baseUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
        try {
          const provider = new CloudflareProvider({ token, zone: 'example.test', baseUrl, timeoutMs: 1_500 });
          const started = Date.now();
          const error = await within(20_000, 'publish', planPublish(records, provider)).then(
            () => undefined,
            (e: Error) => e,
          );
          assert.ok(error, 'the publish fails');
          assert.ok(Date.now() - started < 10_000, 'at its timeout');
          assertClearError(error.message, /cloudflare/, /no answer from/, /try again later/i);
          assert.ok(error.message.includes(baseUrl), error.message);
        } finally {
          held.forEach((s) => s.destroy());
          await new Promise((r) => silent.close(r));
        }
      },
    );

    tally.fault(
      'a DNS server that never answers: publish and check end in bounded time and say which server is silent',
      { timeout: 60_000 },
      async () => {
        // UDP: takes questions, never answers. TCP: accepts connections, never answers.
        const udp = createSocket('udp4');
        await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
        const udpPort = udp.address().port;
        const held: Socket[] = [];
        const tcp = createTcpServer((s) => held.push(s));
        await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
        const tcpPort = (tcp.address() as AddressInfo).port;
        try {
          const provider = new Rfc2136Provider({
            host: '127.0.0.1',
            port: tcpPort,
            zone: 'example.test',
            keyName: 'mailwright',
            algorithm: 'hmac-sha256',
            secret: Buffer.alloc(32, 1).toString('base64'),
          });
          const started = Date.now();
          const error = await within(30_000, 'RFC 2136 publish', planPublish(records, provider)).then(
            () => undefined,
            (e: Error) => e,
          );
          assert.ok(error, 'the publish fails');
          assert.ok(Date.now() - started < 15_000, 'within its timeout');
          assertClearError(error.message, new RegExp(`127\\.0\\.0\\.1:${tcpPort}`), /no answer/);

          const silent = resolverLookup([`127.0.0.1:${udpPort}`], { timeoutMs: 300, tries: 1 });
          const findings = await within(
            30_000,
            'DNS check',
            checkRecords({
              domain: 'example.test',
              mailHost: 'smtp.example.test',
              expected: records,
              recursive: silent,
              authoritative: silent,
              addresses: { ipv4: ['198.51.100.7'], ipv6: [] },
            }),
          );
          const required = findings.filter((f) => records.find((r) => r.id === f.id)?.required);
          assert.ok(required.length > 0);
          for (const f of required) {
            assert.notEqual(f.status, 'ok', `${f.id} cannot be ok`);
            assert.ok(
              [...f.notes, f.fix ?? ''].some((n) => n.includes(`127.0.0.1:${udpPort}`)),
              `${f.id} says which server did not answer: ${JSON.stringify(f)}`,
            );
          }
        } finally {
          udp.close();
          held.forEach((s) => s.destroy());
          await new Promise((r) => tcp.close(r));
        }
      },
    );
  });

  // The ACME CA (pebble, scripts/testacme) stopped while a certificate is asked for, then back.
  describe('faults of the ACME CA (pebble and knot on loopback)', { concurrency: 1 }, () => {
    tally.fault(
      'the CA is down: issuance ends at once naming the CA, leaves no challenge record, and works once the CA is back',
      { timeout: 180_000 },
      async () => {
        const knot = await startKnot(`fa-dns-${process.pid}`);
        const acmeName = `fa-ca-${process.pid}`;
        const startCa = async () => {
          const { stdout } = await run(
            'bash',
            [TESTACME, 'start', acmeName, '--dns', `${knot.host}:${knot.port}`],
            {
              timeout: 90_000,
            },
          );
          const dir = stdout.trim().split('\n').at(-1)!;
          return {
            directoryUrl: readFileSync(join(dir, 'directory-url'), 'utf8').trim(),
            caCertificatePem: readFileSync(join(dir, 'tls-ca.pem'), 'utf8'),
          };
        };
        try {
          const provider = new Rfc2136Provider({
            host: knot.host,
            port: knot.port,
            zone: knot.zone,
            keyName: knot.keyName,
            algorithm: 'hmac-sha256',
            secret: knot.secret,
            ttl: 5,
          });
          const servers = [`${knot.host}:${knot.port}`];
          const issue = (ca: { directoryUrl: string; caCertificatePem: string }) =>
            issueCertificate({
              ...ca,
              secrets: new MemorySecretStore(),
              names: ['smtp.example.test'],
              responder: dns01Responder({
                dnsProviderFor: () => provider,
                waitForTxt: (name, value, signal) =>
                  waitForTxt(name, value, { servers, timeoutMs: 20_000, intervalMs: 200, signal }),
              }),
            });

          const down = await startCa();
          await run('bash', [TESTACME, 'stop', acmeName]);
          const started = Date.now();
          const error = await within(60_000, 'issuance with the CA down', issue(down)).then(
            () => undefined,
            (e: Error) => e,
          );
          assert.ok(error, 'issuance fails');
          assert.ok(Date.now() - started < 30_000, 'at once, not after minutes of retries');
          assertClearError(error.message, /cannot be reached/);
          assert.ok(error.message.includes(down.directoryUrl), `names the CA: ${error.message}`);
          assert.deepEqual(
            await provider.list('_acme-challenge.smtp.example.test', 'TXT'),
            [],
            'no challenge record left behind',
          );

          const up = await startCa();
          const cert = await within(90_000, 'issuance with the CA back', issue(up));
          assert.deepEqual(cert.names, ['smtp.example.test']);
          assert.match(cert.fullchainPem, /BEGIN CERTIFICATE/);
          assert.deepEqual(await provider.list('_acme-challenge.smtp.example.test', 'TXT'), [], 'cleaned up');
        } finally {
          await run('bash', [TESTACME, 'stop', acmeName]).catch(() => undefined);
          await knot.stop();
        }
      },
    );
  });
});
