// MTA-STS beyond the TXT: the policy parser, the mx wildcard rule, the verdict, and the fetcher
// against a REAL local HTTPS server with a throwaway self-signed certificate (loopback only).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { testDomain, testHost } from './config-fixture';
import { checkRecords } from '../../src/core/dns/check';
import { formatDnsReport } from '../../src/core/dns/domain-check';
import { expectedRecords, mtaStsPolicy } from '../../src/core/dns/expected';
import { MemoryDns } from './memory-dns';
import {
  fetchMtaStsPolicy,
  judgeMtaStsPolicy,
  mxPatternMatches,
  parseMtaStsPolicy,
  type MtaStsFetch,
} from '../../src/core/dns/mta-sts';

const DOMAIN = 'example.test';
const MAIL_HOST = 'smtp.example.test';
const POLICY_HOST = `mta-sts.${DOMAIN}`;
const URL = `https://${POLICY_HOST}/.well-known/mta-sts.txt`;

describe('parseMtaStsPolicy', () => {
  it('reads CRLF and LF lines, several mx lines, and ignores unknown keys', () => {
    const crlf = parseMtaStsPolicy(
      'version: STSv1\r\nmode: enforce\r\nmx: mail.example.test\r\nmx: *.backup.example.test\r\nmax_age: 86400\r\n',
    );
    assert.deepEqual(crlf, {
      version: 'STSv1',
      mode: 'enforce',
      mx: ['mail.example.test', '*.backup.example.test'],
      maxAge: 86400,
      problems: [],
    });
    const lf = parseMtaStsPolicy(
      'version: STSv1\nmode: testing\nmx: MAIL.Example.TEST.\nmax_age: 1\nfuture_key: x\n',
    );
    assert.deepEqual(lf.mx, ['mail.example.test']);
    assert.deepEqual(lf.problems, []);
  });

  it('says what is missing or wrong', () => {
    assert.deepEqual(parseMtaStsPolicy('mode: enforce\nmx: a.example.test\nmax_age: 10\n').problems, [
      'no "version: STSv1" line',
    ]);
    assert.deepEqual(parseMtaStsPolicy('version: STSv2\nmode: strict\nmax_age: soon\n').problems, [
      'version is "STSv2", must be STSv1',
      'max_age "soon" is not a number of seconds',
      'mode "strict" is not enforce, testing or none',
      'no "mx:" line',
    ]);
    assert.deepEqual(parseMtaStsPolicy('version: STSv1\nmode: none\nmax_age: 99999999\n').problems, [
      'max_age 99999999 is more than a year (31557600)',
    ]);
    assert.deepEqual(
      parseMtaStsPolicy('version: STSv1\nmode: testing\nmode: enforce\nmx: a\nmax_age: 1\n').problems,
      ['"mode" appears more than once'],
    );
    // The policy Mailwright generates is valid.
    assert.deepEqual(parseMtaStsPolicy(mtaStsPolicy(DOMAIN, MAIL_HOST).text).problems, []);
  });
});

describe('mxPatternMatches (RFC 8461 4.1)', () => {
  it('a wildcard covers exactly one leftmost label; otherwise names must be equal', () => {
    assert.equal(mxPatternMatches('*.example.test', 'smtp.example.test'), true);
    assert.equal(mxPatternMatches('*.example.test', 'SMTP.Example.Test.'), true);
    assert.equal(mxPatternMatches('*.example.test', 'example.test'), false);
    assert.equal(mxPatternMatches('*.example.test', 'a.b.example.test'), false);
    assert.equal(mxPatternMatches('*.example.test', 'smtpexample.test'), false);
    assert.equal(mxPatternMatches('smtp.example.test', 'smtp.example.test'), true);
    assert.equal(mxPatternMatches('smtp.example.test', 'mx.example.test'), false);
  });
});

