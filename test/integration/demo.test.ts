// `npm run demo` is the first thing a new user runs: it must end with mail that arrives. The
// demo script itself runs here, on a VPS of its own, and must succeed (it fails when its own test
// mail does not reach alice's mailbox); then the swaks line it prints is played (a submission on
// 465 as alice to alice) and the message is read back from the mailbox over IMAP.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fetchByHeader } from '../../src/core/imap';
import { sendTestMail } from '../../src/core/smtp';

const ROOT = resolve(__dirname, '../..');
// scripts/test-integration names it (and takes it down if the run is killed); alone, a name of our own.
const NAME = process.env.MAILWRIGHT_DEMO_SANDBOX ?? `dm-${process.pid}`;
const skip =
  process.getuid?.() !== 0
    ? 'the demo needs root (systemd-nspawn, network namespaces)'
    : process.env.MAILWRIGHT_SKIP_DEMO_TEST
      ? 'MAILWRIGHT_SKIP_DEMO_TEST is set'
      : false;

function runDemo(): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn('bash', ['scripts/demo'], {
      cwd: ROOT,
      env: { ...process.env, MAILWRIGHT_DEMO_SANDBOX: NAME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => done({ code, output }));
  });
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((done) => spawn(cmd, args, { cwd: ROOT, stdio: 'ignore' }).on('close', () => done()));
}

describe('npm run demo (on a VPS of its own)', { skip, timeout: 20 * 60_000 }, () => {
  after(async () => {
    await run('bash', ['scripts/testdns', 'stop', `mw-${NAME}`]);
    await run('bash', ['scripts/sandbox', 'down', NAME]);
  });

  let instance: { ipv4: string } | undefined;
  let password = '';

  it('provisions, publishes the DNS records and its own test mail arrives, DKIM-signed', async () => {
    const { code, output } = await runDemo();
    const tail = output.split('\n').slice(-60).join('\n');
    assert.equal(code, 0, `the demo failed:\n${tail}`);
    assert.match(output, /^delivered +PASS .*arrived at alice@example\.test/m, tail);
    assert.match(output, /^PASS +DKIM RSA signature \(d=example\.test/m, tail);
    assert.match(output, /^PASS +DKIM Ed25519 signature \(d=example\.test/m, tail);
    assert.match(output, /^PASS +DMARC/m, tail);
    assert.match(
      output,
      /swaks --server \S+ --port 465 --tls-on-connect --auth-user alice@example\.test --to alice@example\.test/,
    );
    const path = execFileSync('bash', ['scripts/sandbox', 'path', NAME], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    instance = JSON.parse(readFileSync(path, 'utf8')) as { ipv4: string };
    password = readFileSync(join(dirname(path), 'alice.password'), 'utf8').trim();
  });

  it('the swaks line it prints ends in a stored message, read back over IMAP', async (t) => {
    if (!instance) return t.skip('the demo did not run');
    const token = randomUUID();
    const sent = await sendTestMail({
      host: instance.ipv4,
      port: 465,
      secure: true,
      user: 'alice@example.test',
      password,
      from: 'alice@example.test',
      to: 'alice@example.test',
      subject: `swaks-like ${token}`,
      text: 'as the demo suggests\n',
      headers: { 'X-Demo-Check': token },
      servername: 'smtp.example.test',
      tlsRejectUnauthorized: false,
      timeoutMs: 30_000,
    });
    assert.match(sent.response, /^250\b/);
    const deadline = Date.now() + 60_000;
    let raw: Buffer | undefined;
    while (!raw && Date.now() < deadline) {
      raw = await fetchByHeader(
        {
          host: instance.ipv4,
          servername: 'smtp.example.test',
          user: 'alice@example.test',
          password,
          rejectUnauthorized: false,
        },
        'X-Demo-Check',
        token,
      );
      if (!raw) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(raw, 'the message is in alice@example.test INBOX');
    assert.match(raw.toString('utf8'), /^DKIM-Signature: /m, 'stored signed');
  });
});
