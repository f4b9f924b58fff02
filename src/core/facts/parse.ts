// Turns the tagged output of the facts script into Facts. Pure, so every
// odd system (TinyCore installer, rescue shell, container) is unit-tested.
import { X509Certificate } from 'node:crypto';
import { parseBlocked } from '../brute-force/jail';
import { spkiSha256 } from '../dns/dane';
import { DOVECOT_CONF_PATH, DOVECOT_PACKAGES } from '../dovecot/conf';
import { normalizeIpAddress } from '../names';
import { isWriteLeftover } from '../remote/files';
import { parseAptPolicy } from './apt-policy';
import type {
  BruteForceFacts,
  CertificateFacts,
  ChasquidState,
  DovecotFacts,
  Facts,
  ListeningSocket,
  RenewalFacts,
  BackupArchivesFacts,
  StorageFacts,
} from './types';
import { reportHeader } from './script';

const CONF_PATH = '/etc/chasquid/chasquid.conf';

/**
 * Each section header is printed as "\n@@mw:<key>:NAME\n" with this run's key (see
 * `reportHeader` in script.ts), so a section's text is exactly what its commands printed (file
 * contents come back byte for byte, trailing newline included) and a line of a file that looks
 * like a header — with any other key, or none — is only text.
 */
export function splitSections(output: string, key: string): Map<string, string> {
  if (!/^[0-9a-f]{32}$/.test(key)) throw new RangeError('a facts report key is 32 hex digits');
  const header = new RegExp(`^${reportHeader(key, '')}([a-z0-9-]+(?::[^\\s/]+)?)$`);
  const sections = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  for (const line of output.split('\n')) {
    const m = header.exec(line);
    if (m) {
      if (name) sections.set(name, lines.join('\n'));
      name = m[1];
      lines = [];
    } else if (name) {
      lines.push(line);
    }
  }
  if (name) sections.set(name, lines.join('\n'));
  return sections;
}

/** Path -> sha256 from `sha256sum` lines. */
export function parseFileHashes(text: string): Record<string, string> {
  return Object.fromEntries(
    lines(text).map((l) => {
      const [hash, ...path] = l.split(/\s+/);
      return [path.join(' '), hash ?? ''];
    }),
  );
}

function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return out;
}

const SUPPORTED: Record<string, string[]> = { debian: ['12', '13'], ubuntu: ['22.04', '24.04'] };

/** dpkg's name for a machine (`uname -m`), when dpkg itself could not be asked. */
const DPKG_ARCH_OF: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64' };

/** What apt says about chasquid: the distribution's offer, and where the installed version came from. */
function chasquidPolicy(
  installed: string | undefined,
  section: string | undefined,
): Partial<Facts['chasquid']> {
  const policy = parseAptPolicy(section ?? '');
  return {
    offered: policy.offered,
    ...(installed && policy.installed === installed && { installedFrom: policy.installedFrom }),
  };
}

/** The version of an installed package from "${Status}|${Version}" (a removed one's leftovers do not count). */
export function installedPackageVersion(section: string | undefined): string | undefined {
  const [status, version] = lines(section)[0]?.split('|') ?? [];
  // "install ok installed" or "hold ok installed"; "deinstall ok config-files" is a removed one.
  return status?.split(' ')[2] === 'installed' && version ? version : undefined;
}

/** "0100007F:0019" (little-endian IPv4) or 32 hex digits in 4-byte little-endian words (IPv6). */
function decodeProcAddress(hex: string): string {
  const bytes = Buffer.from(hex, 'hex');
  if (bytes.length === 4) return [...bytes].reverse().join('.');
  const words: string[] = [];
  for (let i = 0; i < 16; i += 4) {
    const w = Buffer.from(bytes.subarray(i, i + 4)).reverse();
    words.push(w.toString('hex', 0, 2), w.toString('hex', 2, 4));
  }
  return words
    .map((w) => w.replace(/^0+(?=.)/, ''))
    .join(':')
    .replace(/(^|:)0(:0)+(:|$)/, '::')
    .replace(/:::+/, '::');
}

export function parseListening(tcp: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of tcp.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '0A') continue; // 0A = LISTEN
    const [addrHex, portHex] = (f[1] ?? '').split(':');
    if (!addrHex || !portHex) continue;
    out.push({ address: decodeProcAddress(addrHex), port: parseInt(portHex, 16) });
  }
  return out;
}

