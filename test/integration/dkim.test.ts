// DKIM keys on a real Debian 13 (chasquid 1.15, native signing) and Debian 12 (1.11, the
// post-data hook): files, owner and mode; our DNS record equals chasquid-util dkim-dns's;
// the legacy key signs through dkimsign as the chasquid user; a later run does not rotate.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HostConfig } from '../../src/core/config';
import { installedDkimKeys, installedPublicKeysBySelector } from '../../src/core/dkim';
import { gatherFacts } from '../../src/core/facts';
import { applyPlan, chasquidPathOf, type ApplyEvent, type Plan } from '../../src/core/plan';
import { planDkim } from '../../src/core/plan/actions/dkim';
import { planIpv6 } from '../../src/core/plan/actions/ipv6';
import { MemorySecretStore, shellCommand, shellScript, type RemoteConnection } from '../../src/core/remote';
import { connect, desiredHost, sandboxes, skipReason, type SandboxInstance } from './sandbox-instances';

const instances = sandboxes();
const opened: RemoteConnection[] = [];
after(() => opened.forEach((c) => c.close()));

// Not the provisioning test's domain: both tests may run on the same sandbox at once.
const DOMAIN = 'dkim-it.test';
const FIRST_RUN = new Date('2026-11-28T10:00:00Z');

function hostFor(instance: SandboxInstance): HostConfig {
  return desiredHost(
    instance,
    { name: DOMAIN, dkim: { algorithms: ['rsa2048', 'ed25519'], selector: 'auto' } },
    'smtp.dkim-it.test',
  );
}

async function planAndApply(conn: RemoteConnection, host: HostConfig, now: Date) {
  const facts = await gatherFacts(conn);
  const plan: Plan = {
    host: host.name,
    facts,
    actions: planDkim({ host, facts, chasquidPath: chasquidPathOf(facts), now }),
    notes: [],
  };
  const events: ApplyEvent[] = [];
  const result = await applyPlan(plan, {
    conn,
    host,
    secrets: new MemorySecretStore(),
    regather: () => gatherFacts(conn),
    onEvent: (e) => events.push(e),
    now,
  });
  return { plan, result, events };
}

for (const instance of instances) {
  describe(`DKIM on ${instance.suite}`, { skip: instances.length === 0 && skipReason }, () => {
    let conn: RemoteConnection;
    const host = hostFor(instance);
    const legacy = instance.suite === 'bookworm';

    before(async () => {
      conn = connect(instance);
      opened.push(conn);
      // The install action may not have run here; the lock timeout waits for a parallel apt.
      await conn.exec(
        shellScript(
          'command -v chasquid >/dev/null && command -v dkimsign >/dev/null && exit 0; apt-get -q update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 chasquid python3-dkim >/dev/null',
        ),
        { sudo: true, timeoutMs: 600_000 },
      );
    });

    after(async () => {
      await conn.exec(
        shellCommand(['rm', '-rf', '--', `/etc/chasquid/domains/${DOMAIN}`, `/etc/chasquid/certs/${DOMAIN}`]),
        { sudo: true },
      );
    });

    it('creates the keys with owner root:chasquid and mode 0640, never printing them', async () => {
      const { plan, result, events } = await planAndApply(conn, host, FIRST_RUN);
      assert.equal(plan.actions.length, 1, plan.actions.map((a) => a.title).join('; '));
      if (legacy) assert.match(plan.actions[0]!.reason, /Ed25519 is skipped/);
      assert.ok(result.ok, JSON.stringify(result.failed));
      const expected = legacy
        ? [`/etc/chasquid/certs/${DOMAIN}/dkim_privkey.pem`]
        : [
            `/etc/chasquid/domains/${DOMAIN}/dkim:mw20261128r.pem`,
            `/etc/chasquid/domains/${DOMAIN}/dkim:mw20261128e.pem`,
          ];
      const stat = await conn.exec(shellCommand(['stat', '-c', '%U:%G %a %n', ...expected]), { sudo: true });
      assert.deepEqual(
        stat.stdout.trim().split('\n'),
        expected.map((f) => `root:chasquid 640 ${f}`),
      );
      const output = JSON.stringify(events);
      assert.doesNotMatch(output, /PRIVATE KEY/);
      if (legacy) {
        const selector = await conn.exec(
          shellCommand(['cat', `/etc/chasquid/domains/${DOMAIN}/dkim_selector`]),
        );
        assert.equal(selector.stdout, 'mw20261128\n');
      }
    });

    it('publishes the record chasquid itself would (native) / signs through dkimsign (legacy)', async () => {
      const path = legacy ? 'legacy' : 'native-dkim';
      const keys = await installedDkimKeys(conn, path, DOMAIN);
      const records = await installedPublicKeysBySelector(conn, path, DOMAIN);
      if (legacy) {
        assert.deepEqual(Object.keys(records), ['mw20261128']);
        assert.equal(keys[0]!.keyType, 'rsa');
        // The stock hook runs dkimsign as user chasquid from /etc/chasquid with these arguments.
        const signed = await conn.exec(
          shellScript(
            'cd /etc/chasquid && printf "From: a@%s\\r\\nTo: b@example.net\\r\\nSubject: t\\r\\n\\r\\nhello\\r\\n" "$1" | runuser -u chasquid -- dkimsign "$(cat domains/$1/dkim_selector)" "$1" certs/$1/dkim_privkey.pem',
            [DOMAIN],
          ),
          { sudo: true },
        );
        assert.match(signed.stdout, /DKIM-Signature:.*/);
        assert.match(signed.stdout.replace(/\s+/g, ''), new RegExp(`s=mw20261128;`));
        return;
      }
      assert.deepEqual(Object.keys(records).sort(), ['mw20261128e', 'mw20261128r']);
      for (const key of keys) {
        const r = await conn.exec(
          shellCommand([
            'chasquid-util',
            '--configdir=/etc/chasquid',
            'dkim-dns',
            DOMAIN,
            key.selector,
            key.file,
          ]),
          { sudo: true },
        );
        const [name, type, quoted] = r.stdout.trim().split('\t');
        const ours = records[key.selector]!;
        assert.equal(name, ours.name);
        assert.equal(type, 'TXT');
        assert.equal(JSON.parse(quoted!), ours.value);
        for (const s of ours.strings) assert.ok(Buffer.byteLength(s) <= 255);
      }
    });

    it('a later run keeps the keys (no rotation)', async () => {
      const before = await installedDkimKeys(conn, legacy ? 'legacy' : 'native-dkim', DOMAIN);
      const { plan } = await planAndApply(conn, host, new Date('2027-06-01T00:00:00Z'));
      assert.deepEqual(plan.actions, []);
      const afterRun = await installedDkimKeys(conn, legacy ? 'legacy' : 'native-dkim', DOMAIN);
      assert.deepEqual(afterRun, before);
    });

    it('IPv6 already up: no IPv6 action', async () => {
      const facts = await gatherFacts(conn);
      assert.ok(facts.addresses.ipv6.length > 0);
      assert.deepEqual(planIpv6({ host, facts, chasquidPath: chasquidPathOf(facts), now: new Date() }), []);
    });
  });
}
