// `mailwright apply --all` over a fleet, with the built CLI as a user runs it: three hosts serve
// one domain; the first is a fresh VPS, the second a VPS whose login needs a sudo password nobody
// gave (the planner refuses it), the third a port where no SSH server listens. The fresh one is
// provisioned, the other two are reported with their reasons, nothing of theirs is changed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { shellCommand, type RemoteConnection } from '../../src/core/remote';
import { connect, type SandboxInstance } from './sandbox-instances';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const paths = (process.env.MAILWRIGHT_FLEET_SANDBOXES ?? '').split(/\s+/).filter(Boolean);
const [fresh, locked] = paths.map((p) => JSON.parse(readFileSync(p, 'utf8')) as SandboxInstance);

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(work: string, args: string[]): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args, '--config', join(work, 'mailwright.yaml'), '--known-hosts', join(work, 'known_hosts')],
      {
        cwd: work,
        env: {
          PATH: process.env.PATH,
          HOME: join(work, 'home'),
          MAILWRIGHT_USER_PASSWORD_ALICE_EXAMPLE_TEST: 'fleet test password, not secret',
        },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function domainLines(selector: string): string[] {
  return [
    '    domains:',
    '      - name: example.test',
    '        users: [alice]',
    '        aliases:',
    '          alice: alice@elsewhere.test',
    "          '*': postmaster@elsewhere.test",
    `        dkim: { selector: ${selector} }`,
  ];
}

const skip =
  !fresh || !locked ? 'no fleet sandboxes (MAILWRIGHT_FLEET_SANDBOXES, scripts/test-integration)' : false;

describe(
  'apply --all over a fleet (the built CLI, two sandbox VPSes)',
  { skip, timeout: 10 * 60_000 },
  () => {
    let work: string;
    let lockedConn: RemoteConnection;
    /** What Mailwright last wrote on the locked server: must not change. */
    const stateOf = async () =>
      (
        await lockedConn.exec(
          shellCommand([
            'sh',
            '-c',
            'sha256sum /var/lib/mailwright/managed.json 2>&1; command -v chasquid || true',
          ]),
          { sudo: true, check: false },
        )
      ).stdout;
    let lockedBefore: string;

    before(async () => {
      work = mkdtempSync(join(tmpdir(), 'mw-fleet-'));
      const yaml = [
        'version: 1',
        'hosts:',
        '  - name: fresh',
        `    ssh: root@${fresh!.ipv4}:${fresh!.port}`,
        `    identityFile: ${fresh!.rootKey}`,
        '    mailHost: smtp1.example.test',
        ...domainLines('auto'),
        '  - name: locked',
        `    ssh: ${locked!.sudoPasswordUser}@${locked!.ipv4}:${locked!.port}`,
        `    identityFile: ${locked!.sudoPasswordUserKey}`,
        '    mailHost: smtp2.example.test',
        ...domainLines('locked'),
        '  - name: gone',
        // Nothing listens on port 1 of the locked VPS: the connection is refused.
        `    ssh: root@${locked!.ipv4}:1`,
        `    identityFile: ${locked!.rootKey}`,
        '    mailHost: smtp3.example.test',
        ...domainLines('gone'),
        '',
      ].join('\n');
      writeFileSync(join(work, 'mailwright.yaml'), yaml);
      writeFileSync(
        join(work, 'known_hosts'),
        readFileSync(fresh!.knownHostsFile, 'utf8') + readFileSync(locked!.knownHostsFile, 'utf8'),
      );
      lockedConn = connect(locked!);
      lockedBefore = await stateOf();
    });
    after(() => lockedConn?.close());

    it('provisions the fresh host, reports the refused and the unreachable one, and exits 1', async () => {
      const run = await cli(work, ['apply', '--all', '--yes']);
      const out = run.stdout;
      assert.equal(run.code, 1, `exit code\n${out}\n${run.stderr}`);
      // The combined plan: a header per host; the refusals shown beside the fresh host's plan.
      const plan = out.slice(0, out.indexOf('3 host(s):'));
      assert.match(plan, /=== fresh \(root@[\d.]+:22\) ===\nPlan for fresh .*\n {2}1\. /);
      assert.match(
        plan,
        /=== locked \([\w-]+@[\d.]+:22\) ===\nREFUSED: locked will not be changed:\n {2}[\w-]+ needs a sudo password on locked/,
      );
      assert.match(
        plan,
        /=== gone \(root@[\d.]+:1\) ===\nREFUSED: gone will not be changed:\n {2}.*connection refused/,
      );
      assert.match(
        out,
        /3 host\(s\): 1 to change \(\d+ action\(s\)\), 0 already right, 2 refused \(locked, gone\)\./,
      );
      // The fresh host's steps, each line saying whose it is.
      assert.match(out, /^fresh: \[1\/\d+\] /m);
      assert.doesNotMatch(out, /^(locked|gone): \[/m);
      const results = out.slice(out.indexOf('Results:'));
      assert.match(results, /^ {2}fresh +ok: \d+ action\(s\) applied$/m);
      assert.match(results, /^ {2}locked +FAILED: .*sudo password/m);
      assert.match(results, /^ {2}gone +FAILED: /m);
      assert.match(results, /2 of 3 host\(s\) did not succeed: locked, gone\.$/m);
    });

    it('left the refused server as it was, and the fresh one needs nothing more', async () => {
      assert.equal(await stateOf(), lockedBefore);
      const again = await cli(work, ['plan', '--host', 'fresh', '--detailed-exitcode']);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /Nothing to do: the server already matches mailwright\.yaml/);
      // Its configuration snapshot was committed into the workspace.
      assert.ok(
        readFileSync(join(work, 'conf', 'fresh', 'chasquid.conf'), 'utf8').includes('smtp1.example.test'),
      );
    });
  },
);