/** Global-scope addresses from `ip -o addr show`. */
export function parseAddresses(text: string): { ipv4: string[]; ipv6: string[] } {
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  for (const line of text.split('\n')) {
    const m = /\binet(6?)\s+([0-9a-fA-F.:]+)\/\d+.*\bscope global\b/.exec(line);
    if (!m) continue;
    (m[1] ? ipv6 : ipv4).push(m[2]!);
  }
  return { ipv4: [...new Set(ipv4)], ipv6: [...new Set(ipv6)] };
}

function detectSystemState(sections: Map<string, string>, os: Record<string, string>): Facts['system'] {
  const markers = (sections.get('markers') ?? '').split('\n');
  const banner = sections.get('banner') ?? '';
  if (markers.includes('tinycore') || /Welcome to TinyCore/i.test(banner) || os.ID === 'tinycore') {
    return {
      state: 'installing',
      reason:
        'The server answers with TinyCore Linux: the provider is still installing the OS. Wait a few minutes and retry.',
    };
  }
  if (markers.includes('debian-installer') || markers.includes('subiquity')) {
    return {
      state: 'installing',
      reason: 'The OS installer is still running. Wait until it finishes and retry.',
    };
  }
  if (markers.some((m) => /^status: running/.test(m))) {
    return {
      state: 'installing',
      reason: 'cloud-init is still configuring the server. Wait a minute and retry.',
    };
  }
  if (markers.includes('rescue-motd')) {
    return {
      state: 'rescue',
      reason:
        'The server is booted into its provider’s rescue system. Reboot it into the installed OS first.',
    };
  }
  if (!os.ID) {
    return {
      state: 'installing',
      reason: 'The server has no /etc/os-release: it is not a finished Linux install yet.',
    };
  }
  return { state: 'ready' };
}

