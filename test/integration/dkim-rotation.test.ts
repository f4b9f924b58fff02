// A DKIM key rotation on a Debian 13 and a Debian 12 VPS of their own
// (MAILWRIGHT_ROTATION_SANDBOX_13/_12), with the domain's records in a real knot updated over
// RFC 2136: mail signed before the rotation verifies (also after the switch, the old record being
// kept), the new records are published and seen before chasquid signs with the new keys, a second
// run makes no key, mail signed after the switch verifies with the new selectors, and once the
// retention's date is past (moved back in the state on the server) a run removes the old records
// from knot and the old keys from the server. Debian 13's chasquid 1.15 signs itself with an RSA
// and an Ed25519 key; Debian 12's chasquid 1.11 signs through the post-data hook with one RSA key
// (its key and selector files replaced, no restart). Both VPSes run side by side.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { ChasquidPath } from '../../src/core/chasquid';
import { installedDkimKeys, type InstalledDkimKey } from '../../src/core/dkim';
import { legacyKeyPath, legacySelectorPath } from '../../src/core/dkim/layout';
import { rotateDkim, type RotateOptions } from '../../src/core/dkim/rotate';
import { rotationStatePath, type RotationState } from '../../src/core/dkim/rotation';
import { Rfc2136Provider } from '../../src/core/dns/providers/rfc2136';
import { lookupValues } from '../../src/core/dns/propagation';
import { gatherFacts } from '../../src/core/facts';
import { runMailTest, verifyDelivered, type DeliveredMessage } from '../../src/core/mailtest';
import { chasquidPathOf, planHost } from '../../src/core/plan';
import { readRemoteFile, shellScript, writeRemoteFileAtomic } from '../../src/core/remote';
import { INBOX_ZONE } from './dns-fixture';
import { inboxFetcher } from './inbox-fixture';
import { DOMAIN, provisionMailTestHost, startMailTestBed, type MailTestBed } from './mail-test-bed';
import { skipReason, type SandboxInstance } from './sandbox-instances';

// The two VPSes of this file alone: never the shared pair (sandboxes() would fall back to it).
const instances = ['MAILWRIGHT_ROTATION_SANDBOX_13', 'MAILWRIGHT_ROTATION_SANDBOX_12']
  .map((variable) => process.env[variable])
  .filter((file): file is string => Boolean(file))
  .map((file) => JSON.parse(readFileSync(file, 'utf8')) as SandboxInstance);
const DAY = 86_400;

