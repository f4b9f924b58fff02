// mailwright send-test against a real SMTP server on 127.0.0.1 (the test receiver, STARTTLS and
// AUTH): the password from the environment or stdin and never in the output, text and JSON
// reports, exit codes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MailTestReport } from '../../src/core/mailtest';
import { userPasswordEnvName } from '../../src/core/plan/actions/domains';
import { startTestReceiver, type TestReceiver } from '../../src/core/smtp/test-receiver';

const CLI = join(__dirname, '..', '..', 'src', 'cli', 'bin.ts');
const USER = 'bob@example.test';
const PASSWORD = 'send-test cli: n0t-in-the-output';

/** Runs the CLI in a child process (the receiver is in this process: never block it). */
function run(
  args: string[],
  opts: { env?: Record<string, string>; stdin?: string } = {},
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { env: { ...process.env, ...opts.env } },
      (error, out, err) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, out, err });
      },
    );
    child.stdin?.end(opts.stdin ?? '');
  });
}

describe('mailwright send-test', () => {
  let receiver: TestReceiver;
  before(async () => {
    receiver = await startTestReceiver({ users: { [USER]: PASSWORD } });
  });
  after(() => receiver.close());

  const args = () => [
    'send-test',
    '--host',
    '127.0.0.1',
    '--port',
    String(receiver.port),
    '--to',
    'you@example.org',
    '--from',
    USER,
  ];

  it('sends with the password from the environment and prints the report; exit 0 without a failure', async () => {
    const r = await run(args(), { env: { [userPasswordEnvName('bob', 'example.test')]: PASSWORD } });
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /^sent {6}WARN/m); // the self-signed certificate
    assert.match(r.out, /^PASS {2}AUTH as bob@example\.test$/m);
    assert.match(r.out, /^delivered SKIP/m);
    assert.ok(!(r.out + r.err).includes(PASSWORD));
    assert.ok(receiver.messages.some((m) => m.user === USER));
  });

  it('reads the password from stdin; a wrong one is a failed AUTH check, exit 1, in JSON', async () => {
    const r = await run([...args(), '--json'], { stdin: 'wrong password\n' });
    assert.equal(r.code, 1, r.err);
    const report = JSON.parse(r.out) as MailTestReport;
    assert.deepEqual(
      report.checks.map((c) => `${c.id}:${c.status}`),
      ['submit:auth:fail'],
    );
    assert.ok(!r.out.includes('wrong password'));
  });

  it('refuses a bad --to as a usage error (exit 2)', async () => {
    const r = await run(['send-test', '--host', '127.0.0.1', '--to', 'not an address']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--to must be an address/);
  });
});
