// Shared by the ACME integration tests: pebble (scripts/testacme) started against the test
// knot, a test-only RFC 2136 provider (knsupdate), a propagation wait pointed at the test
// knot, the TSIG key of the fixture, a CLI workspace renewing through both, and the serial a
// sandbox serves on 465/587.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { DnsProvider, DnsRecord } from '../../src/core/dns/providers/types';
import { probeSmtp } from '../../src/core/smtp';
import type { TestDns } from './dns-fixture';
import type { SandboxInstance } from './sandbox-instances';

const run = promisify(execFile);
export const TESTACME = resolve(__dirname, '../../scripts/testacme');
export const MAIL_HOST = 'smtp.example.test';

/** Test-only RFC 2136 provider: knsupdate with the fixture's TSIG key file (no secret in argv). */
export function knotProvider(
  dns: TestDns,
  server: string,
  keyFile = dns.tsigKeyFile,
): DnsProvider & { log: string[] } {
  const update = (line: string) =>
    new Promise<void>((ok, fail) => {
      const child = spawn('knsupdate', ['-t', '3', '-k', keyFile]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (out += d));
      child.on('close', (code) =>
        code === 0 ? ok() : fail(new Error(`RFC 2136 update refused: ${out.trim()}`)),
      );
      child.stdin.end(`server ${server} 53\nzone example.test.\n${line}\nsend\nanswer\n`);
    });
  const log: string[] = [];
  return {
    kind: 'rfc2136-test',
    log,
    list: async () => [],
    create: async (r: DnsRecord) => (
      log.push(`+${r.name} ${r.value}`),
      update(`update add ${r.name}. ${r.ttl ?? 5} TXT "${r.value}"`)
    ),
    update: async () => undefined,
    delete: async (r: DnsRecord) => (
      log.push(`-${r.name} ${r.value}`),
      update(`update delete ${r.name}. TXT "${r.value}"`)
    ),
  };
}

/** A propagation wait that asks only the test knot (polls every 100 ms, 5 s at most). */
export function waitForTxtIn(dns: TestDns) {
  return async (name: string, value: string, signal: AbortSignal) => {
    for (let i = 0; i < 50 && !signal.aborted; i++) {
      const found = await dns
        .resolver()
        .resolveTxt(name)
        .catch(() => [] as string[][]);
      if (found.some((s) => s.join('') === value)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`TXT ${name} not visible`);
  };
}

/** The fixture's TSIG key (`hmac-sha256:NAME:SECRET` in a 0600 file). */
export function tsigKey(dns: TestDns): { algorithm: string; keyName: string; secret: string } {
  const [algorithm = '', keyName = '', secret = ''] = readFileSync(dns.tsigKeyFile, 'utf8').trim().split(':');
  return { algorithm, keyName, secret };
}

export interface TestAcme {
  dir: string;
  directoryUrl: string;
  /** Root of the certificates pebble issues (changes at every start). */
  issuerRoot: string;
  /** PEM file to trust for pebble's own HTTPS. */
  tlsCaFile: string;
  stop(): Promise<void>;
}

/**
 * Starts pebble (named `name`) validating DNS-01 through `dnsServer` (HOST:PORT), listening on
 * `listen` (default 127.0.0.1; the host side of a sandbox's link lets the guest reach it).
 */
export async function startTestAcme(name: string, dnsServer: string, listen?: string): Promise<TestAcme> {
  await run('bash', [TESTACME, 'stop', name]);
  const args = ['start', name, '--dns', dnsServer, ...(listen ? ['--listen', listen] : [])];
  const { stdout } = await run('bash', [TESTACME, ...args], { timeout: 180_000 });
  const dir = stdout.trim().split('\n').at(-1)!;
  return {
    dir,
    directoryUrl: readFileSync(`${dir}/directory-url`, 'utf8').trim(),
    issuerRoot: readFileSync(`${dir}/issuer-root.pem`, 'utf8'),
    tlsCaFile: `${dir}/tls-ca.pem`,
    stop: async () => {
      await run('bash', [TESTACME, 'stop', name]);
    },
  };
}

/**
 * A workspace folder for the built CLI: a mailwright.yaml whose host is the sandbox, certified by
 * the test pebble through dns-01 with example.test published into the test knot over RFC 2136
 * (record TTL 5 s), the sandbox's known_hosts, and a resolv.conf naming the knot. The TSIG
 * secret is returned, never written: the CLI takes it from the environment.
 */
export function dns01Workspace(
  inst: SandboxInstance,
  dns: TestDns,
  acme: TestAcme,
  prefix: string,
): { work: string; secret: string } {
  const key = tsigKey(dns);
  const work = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(work, 'resolv.conf'), `nameserver ${inst.hostIpv4}\n`);
  writeFileSync(join(work, 'known_hosts'), readFileSync(inst.knownHostsFile));
  writeFileSync(
    join(work, 'mailwright.yaml'),
    [
      'version: 1',
      'hosts:',
      `  - name: ${inst.name}`,
      `    ssh: root@${inst.ipv4}:${inst.port}`,
      `    identityFile: ${inst.rootKey}`,
      `    mailHost: ${MAIL_HOST}`,
      '    acme:',
      `      ca: ${acme.directoryUrl}`,
      `      caCertificate: ${acme.tlsCaFile}`,
      '      challenge: dns-01',
      '    domains:',
      '      - name: example.test',
      '        users: []',
      '        dns:',
      '          provider: rfc2136',
      `          server: ${inst.hostIpv4}:53`,
      `          keyName: ${key.keyName}`,
      '          algorithm: hmac-sha256',
      '          ttl: 5',
      '',
    ].join('\n'),
  );
  return { work, secret: key.secret };
}

/** Serial of the certificate the sandbox serves for the mail host on 465 (TLS) or 587 (STARTTLS). */
export async function servedSerial(
  inst: SandboxInstance,
  port: 465 | 587,
  issuerRoot: string,
): Promise<string | undefined> {
  const r = await probeSmtp({
    host: inst.ipv4,
    port,
    mode: port === 465 ? 'tls' : 'starttls',
    servername: MAIL_HOST,
    ca: issuerRoot,
  });
  return r.tls.certificate?.serialNumber?.toUpperCase();
}