describe(
  'DKIM key rotation with knot',
  {
    skip:
      instances.length === 0 &&
      (process.env.CI
        ? skipReason
        : 'set MAILWRIGHT_ROTATION_SANDBOX_13 and/or MAILWRIGHT_ROTATION_SANDBOX_12'),
    // The VPSes are independent: the rotations run side by side (Debian 12's hook signs slowly).
    concurrency: true,
  },
  () => {
    for (const instance of instances)
      describe(
        `${instance.suite} (chasquid ${instance.suite === 'trixie' ? 'signs itself' : 'signs through the post-data hook'})`,
        { timeout: 20 * 60_000, concurrency: 1 },
        () => {
          const legacy = instance.suite === 'bookworm';
          /** The key types the domain signs with: RSA and Ed25519 side by side, or the hook's one RSA key. */
          const keyTypes = legacy ? ['rsa'] : ['ed25519', 'rsa'];
          let path: Exclude<ChasquidPath, 'unsupported'>;
          let bed: MailTestBed;
          let provider: Rfc2136Provider;
          let oldKeys: InstalledDkimKey[];
          let newKeys: InstalledDkimKey[];
          let signedBefore: DeliveredMessage | undefined;
          const log: string[] = [];

          before(async () => {
            bed = await startMailTestBed(instance);
            // knsupdate's key file: hmac-sha256:NAME:SECRET.
            const [algorithm, keyName, secret] = readFileSync(bed.dns.tsigKeyFile, 'utf8').trim().split(':');
            assert.equal(algorithm, 'hmac-sha256');
            provider = new Rfc2136Provider({
              host: instance.hostIpv4,
              port: 53,
              zone: DOMAIN,
              keyName: keyName!,
              algorithm: 'hmac-sha256',
              secret: secret!,
              ttl: 5,
            });
          });
          after(async () => {
            await bed?.close();
          });

          async function rotate(extra: Partial<RotateOptions> = {}) {
            return rotateDkim({
              conn: bed.conn,
              domain: bed.host.domains[0]!,
              facts: await gatherFacts(bed.conn),
              provider,
              servers: bed.dns.servers,
              retentionSeconds: 7 * DAY,
              waitMs: 60_000,
              log: (...lines) => log.push(...lines),
              ...extra,
            });
          }

          async function txtAt(name: string): Promise<string[]> {
            return lookupValues(bed.dns.servers[0]!, name, 'TXT');
          }

          async function rotationFiles(): Promise<string[]> {
            const r = await bed.conn.exec(
              shellScript('ls -1 /var/lib/mailwright/dkim-rotation/"$1" 2>/dev/null; exit 0', [DOMAIN]),
              { sudo: true },
            );
            return r.stdout.split('\n').filter(Boolean).sort();
          }

          async function dkimChecks(label: string) {
            let delivered: DeliveredMessage | undefined;
            const fetch = inboxFetcher(bed.inbox);
            const report = await runMailTest(
              bed.options(`someone@${INBOX_ZONE}`, {
                fetchDelivered: async (token, signal) => (delivered ??= await fetch(token, signal)),
              }),
            );
            const dkim = report.checks.filter((c) => c.id.startsWith('dkim:'));
            const lines = dkim.map((c) => `${c.status} ${c.id} | ${c.evidence.join(' | ')}`).join('\n');
            assert.equal(
              dkim.length,
              keyTypes.length,
              `${label}: one signature per key (${keyTypes.join(', ')})\n${lines}`,
            );
            for (const c of dkim) assert.equal(c.status, 'pass', `${label}\n${lines}`);
            return { dkim, delivered: delivered! };
          }

          it(
            `provisions the domain with ${legacy ? 'an RSA key' : 'an RSA and an Ed25519 key'}; its mail verifies`,
            { timeout: 10 * 60_000 },
            async () => {
              assert.deepEqual(await provisionMailTestHost(bed), keyTypes);
              const found = chasquidPathOf(await gatherFacts(bed.conn));
              assert.equal(found, legacy ? 'legacy' : 'native-dkim');
              path = found as typeof path;
              oldKeys = await installedDkimKeys(bed.conn, path, DOMAIN);
              assert.equal(oldKeys.length, keyTypes.length);
              const { dkim, delivered } = await dkimChecks('before the rotation');
              for (const k of oldKeys)
                assert.ok(
                  dkim.some((c) => c.id.endsWith(`:${k.selector}`)),
                  k.selector,
                );
              signedBefore = delivered;
            },
          );

          it('a dry run shows the stages and changes nothing', async () => {
            const result = await rotate({ dryRun: true });
            assert.equal(result.step, 'generate');
            assert.deepEqual(
              result.stages.map((s) => s.status),
              ['next', 'pending', 'pending', 'pending', 'pending', 'pending'],
            );
            assert.deepEqual(await rotationFiles(), []);
          });

          it('rotates: new records published and seen on knot, then signing switched; the old record stays', async () => {
            const stagesSeen: string[][] = [];
            const result = await rotate({
              onStages: (stages) => stagesSeen.push(stages.map((s) => s.status)),
            });
            assert.equal(result.step, 'retain', log.join('\n'));
            assert.deepEqual(
              result.stages.map((s) => s.status),
              ['done', 'done', 'done', 'done', 'waiting', 'pending'],
            );
            // Each stage was reported as it was reached.
            assert.ok(stagesSeen.length >= 5, JSON.stringify(stagesSeen));
            newKeys = await installedDkimKeys(bed.conn, path, DOMAIN);
            assert.equal(newKeys.length, keyTypes.length);
            assert.ok(
              newKeys.every((k) => !oldKeys.some((o) => o.selector === k.selector)),
              'new selectors',
            );
            assert.deepEqual(newKeys.map((k) => k.keyType).sort(), keyTypes);
            const state = result.state!;
            assert.ok(state.seenAt! <= state.switchedAt!, 'switched only once the records were seen');
            for (const k of [...oldKeys, ...newKeys]) {
              const found = await txtAt(`${k.selector}._domainkey.${DOMAIN}`);
              assert.equal(found.length, 1, `${k.selector}: ${found.join(' | ')}`);
              assert.ok(found[0]!.includes(k.publicKey), k.selector);
            }
            // The old keys wait in the rotation folder, root only; chasquid no longer has them.
            assert.deepEqual(
              await rotationFiles(),
              [...oldKeys, ...newKeys].map((k) => `${k.selector}.pem`).sort(),
            );
            const modes = await bed.conn.exec(
              shellScript('stat -c "%a %U" /var/lib/mailwright/dkim-rotation "$1"', [
                rotationStatePath(DOMAIN),
              ]),
              { sudo: true },
            );
            assert.deepEqual(modes.stdout.trim().split('\n'), ['700 root', '600 root']);
          });

          it('running it again makes no key and changes nothing before the date', async () => {
            const before1 = await rotationFiles();
            const result = await rotate();
            assert.equal(result.step, 'retain');
            assert.deepEqual(await rotationFiles(), before1);
            assert.deepEqual(
              (await installedDkimKeys(bed.conn, path, DOMAIN)).map((k) => k.selector),
              newKeys.map((k) => k.selector),
            );
            assert.ok(
              log.some((l) => /stay until \d{4}-\d\d-\d\dT/.test(l)),
              log.join('\n'),
            );
          });

          it('mail signed after the switch verifies with the new keys; the one signed before still does', async () => {
            const { dkim } = await dkimChecks('after the switch');
            for (const k of newKeys)
              assert.ok(
                dkim.some((c) => c.id.endsWith(`:${k.selector}`)),
                k.selector,
              );
            const again = await verifyDelivered(signedBefore!, { resolver: bed.options('x@y').resolver });
            const old = again.checks.filter((c) => c.id.startsWith('dkim:'));
            assert.equal(old.length, keyTypes.length);
            for (const c of old) assert.equal(c.status, 'pass', c.evidence.join('\n'));
            for (const k of oldKeys)
              assert.ok(
                old.some((c) => c.id.endsWith(`:${k.selector}`)),
                k.selector,
              );
          });

          it('after the retention a run removes the old records and keys', async () => {
            // The retention's date, moved back on the server: as if the seven days had passed.
            const file = rotationStatePath(DOMAIN);
            const state = JSON.parse(
              (await readRemoteFile(bed.conn, file)).toString('utf8'),
            ) as RotationState;
            state.switchedAt = new Date(Date.now() - 8 * DAY * 1000).toISOString();
            await writeRemoteFileAtomic(bed.conn, file, JSON.stringify(state));
            const result = await rotate();
            assert.equal(result.step, 'done', log.join('\n'));
            assert.ok(result.stages.every((s) => s.status === 'done'));
            for (const k of oldKeys)
              assert.deepEqual(await txtAt(`${k.selector}._domainkey.${DOMAIN}`), [], k.selector);
            for (const k of newKeys)
              assert.equal((await txtAt(`${k.selector}._domainkey.${DOMAIN}`)).length, 1);
            assert.deepEqual(await rotationFiles(), []);
            const left = await bed.conn.exec(shellScript('ls -1 /etc/chasquid/domains/"$1"', [DOMAIN]), {
              sudo: true,
            });
            assert.deepEqual(
              left.stdout
                .split('\n')
                .filter((f) => f.startsWith('dkim:'))
                .sort(),
              legacy ? [] : newKeys.map((k) => `dkim:${k.selector}.pem`).sort(),
            );
            if (legacy) {
              // The hook's one key and selector file are the new key's; no other key is left to sign with.
              const selector = (await readRemoteFile(bed.conn, legacySelectorPath(DOMAIN))).toString('utf8');
              assert.equal(selector, `${newKeys[0]!.selector}\n`);
              const signing = await installedDkimKeys(bed.conn, path, DOMAIN);
              assert.deepEqual(signing, newKeys);
              assert.equal(signing[0]!.file, legacyKeyPath(DOMAIN));
            }
            // Mail still verifies, and provisioning has nothing to do with the new keys.
            await dkimChecks('after the removal');
            const plan = planHost(bed.host, await gatherFacts(bed.conn));
            assert.deepEqual(
              plan.actions.filter((a) => a.kind === 'dkim'),
              [],
            );
          });
        },
      );
  },
);
