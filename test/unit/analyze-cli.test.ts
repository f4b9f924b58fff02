// mailwright analyze: a message signed here, its key, SPF and DMARC served by a DNS server on
// loopback (--dns); text and JSON output, control characters made visible, exit codes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dkimSign } from 'mailauth/lib/dkim/sign';
import type { MessageAnalysis } from '../../src/core/analyze';
import { splitTxt } from '../../src/core/dkim';
import { startTxtServer, type TxtServer } from './udp-dns';

const DOMAIN = 'example.test';

const CLI = join(__dirname, '..', '..', 'src', 'cli', 'bin.ts');

/** Runs the CLI in a child process (its DNS server is this process: never block it). */
function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], (error, out, err) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, out, err });
    });
  });
}

describe('mailwright analyze', () => {
  let dns: TxtServer;
  let dir: string;
  let signed: string;
  let unsigned: string;

  before(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
    dns = await startTxtServer({
      [`cli1._domainkey.${DOMAIN}`]: splitTxt(key),
      [DOMAIN]: ['v=spf1 ip4:192.0.2.10 -all'],
      [`_dmarc.${DOMAIN}`]: ['v=DMARC1; p=reject'],
    });
    dir = mkdtempSync(join(tmpdir(), 'mailwright-analyze-'));
    const message = [
      `From: Alice <alice@${DOMAIN}>`,
      'To: bob@example.org',
      'Subject: hello \x1b[31mred',
      `Message-ID: <cli@${DOMAIN}>`,
      '',
      'Signed by the test.',
      '',
    ].join('\r\n');
    const result = await dkimSign(message, {
      signatureData: [
        {
          signingDomain: DOMAIN,
          selector: 'cli1',
          privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          algorithm: 'rsa-sha256',
        },
      ],
    } as Parameters<typeof dkimSign>[1]);
    signed = join(dir, 'signed.eml');
    writeFileSync(signed, result.signatures + message);
    unsigned = join(dir, 'unsigned.eml');
    writeFileSync(unsigned, message);
  });

  after(() => {
    dns.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints every check and exits 0 when none fails (SPF from --ip and --mail-from)', async () => {
    const r = await run([
      'analyze',
      signed,
      '--dns',
      dns.address,
      '--ip',
      '192.0.2.10',
      '--mail-from',
      `alice@${DOMAIN}`,
    ]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^PASS {2}SPF$/m);
    assert.match(r.out, /^PASS {2}DKIM signature \(d=example\.test, s=cli1\)$/m);
    assert.match(r.out, /^PASS {2}DMARC \(From domain example\.test\)$/m);
    assert.match(r.out, /^SKIP {2}ARC$/m);
    // A control character from the message is shown, not sent to the terminal.
    assert.match(r.out, /^Subject: {4}hello \\x1b\[31mred$/m);
    assert.ok(!r.out.includes('\x1b'));
    assert.match(r.out, /^3 passed, 0 warnings, 0 failed, 1 not judged$/m);
  });

  it('exits 1 when a check fails, and --json prints the analysis alone', async () => {
    const r = await run(['analyze', unsigned, '--dns', dns.address, '--json']);
    assert.equal(r.code, 1);
    const analysis = JSON.parse(r.out) as MessageAnalysis;
    assert.equal(analysis.from, `alice@${DOMAIN}`);
    assert.equal(analysis.checks.find((c) => c.id === 'dkim')?.status, 'fail');
    assert.equal(analysis.checks.find((c) => c.id === 'spf')?.status, 'skip');
  });

  it('exits 2 for usage errors', async () => {
    assert.equal((await run(['analyze'])).code, 2);
    assert.equal((await run(['analyze', signed, '--dns', 'resolver.example'])).code, 2);
    assert.equal((await run(['analyze', signed, '--ip', 'not-an-ip'])).code, 2);
    const missing = await run(['analyze', join(dir, 'none.eml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot read/);
  });
});