describe('judgeMtaStsPolicy', () => {
  const served = (text: string, contentType = 'text/plain'): MtaStsFetch => ({
    outcome: 'ok',
    address: '192.0.2.1',
    status: 200,
    contentType,
    text,
  });
  const policy = (mode: string, mx: string) =>
    `version: STSv1\r\nmode: ${mode}\r\nmx: ${mx}\r\nmax_age: 86400\r\n`;

  it('a valid policy covering the mail host (by name or wildcard) is ok', () => {
    const exact = judgeMtaStsPolicy(served(policy('enforce', MAIL_HOST)), MAIL_HOST, URL);
    assert.equal(exact.ok, true);
    assert.equal(exact.fix, undefined);
    assert.equal(exact.mode, 'enforce');
    assert.ok(
      judgeMtaStsPolicy(
        served(policy('testing', '*.example.test'), 'text/plain; charset=utf-8'),
        MAIL_HOST,
        URL,
      ).ok,
    );
  });

  it('a wrong mx: enforce says senders refuse, testing says they only report', () => {
    const enforce = judgeMtaStsPolicy(served(policy('enforce', 'mx.other.test')), MAIL_HOST, URL);
    assert.equal(enforce.ok, false);
    assert.equal(
      enforce.fix,
      `the policy's mx (mx.other.test) does not cover ${MAIL_HOST}: add "mx: ${MAIL_HOST}" — senders that support MTA-STS will refuse to deliver in enforce mode`,
    );
    const testing = judgeMtaStsPolicy(served(policy('testing', 'mx.other.test')), MAIL_HOST, URL);
    assert.equal(testing.ok, false);
    assert.match(
      testing.fix ?? '',
      /in testing mode senders only report the failure \(TLS-RPT\) and still deliver$/,
    );
  });

  it('unreachable, not text/plain, or invalid: not ok, with a one-line fix', () => {
    const unreachable = judgeMtaStsPolicy(
      { outcome: 'certificate', address: '192.0.2.1', detail: 'the certificate of x is not valid: y' },
      MAIL_HOST,
      URL,
    );
    assert.equal(unreachable.ok, false);
    assert.equal(
      unreachable.fix,
      `senders cannot fetch the policy (the certificate of x is not valid: y): serve it at ${URL}, or remove the _mta-sts TXT record`,
    );
    const html = judgeMtaStsPolicy(served(policy('enforce', MAIL_HOST), 'text/html'), MAIL_HOST, URL);
    assert.match(html.fix ?? '', /^the policy is served as "text\/html": serve it as text\/plain — senders/);
    const invalid = judgeMtaStsPolicy(served('mode: enforce\r\n'), MAIL_HOST, URL);
    assert.match(
      invalid.fix ?? '',
      /^senders ignore an invalid policy: fix it at .*: no "version: STSv1" line$/,
    );
  });
});

// ---------- a real HTTPS server on loopback

const run = promisify(execFile);

