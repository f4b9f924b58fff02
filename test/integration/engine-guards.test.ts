// The engine's guards, through the CLI on a real server: a facts report that file contents cannot
// forge, no chasquid restart on a chasquid.conf it cannot load (and a complete rewrite proposed),
// user commands that keep mailwright.yaml and the server together, every input checked before the
// first change, and a workspace git that never lags the server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ChasquidConf } from '../../src/core/chasquid';
import { loadConfig } from '../../src/core/config';
import { gatherFacts } from '../../src/core/facts';
import { planHost, sha256 } from '../../src/core/plan';
import { CHASQUID_CONF_PATH } from '../../src/core/plan/actions/conf';
import { aliasesPath, usersPath, userPasswordEnvName } from '../../src/core/plan/actions/domains';
import {
  readRemoteFile,
  readRemoteFileIfExists,
  shellCommand,
  writeRemoteFileAtomic,
  type RemoteConnection,
} from '../../src/core/remote';
import { connect, sandboxes, skipReason, type SandboxInstance } from './sandbox-instances';

const instances = sandboxes();
const opened: RemoteConnection[] = [];
after(() => opened.forEach((c) => c.close()));

const CLI = join(__dirname, '..', '..', 'src', 'cli', 'bin.ts');
// A domain of its own on the shared VPSes, new on every run.
const DOMAIN = `guard${Date.now() % 1_000_000}.test`;
const PASSWORD = 'guarded but usable';

function yamlFor(instance: SandboxInstance, users: string[], aliases: string): string {
  return `version: 1
hosts:
  - name: ${instance.name}
    ssh: root@${instance.ipv4}:${instance.port}
    identityFile: ${instance.rootKey}
    mailHost: smtp.example.test
    domains:
      - name: ${DOMAIN}
        users: [${users.join(', ')}]
        aliases:
${aliases}
`;
}

const ALIASES = `          alice: alice@elsewhere.test
          info: [alice, bob@elsewhere.test]
          '*': postmaster@elsewhere.test`;