function lines(text: string | undefined): string[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** `key`: the one the report was framed with (`newReportKey`). */
export function parseFacts(output: string, key: string, durationMs: number, now = new Date()): Facts {
  const s = splitSections(output, key);
  const [uid = '', user = '', groups = ''] = lines(s.get('id'));
  const osr = parseOsRelease(s.get('os-release') ?? '');
  const [kernel = '', arch = ''] = lines(s.get('uname'));
  const [hostname = '', fqdn = ''] = lines(s.get('hostname'));
  const df = lines(s.get('df'))[1]?.split(/\s+/) ?? [];
  const mem = Object.fromEntries(
    lines(s.get('meminfo')).map((l) => {
      const [k, v] = l.split(/:\s+/);
      return [k, parseInt(v ?? '0', 10) * 1024];
    }),
  );
  const pkg = installedPackageVersion(s.get('chasquid-pkg'));
  const binary = lines(s.get('chasquid-bin'))[0];
  const [active, enabled] = lines(s.get('chasquid-service'));
  const sudoLine = lines(s.get('sudo'))[0] ?? 'none';
  const sudo = (
    ['root', 'nopasswd', 'password'].includes(sudoLine)
      ? sudoLine
      : sudoLine === 'password-unknown'
        ? 'password'
        : 'none'
  ) as Facts['sudo'];
  const id = (osr.ID ?? '').toLowerCase();
  const versionId = osr.VERSION_ID ?? '';
  const listening = [...parseListening(s.get('tcp') ?? ''), ...parseListening(s.get('tcp6') ?? '')];
  const confFiles = s.has('conf-files') ? parseFileHashes(s.get('conf-files') ?? '') : undefined;

  return {
    gatheredAt: now.toISOString(),
    durationMs,
    login: { user: user.trim(), uid: Number(uid.trim()), groups: groups.trim().split(/\s+/).filter(Boolean) },
    system: detectSystemState(s, osr),
    os: {
      id,
      versionId,
      prettyName: osr.PRETTY_NAME ?? (id ? `${id} ${versionId}` : 'unknown'),
      codename: osr.VERSION_CODENAME ?? '',
      supported: SUPPORTED[id]?.includes(versionId) ?? false,
    },
    kernel,
    arch,
    packageArch: lines(s.get('dpkg-arch'))[0] ?? DPKG_ARCH_OF[arch] ?? '',
    systemd: lines(s.get('systemd'))[0] === 'yes',
    hostname,
    fqdn: fqdn || hostname,
    addresses: parseAddresses(s.get('addr') ?? ''),
    ipv6: {
      disabledBySysctl: lines(s.get('ipv6-disabled'))[0] === '1',
      netplanFiles: lines(s.get('netplan')),
    },
    listening,
    hasApt: lines(s.get('apt')).length > 0,
    chasquid: {
      installed: Boolean(pkg || binary),
      version: pkg,
      ...chasquidPolicy(pkg, s.get('chasquid-policy')),
      binary,
      active,
      enabled,
    },
    resources: {
      diskFreeBytes: parseInt(df[3] ?? '0', 10) * 1024,
      diskTotalBytes: parseInt(df[1] ?? '0', 10) * 1024,
      memTotalBytes: mem.MemTotal ?? 0,
      memAvailableBytes: mem.MemAvailable ?? 0,
    },
    sudo,
    confFiles,
    confTree: confFiles ? s.get('conf-tree') || undefined : undefined,
    // A file whose script still runs ("busy") is another run's write in progress, not a leftover.
    leftoverFiles: confFiles
      ? [...new Set(lines(s.get('leftovers')).filter(isWriteLeftover))].sort()
      : undefined,
    chasquidState: parseChasquidState(s, confFiles),
    dovecot: parseDovecot(s, confFiles),
    renewal: parseRenewal(s.get('renewal')),
    bruteForce: {
      ...parseBruteForce(
        `${s.get('brute-force') ?? ''}\n${s.get('brute-force-service') ?? ''}`,
        confFiles ? (s.get('blocked') ?? '') : undefined,
      ),
      jail: s.get('brute-force-jail') || undefined,
    },
    storage: parseStorage(s.get('storage')),
    checkTimer: parseRenewal(s.get('check-timer')),
    checkState: s.get('check-state')?.trim() || undefined,
    backupTimer: parseRenewal(s.get('backup-timer')),
    backupArchives: parseBackupArchives(s.get('backup-archives')),
    daneRollovers: s.has('dane-rollovers')
      ? lines(s.get('dane-rollovers') ?? '').flatMap((f) => (f.endsWith('.json') ? [f.slice(0, -5)] : []))
      : undefined,
    chasquidUnits: Object.fromEntries(
      lines(s.get('chasquid-units')).map((l) => {
        const [unit = '', state = ''] = l.split(/\s+/);
        return [unit, state];
      }),
    ),
  };
}

function parseDovecot(s: Map<string, string>, confFiles: Record<string, string> | undefined): DovecotFacts {
  const packages = lines(s.get('dovecot-pkg')).map((l) => l.split('|'));
  const installed = (name: string) =>
    packages.some(([status, pkg]) => pkg === name && status === 'install ok installed');
  const version = packages.find(
    ([status, pkg]) => pkg === 'dovecot-core' && status === 'install ok installed',
  )?.[2];
  const [active, enabled] = lines(s.get('dovecot-service'));
  const store = lines(s.get('mail-store'));
  return {
    installed: DOVECOT_PACKAGES.every(installed),
    version: version || undefined,
    active,
    enabled,
    storeUser: store.find((l) => !l.includes(' ')),
    storeDir: store.find((l) => l.includes(' ')),
    conf: confFiles && DOVECOT_CONF_PATH in confFiles ? (s.get('dovecot-conf') ?? '') : undefined,
    users: confFiles ? lines(s.get('dovecot-users')) : undefined,
  };
}

/** `disk <dir> <df -Pk line>` and `inodes <dir> <df -Pi line>` lines, one pair per folder. */
export function parseStorage(text: string | undefined): StorageFacts[] {
  const byPath = new Map<string, StorageFacts>();
  for (const line of lines(text)) {
    const [kind, path = '', , total = '', , free = '', , ...mount] = line.split(/\s+/);
    if (!path.startsWith('/') || !/^\d+$/.test(total) || !/^\d+$/.test(free)) continue;
    const entry = byPath.get(path) ?? {
      path,
      mount: mount.join(' '),
      totalBytes: 0,
      freeBytes: 0,
      inodesTotal: 0,
      inodesFree: 0,
    };
    if (kind === 'disk') {
      entry.totalBytes = Number(total) * 1024;
      entry.freeBytes = Number(free) * 1024;
    } else if (kind === 'inodes') {
      entry.inodesTotal = Number(total);
      entry.inodesFree = Number(free);
    } else continue;
    byPath.set(path, entry);
  }
  return [...byPath.values()];
}

/** `now <seconds>`, `dir <path>`, then `file <mtime> <size> <mode> <owner> <name>` lines. */
export function parseBackupArchives(text: string | undefined): BackupArchivesFacts | undefined {
  let now: number | undefined;
  let dir: string | undefined;
  const files: BackupArchivesFacts['files'] = [];
  for (const line of lines(text)) {
    const [first = '', ...rest] = line.trim().split(/\s+/);
    if (first === 'now') now = Number(rest[0]);
    else if (first === 'dir') dir = rest.join(' ');
    else if (first === 'file' && rest.length >= 5) {
      const [mtime = '', size = '', mode = '', owner = '', ...name] = rest;
      files.push({ name: name.join(' '), mtime: Number(mtime), size: Number(size), mode, owner });
    }
  }
  if (now === undefined || !Number.isFinite(now) || dir === undefined) return undefined;
  return { now, dir, files: files.sort((a, b) => a.mtime - b.mtime) };
}

export function parseRenewal(text: string | undefined): RenewalFacts {
  const facts: RenewalFacts = { files: {} };
  for (const line of lines(text)) {
    const [first = '', ...rest] = line.trim().split(/\s+/);
    if (first === 'node') facts.node = rest[0]?.replace(/^v/, '') || undefined;
    else if (first === 'candidate')
      facts.nodeCandidate = rest[0] && rest[0] !== '(none)' ? rest[0] : undefined;
    else if (first === 'timer-enabled') facts.timerEnabled = rest[0];
    else if (first === 'timer-active') facts.timerActive = rest[0];
    else if (first === 'service-result') facts.serviceResult = rest[0];
    else if (/^[0-9a-f]{64}$/.test(first) && rest.length > 0) facts.files[rest.join(' ')] = first;
  }
  return facts;
}

/** The brute-force section, and the root section's blocked list (undefined without root access). */
export function parseBruteForce(text: string | undefined, blocked: string | undefined): BruteForceFacts {
  const facts: BruteForceFacts = { packages: {}, files: {} };
  for (const line of lines(text)) {
    const [first = '', ...rest] = line.trim().split(/\s+/);
    if (first === 'pkg') {
      const [status = '', name = '', version = ''] = rest.join(' ').split('|');
      if (status === 'install ok installed' && name) facts.packages[name] = version;
    } else if (first.startsWith('ActiveState=')) facts.active = first.slice(12) || undefined;
    else if (first.startsWith('UnitFileState=')) facts.enabled = first.slice(14) || undefined;
    else if (first === 'ssh-client') {
      const client = normalizeIpAddress(rest[0] ?? '');
      facts.sshClient = client.ok ? client.value : undefined;
    } else if (/^[0-9a-f]{64}$/.test(first) && rest.length > 0) facts.files[rest.join(' ')] = first;
  }
  const list = blocked === undefined ? undefined : parseBlocked(blocked);
  if (list?.jail) facts.blocked = list.addresses;
  return facts;
}

/**
 * The first certificate of a fullchain.pem (the server's own). Subject and issuer are written as
 * OpenSSL 3.2 and later print them ("C=US, O=Let's Encrypt, CN=R11"); a file that holds no readable
 * certificate gives no dates, which the plan treats as no certificate.
 */
export function parseCertificate(pem: string): CertificateFacts {
  const block = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem)?.[0];
  let cert: X509Certificate | undefined;
  try {
    cert = block ? new X509Certificate(block) : undefined;
  } catch {
    cert = undefined;
  }
  if (!cert) return { selfSigned: false };
  const names = (dn: string) => dn.split('\n').filter(Boolean).join(', ');
  const date = new Date(cert.validTo);
  const subject = names(cert.subject);
  const issuer = names(cert.issuer);
  return {
    notAfter: isNaN(date.getTime()) ? undefined : date.toISOString(),
    serial: cert.serialNumber.toLowerCase(),
    subject,
    issuer,
    selfSigned: subject === issuer,
    spkiSha256: spkiSha256(cert.publicKey),
  };
}

