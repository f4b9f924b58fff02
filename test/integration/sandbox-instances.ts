// The sandbox VPSes the integration tests run against, brought up by scripts/test-integration
// (scripts/sandbox up …) and named by environment variables pointing at their instance.json.
import type { DomainConfig, HostConfig } from '../../src/core/config';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  directSsh,
  KnownHosts,
  MemorySecretStore,
  RemoteConnection,
  sha256Fingerprint,
  type AuthMethod,
  type ConnectOptions,
} from '../../src/core/remote';

export interface SandboxInstance {
  name: string;
  suite: 'trixie' | 'bookworm';
  ipv4: string;
  ipv6: string;
  hostIpv4: string;
  hostIpv6: string;
  /**
   * Addresses of the IPv4 link's subnet that are nobody's (`scripts/sandbox up --spare-ipv4`: a /29
   * instead of a /30), for a test to add on this machine's side as further clients; else empty.
   */
  spareIpv4?: string[];
  port: number;
  hostname: string;
  rootKey: string;
  user: string;
  userKey: string;
  sudoPasswordUser: string;
  sudoPasswordUserKey: string;
  sudoPasswordFile: string;
  hostKeys: string[];
  knownHostsFile: string;
  netns: string;
  leaderPid: number;
}

/**
 * Instances configured for this run; the test script always sets them. A purpose ("provision",
 * "mailflow") names VPSes of their own (MAILWRIGHT_PROVISION_SANDBOX_13 …) for tests that need a
 * server nobody else touches; without them the shared pair is used.
 */
export function sandboxes(purpose?: string): SandboxInstance[] {
  const load = (prefix: string) =>
    [`${prefix}SANDBOX_13`, `${prefix}SANDBOX_12`]
      .map((variable) => process.env[variable])
      .filter((path): path is string => Boolean(path))
      .map((path) => JSON.parse(readFileSync(path, 'utf8')) as SandboxInstance);
  const own = purpose ? load(`MAILWRIGHT_${purpose.toUpperCase()}_`) : [];
  const found = own.length > 0 ? own : load('MAILWRIGHT_');
  if (found.length === 0 && process.env.CI) {
    throw new Error(
      'No sandbox configured: set MAILWRIGHT_SANDBOX_13 / MAILWRIGHT_SANDBOX_12 (scripts/test-integration does).',
    );
  }
  return found;
}

export const skipReason = 'no sandbox VPS configured (run through scripts/test-integration)';

/** SHA256 fingerprints of the instance's real host keys. */
export function hostKeyFingerprints(instance: SandboxInstance): string[] {
  return instance.hostKeys.map((line) =>
    sha256Fingerprint(Buffer.from(line.split(/\s+/)[1] ?? '', 'base64')),
  );
}

export type Login = 'root' | 'sudo-nopasswd' | 'sudo-password';

/** A connection whose known-hosts file starts out trusting the instance's real host keys. */
export function connect(
  instance: SandboxInstance,
  login: Login = 'root',
  overrides: Partial<Omit<ConnectOptions, 'ssh'>> & { identityFile?: string; auth?: AuthMethod } = {},
): RemoteConnection {
  const user =
    login === 'root' ? 'root' : login === 'sudo-nopasswd' ? instance.user : instance.sudoPasswordUser;
  const identityFile =
    login === 'root'
      ? instance.rootKey
      : login === 'sudo-nopasswd'
        ? instance.userKey
        : instance.sudoPasswordUserKey;
  const { identityFile: keyGiven, auth, ...rest } = overrides;
  const key = 'identityFile' in overrides ? keyGiven : identityFile;
  return new RemoteConnection({
    name: instance.name,
    ssh: directSsh({ user, host: instance.ipv4, port: instance.port }, key, auth ?? 'key'),
    knownHosts: new KnownHosts(
      [instance.knownHostsFile],
      join(mkdtempSync(join(tmpdir(), 'mw-kh-')), 'known_hosts'),
    ),
    secrets: new MemorySecretStore(),
    confirmUnknownHostKey: async () => {
      throw new Error('unexpected host key prompt');
    },
    ...rest,
  });
}

export function sudoPassword(instance: SandboxInstance): string {
  return readFileSync(instance.sudoPasswordFile, 'utf8').trim();
}

/**
 * The desired state the tests provision: root login with the instance's key, one domain. Debian 12
 * keeps its own chasquid 1.11 (`chasquid: distribution`), so its tests cover the legacy DKIM hook.
 */
export function desiredHost(
  instance: SandboxInstance,
  domain: Pick<DomainConfig, 'name'> & Partial<DomainConfig>,
  mailHost = 'smtp.example.test',
): HostConfig {
  return {
    name: instance.name,
    ssh: { user: 'root', host: instance.ipv4, port: instance.port },
    auth: 'key',
    identityFile: instance.rootKey,
    mailHost,
    ...(instance.suite === 'bookworm' && { chasquid: 'distribution' as const }),
    domains: [
      {
        users: [],
        aliases: {},
        mailboxes: false,
        dkim: { algorithms: ['rsa2048'], selector: 'auto' },
        spf: { include: [] },
        ...domain,
      },
    ],
  };
}