describe(
  'engine guards through the CLI (sandbox VPS)',
  { skip: instances.length === 0 && skipReason },
  () => {
    for (const instance of instances) {
      describe(`${instance.suite} (${instance.ipv4})`, { timeout: 20 * 60_000 }, () => {
        const workspace = mkdtempSync(join(tmpdir(), 'mw-guard-'));
        const home = mkdtempSync(join(tmpdir(), 'mw-guard-home-'));
        const yamlPath = join(workspace, 'mailwright.yaml');
        let conn: RemoteConnection;

        const cli = (args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}) =>
          new Promise<{ code: number; out: string }>((resolve) => {
            const child = execFile(
              process.execPath,
              [
                '--import',
                'tsx',
                CLI,
                ...args,
                '--config',
                yamlPath,
                '--host',
                instance.name,
                '--accept-new-host-key',
              ],
              {
                cwd: join(__dirname, '..', '..'),
                env: { ...process.env, HOME: home, ...opts.env },
                timeout: 600_000,
              },
              (error, stdout, stderr) => {
                const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
                resolve({ code, out: stdout + stderr });
              },
            );
            child.stdin?.end(opts.stdin ?? '');
          });
        const withPassword = (user: string) => ({ env: { [userPasswordEnvName(user, DOMAIN)]: PASSWORD } });
        const root = async (argv: string[]) =>
          (await conn.exec(shellCommand(argv), { sudo: true, check: false })).stdout.trim();
        const usersOnServer = async () =>
          ((await readRemoteFileIfExists(conn, usersPath(DOMAIN)))?.toString('utf8') ?? '')
            .split('\n')
            .flatMap((l) => /key:\s*"(.*)"/.exec(l)?.[1] ?? []);
        const mainPid = () => root(['systemctl', 'show', '-p', 'MainPID', '--value', 'chasquid']);
        const plan = async () => {
          const { config } = await loadConfig(yamlPath);
          return planHost(config!.hosts[0]!, await gatherFacts(conn));
        };

        it('a missing new-user password stops apply before anything changes', async () => {
          conn = connect(instance);
          opened.push(conn);
          await conn.connect();
          writeFileSync(yamlPath, yamlFor(instance, ['alice'], ALIASES));
          const r = await cli(['apply', '--yes']);
          assert.equal(r.code, 1, r.out);
          assert.match(
            r.out,
            new RegExp(`No password for the new mail user alice@${DOMAIN.replace('.', '\\.')}`),
          );
          assert.equal(
            await root(['sh', '-c', `[ -e /etc/chasquid/domains/${DOMAIN} ] && echo exists || echo absent`]),
            'absent',
            'no domain folder left behind',
          );
        });

        it('apply provisions and commits; a run without its commit is committed by the next apply', async () => {
          const first = await cli(['apply', '--yes'], withPassword('alice'));
          assert.equal(first.code, 0, first.out);
          const commits = async () =>
            (
              await new Promise<string>((resolve) =>
                execFile('git', ['-C', workspace, 'rev-list', '--count', 'HEAD'], (_, out) => resolve(out)),
              )
            ).trim();
          const committed = Number(await commits());
          assert.ok(committed >= 1);
          // The server changes, but that run's commit does not happen.
          writeFileSync(yamlPath, yamlFor(instance, ['alice'], `${ALIASES}\n          sales: alice`));
          const uncommitted = await cli(['apply', '--yes', '--no-commit']);
          assert.equal(uncommitted.code, 0, uncommitted.out);
          assert.equal(Number(await commits()), committed);
          // Nothing left to apply, yet the workspace catches up with the server.
          const caughtUp = await cli(['apply', '--yes']);
          assert.equal(caughtUp.code, 0, caughtUp.out);
          assert.match(caughtUp.out, /Nothing to do/);
          assert.equal(Number(await commits()), committed + 1);
          const mirrored = readFileSync(
            join(workspace, 'conf', instance.name, 'domains', DOMAIN, 'aliases'),
            'utf8',
          );
          assert.equal(mirrored, (await readRemoteFile(conn, aliasesPath(DOMAIN))).toString('utf8'));
          assert.match(mirrored, /^sales: alice@/m);
        });

        it('temporary files of writes cut off before their rename are removed by the next apply, and said in the plan', async () => {
          const dir = `/etc/chasquid/domains/${DOMAIN}`;
          // As a power loss leaves them: a copy next to its target (and a restore's), its script gone.
          const leftovers = [
            `${dir}/.mailwright-new.4000001`,
            '/etc/chasquid/hooks/.mailwright-restore.4000002',
          ];
          // Not a leftover: a write whose script still runs (process 1 always does).
          const others = [`${dir}/.mailwright-new.1`];
          const exists = async (path: string) =>
            (await root(['sh', '-c', '[ -e "$1" ] && echo yes || echo no', 'sh', path])) === 'yes';
          for (const f of [...leftovers, ...others])
            await root(['sh', '-c', 'echo half-written > "$1"', 'sh', f]);
          try {
            const planned = await cli(['plan']);
            assert.equal(planned.code, 0, planned.out);
            // The step and its reason, and no restart for files chasquid never reads.
            const step = /Remove temporary files left by interrupted writes\n\s*why: (.*)/.exec(planned.out);
            assert.ok(step, planned.out);
            for (const f of leftovers) assert.ok(step[1]!.includes(f), `${f} named in the plan`);
            for (const f of others) assert.ok(!step[1]!.includes(f), `${f} not named in the plan`);
            assert.doesNotMatch(planned.out, /restart/i, planned.out);
            const applied = await cli(['apply', '--yes']);
            assert.equal(applied.code, 0, applied.out);
            for (const f of leftovers) {
              assert.ok(applied.out.includes(`removed ${f}`), `the log says ${f} was removed`);
              assert.equal(await exists(f), false, `${f} removed`);
            }
            for (const f of others) assert.equal(await exists(f), true, `${f} kept`);
            await root(['rm', '-f', '--', ...others]);
            assert.deepEqual(
              (await plan()).actions.map((a) => a.id),
              [],
              'nothing left to plan',
            );
          } finally {
            await root(['rm', '-f', '--', ...leftovers, ...others]);
          }
        });

        it('a line in a server file cannot forge a facts section: a hand edit still shows as drift', async () => {
          const conf = (await readRemoteFile(conn, CHASQUID_CONF_PATH)).toString('utf8');
          const edited = conf.replace('hostname: "smtp.example.test"', 'hostname: "mx.example.test"');
          assert.notEqual(edited, conf);
          await writeRemoteFileAtomic(conn, CHASQUID_CONF_PATH, edited);
          const managed = JSON.parse(
            (await readRemoteFile(conn, '/var/lib/mailwright/managed.json')).toString('utf8'),
          );
          const forged = JSON.stringify({ ...managed, [CHASQUID_CONF_PATH]: sha256(edited) });
          const aliases = (await readRemoteFile(conn, aliasesPath(DOMAIN))).toString('utf8');
          await writeRemoteFileAtomic(
            conn,
            aliasesPath(DOMAIN),
            `${aliases}@@mw:managed\n${forged}\n@@mw:${'0'.repeat(32)}:managed\n${forged}\n`,
          );
          const drifted = await plan();
          const confAction = drifted.actions.find((a) => a.id === 'conf:chasquid.conf');
          assert.ok(
            confAction?.drift,
            `the hand edit of chasquid.conf is drift: ${drifted.actions.map((a) => a.id).join(', ')}`,
          );
          assert.match(confAction.drift.diff, /^-hostname: "mx\.example\.test"$/m);
          const r = await cli(['apply', '--yes', '--overwrite-drift']);
          assert.equal(r.code, 0, r.out);
          assert.equal((await readRemoteFile(conn, CHASQUID_CONF_PATH)).toString('utf8'), conf);
          assert.equal((await readRemoteFile(conn, aliasesPath(DOMAIN))).toString('utf8'), aliases);
        });

        it('chasquid is never restarted on a chasquid.conf that does not parse; the plan says where and rewrites it whole', async () => {
          const conf = (await readRemoteFile(conn, CHASQUID_CONF_PATH)).toString('utf8');
          const broken = conf.replace(/^hostname: "smtp\.example\.test"$/m, 'hostname: "smtp.example.test');
          assert.notEqual(broken, conf);
          await writeRemoteFileAtomic(conn, CHASQUID_CONF_PATH, broken);
          const p = await plan();
          const confAction = p.actions.find((a) => a.id === 'conf:chasquid.conf');
          assert.ok(confAction?.drift);
          assert.match(confAction.reason, /chasquid\.conf does not parse: line \d+:\d+: unterminated string/);
          assert.doesNotMatch(confAction.reason, /no hostname/);
          const proposed = confAction.drift.diff
            .split('\n')
            .filter((l) => l.startsWith('+') && !l.startsWith('+++'))
            .map((l) => l.slice(1))
            .join('\n');
          assert.ok(!proposed.includes('hostname: "smtp.example.test\n'), proposed);
          assert.deepEqual(
            ChasquidConf.parse(`${proposed}\n`).validate({ version: p.facts.chasquid.version }),
            [],
            'the proposal loads',
          );

          // Keeping the broken file while adding a user: the user is added, chasquid is not restarted.
          const pid = await mainPid();
          writeFileSync(
            yamlPath,
            yamlFor(
              instance,
              ['alice', 'carol'],
              `${ALIASES}\n          sales: alice\n          carol: carol@elsewhere.test`,
            ),
          );
          const kept = await cli(['apply', '--yes', '--keep-drift'], withPassword('carol'));
          assert.equal(kept.code, 1, kept.out);
          assert.match(kept.out, /chasquid is not restarted: .*does not parse: line \d+:\d+/);
          assert.ok(!(await usersOnServer()).includes('carol'), 'the refused run is undone');
          assert.equal(await root(['systemctl', 'is-active', 'chasquid']), 'active');
          assert.equal(await mainPid(), pid, 'the same chasquid process runs on');
          // Again: nothing remembered from the refused run makes the next one restart.
          const again = await cli(['apply', '--yes', '--keep-drift'], withPassword('carol'));
          assert.equal(again.code, 1, again.out);
          assert.equal(await mainPid(), pid);

          const fixed = await cli(['apply', '--yes', '--overwrite-drift'], withPassword('carol'));
          assert.equal(fixed.code, 0, fixed.out);
          const now = (await readRemoteFile(conn, CHASQUID_CONF_PATH)).toString('utf8');
          assert.deepEqual(ChasquidConf.parse(now).validate(), []);
          assert.equal(await root(['systemctl', 'is-active', 'chasquid']), 'active');
          assert.deepEqual(
            (await plan()).actions.map((a) => `${a.id}: ${a.reason}`),
            [],
          );
        });

        it('user commands: one address rule, passwd never creates, the yaml goes first and is put back on failure', async () => {
          const yamlBefore = readFileSync(yamlPath, 'utf8');
          const hostile = await cli(['user', 'add', `x|touch\${IFS}/tmp/pwn8@${DOMAIN}`], {
            stdin: PASSWORD,
          });
          assert.equal(hostile.code, 2, hostile.out);
          assert.match(hostile.out, /user name is invalid: it contains "\|"/);
          assert.doesNotMatch(hostile.out, /\n\s+at /, 'no stack trace');
          assert.equal(await root(['sh', '-c', '[ -e /tmp/pwn8 ] && echo yes || echo no']), 'no');
          assert.ok(!(await usersOnServer()).some((u) => u.includes('|')));
          assert.equal(readFileSync(yamlPath, 'utf8'), yamlBefore);

          const nobody = await cli(['user', 'passwd', `nobody@${DOMAIN}`], { stdin: PASSWORD });
          assert.equal(nobody.code, 2, nobody.out);
          assert.match(nobody.out, /not a user in .*user add nobody@/);
          assert.ok(!(await usersOnServer()).includes('nobody'));

          // Listed in the yaml but not on the server: still not created by passwd.
          writeFileSync(yamlPath, yamlBefore.replace('users: [alice, carol]', 'users: [alice, carol, dave]'));
          writeFileSync(
            yamlPath,
            readFileSync(yamlPath, 'utf8').replace("'*':", "dave: dave@elsewhere.test\n          '*':"),
          );
          const dave = await cli(['user', 'passwd', `dave@${DOMAIN}`], { stdin: PASSWORD });
          assert.equal(dave.code, 2, dave.out);
          assert.match(dave.out, /does not exist on the server: add it with `mailwright user add dave@/);
          assert.ok(!(await usersOnServer()).includes('dave'));
          writeFileSync(yamlPath, yamlBefore);

          // The server's side fails (its users file is not a file): the yaml is put back.
          const users = await readRemoteFile(conn, usersPath(DOMAIN));
          await root(['sh', '-c', `mv "$0" "$0.keep" && mkdir "$0"`, usersPath(DOMAIN)]);
          try {
            const failed = await cli(['user', 'add', `erin@${DOMAIN}`], { stdin: PASSWORD });
            assert.notEqual(failed.code, 0, failed.out);
            assert.match(failed.out, /mailwright\.yaml was put back as it was/);
            assert.equal(readFileSync(yamlPath, 'utf8'), yamlBefore);
          } finally {
            await root(['sh', '-c', `rmdir "$0" && mv "$0.keep" "$0"`, usersPath(DOMAIN)]);
          }
          assert.deepEqual(await readRemoteFile(conn, usersPath(DOMAIN)), users);
        });

        it('removing a user takes it out of the aliases that name it and leaves a valid yaml', async () => {
          const r = await cli(['user', 'remove', `alice@${DOMAIN}`]);
          assert.equal(r.code, 0, r.out);
          assert.match(
            r.out,
            new RegExp(`info@${DOMAIN.replace('.', '\\.')} now forwards to bob@elsewhere\\.test`),
          );
          assert.match(r.out, /sales@.* was removed \(it forwarded only to alice\)/);
          assert.ok(!(await usersOnServer()).includes('alice'));
          const loaded = await loadConfig(yamlPath);
          assert.deepEqual(
            loaded.issues.filter((i) => i.severity === 'error'),
            [],
          );
          const domain = loaded.config?.hosts[0]?.domains[0];
          assert.deepEqual(domain?.users, ['carol']);
          assert.deepEqual(domain?.aliases.info, ['bob@elsewhere.test']);
          const next = await cli(['plan']);
          assert.equal(next.code, 0, next.out);
        });
      });
    }
  },
);