/** managed.json as Mailwright writes it; {} when absent or unreadable. */
export function parseManaged(text: string | undefined): Record<string, string> {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function parseChasquidState(
  s: Map<string, string>,
  confFiles: Record<string, string> | undefined,
): ChasquidState | undefined {
  if (!confFiles) return undefined;
  const state: ChasquidState = {
    conf: CONF_PATH in confFiles ? (s.get('chasquid-conf') ?? '') : undefined,
    domains: {},
    certs: {},
    managed: parseManaged(s.get('managed')),
  };
  for (const [key, value] of s) {
    const [kind, name] = key.split(/:(.*)/s);
    if (!name) continue;
    if (kind === 'domain-files') (state.domains[name] ??= { files: [], users: [] }).files = lines(value);
    if (kind === 'domain-users') (state.domains[name] ??= { files: [], users: [] }).users = lines(value);
    if (kind === 'domain-aliases') {
      const domain = (state.domains[name] ??= { files: [], users: [] });
      if (domain.files.includes('aliases')) domain.aliases = value;
    }
    if (kind === 'cert') state.certs[name] = parseCertificate(value);
  }
  return state;
}

/** Ports a listening socket list covers, sorted and unique. */
export function listeningPorts(facts: Facts): number[] {
  return [...new Set(facts.listening.map((l) => l.port))].sort((a, b) => a - b);
}