describe('fetchMtaStsPolicy and the check, against a real HTTPS server', () => {
  let dir: string;
  let cert: string;
  let server: Server;
  let port: number;
  /** What the server answers, per test. */
  let respond: { status: number; type: string; body: string } = { status: 404, type: 'text/plain', body: '' };
  const seen: Array<{ host?: string; path?: string; servername?: string }> = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mw-mta-sts-'));
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      `/CN=${POLICY_HOST}`,
      '-addext',
      `subjectAltName=DNS:${POLICY_HOST}`,
    ]);
    cert = await readFile(join(dir, 'cert.pem'), 'utf8');
    server = createServer({ key: await readFile(join(dir, 'key.pem')), cert }, (req, res) => {
      seen.push({
        host: req.headers.host,
        path: req.url,
        servername: (req.socket as unknown as { servername?: string }).servername,
      });
      res.writeHead(respond.status, { 'Content-Type': respond.type });
      res.end(respond.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const lookup = new MemoryDns({ [POLICY_HOST]: { A: ['127.0.0.1'] } });
  const good = mtaStsPolicy(DOMAIN, MAIL_HOST).text;

  it('fetches the policy from the address DNS gives, with SNI and Host of the policy host', async () => {
    respond = { status: 200, type: 'text/plain', body: good };
    seen.length = 0;
    const fetched = await fetchMtaStsPolicy(DOMAIN, lookup, { port, extraCa: cert });
    assert.deepEqual(fetched, {
      outcome: 'ok',
      address: '127.0.0.1',
      status: 200,
      contentType: 'text/plain',
      text: good,
    });
    assert.deepEqual(seen, [
      { host: POLICY_HOST, path: '/.well-known/mta-sts.txt', servername: POLICY_HOST },
    ]);
    assert.equal(judgeMtaStsPolicy(fetched, MAIL_HOST, URL).ok, true);
  });

  it('without the extra CA the self-signed certificate is refused (verification is never off)', async () => {
    respond = { status: 200, type: 'text/plain', body: good };
    const fetched = await fetchMtaStsPolicy(DOMAIN, lookup, { port });
    assert.equal(fetched.outcome, 'certificate', JSON.stringify(fetched));
  });

  it('a certificate for another name is refused', async () => {
    const other = new MemoryDns({ 'mta-sts.other.test': { A: ['127.0.0.1'] } });
    const fetched = await fetchMtaStsPolicy('other.test', other, { port, extraCa: cert });
    assert.equal(fetched.outcome, 'certificate', JSON.stringify(fetched));
  });

  it('404, a redirect, no address, and a closed port are told apart', async () => {
    respond = { status: 404, type: 'text/plain', body: 'not found' };
    const notFound = await fetchMtaStsPolicy(DOMAIN, lookup, { port, extraCa: cert });
    assert.equal(notFound.outcome, 'http-status');
    assert.match('detail' in notFound ? notFound.detail : '', /answered HTTP 404$/);
    respond = { status: 301, type: 'text/plain', body: '' };
    assert.equal((await fetchMtaStsPolicy(DOMAIN, lookup, { port, extraCa: cert })).outcome, 'redirect');
    const nowhere = await fetchMtaStsPolicy(DOMAIN, new MemoryDns({}), { port, extraCa: cert });
    assert.deepEqual(nowhere, { outcome: 'no-address', detail: `${POLICY_HOST} has no A or AAAA record` });
    const closed = await fetchMtaStsPolicy(DOMAIN, lookup, { port: 1, extraCa: cert });
    assert.equal(closed.outcome, 'unreachable', JSON.stringify(closed));
  });

  it('a server that accepts but never answers ends as a timeout', async () => {
    const held: Socket[] = [];
    const silent = createNetServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const silentPort = (silent.address() as AddressInfo).port;
      const started = Date.now();
      const fetched = await fetchMtaStsPolicy(DOMAIN, lookup, {
        port: silentPort,
        extraCa: cert,
        timeoutMs: 300,
      });
      assert.equal(fetched.outcome, 'timeout', JSON.stringify(fetched));
      assert.ok(Date.now() - started < 3000, 'ended near the timeout');
    } finally {
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });

  it('cancelling rejects instead of reporting a finding', async () => {
    const abort = new AbortController();
    abort.abort(new Error('cancelled by the test'));
    await assert.rejects(fetchMtaStsPolicy(DOMAIN, lookup, { port, extraCa: cert, signal: abort.signal }));
  });

  // The whole check: the TXT published, then the policy it points to.
  const host = testHost({
    name: 'vps',
    ssh: { user: 'root', host: MAIL_HOST, port: 22 },
    mailHost: MAIL_HOST,
  });
  const domain = testDomain({ name: DOMAIN });
  const expected = expectedRecords({ host, domain, addresses: { ipv4: [], ipv6: [] }, dkimKeys: [] }).filter(
    (r) => r.kind === 'mta-sts',
  );
  const txt = expected[0]!;
  const checkWith = async (txtValues: string[] | undefined) => {
    const zone = new MemoryDns({
      [POLICY_HOST]: { A: ['127.0.0.1'] },
      ...(txtValues && { [`_mta-sts.${DOMAIN}`]: { TXT: txtValues } }),
    });
    const findings = await checkRecords({
      domain: DOMAIN,
      mailHost: MAIL_HOST,
      expected,
      authoritative: zone,
      recursive: zone,
      addresses: { ipv4: [], ipv6: [] },
      mtaSts: { port, extraCa: cert },
    });
    assert.equal(findings.length, 1);
    return findings[0]!;
  };

  it('check: TXT and a good policy → ok; a wrong mx in enforce mode → an error saying senders refuse', async () => {
    respond = { status: 200, type: 'text/plain', body: good };
    const ok = await checkWith([txt.value]);
    assert.equal(ok.status, 'ok');
    assert.ok(ok.notes.includes(`fetched ${URL} from 127.0.0.1`), ok.notes.join('\n'));

    respond = {
      status: 200,
      type: 'text/plain',
      body: good.replace(`mx: ${MAIL_HOST}`, 'mx: mx.other.test').replace('testing', 'enforce'),
    };
    const wrong = await checkWith([txt.value]);
    assert.equal(wrong.status, 'wrong');
    assert.equal(wrong.severity, 'error');
    assert.match(wrong.fix ?? '', /will refuse to deliver in enforce mode$/);
    for (const line of txt.details ?? []) assert.ok(wrong.notes.includes(line), `note "${line}"`);
    assert.ok(
      wrong.notes.includes('mode: enforce, max_age: 604800, mx: mx.other.test'),
      wrong.notes.join('\n'),
    );
  });

  it('check: TXT with the policy at 404 → wrong warning with the policy to serve; no TXT → missing, nothing fetched', async () => {
    respond = { status: 404, type: 'text/plain', body: '' };
    const unreachable = await checkWith([txt.value]);
    assert.equal(unreachable.status, 'wrong');
    assert.equal(unreachable.severity, 'warning');
    assert.match(unreachable.fix ?? '', /^senders cannot fetch the policy \(.*answered HTTP 404\)/);
    assert.ok(unreachable.notes.includes('mode: testing'), 'the exact policy text is in the notes');

    seen.length = 0;
    const missing = await checkWith(undefined);
    assert.equal(missing.status, 'missing');
    assert.equal(missing.severity, 'warning');
    assert.deepEqual(seen, [], 'no fetch without the TXT');
    assert.deepEqual(missing.notes.slice(-6), txt.details);
    // The CLI table shows them under the row, in order.
    const table = formatDnsReport({
      domain: DOMAIN,
      host: 'vps',
      mailHost: MAIL_HOST,
      checkedAt: '',
      durationMs: 1,
      findings: [missing],
    });
    const policyLines = table.split('\n').filter((l) => /^\s+- (version|mode|mx|max_age): /.test(l));
    assert.deepEqual(
      policyLines.map((l) => l.trim()),
      ['- version: STSv1', '- mode: testing', `- mx: ${MAIL_HOST}`, '- max_age: 604800'],
    );
  });
});
