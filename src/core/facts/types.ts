/** What Mailwright knows about a server after one round trip. */
export interface Facts {
  gatheredAt: string;
  /** Wall time of the gathering round trip, in milliseconds. */
  durationMs: number;
  login: { user: string; uid: number; groups: string[] };
  /** Whether the machine is a finished OS, or still an installer/rescue system. */
  system: { state: 'ready' | 'installing' | 'rescue'; reason?: string };
  os: {
    id: string;
    versionId: string;
    prettyName: string;
    codename: string;
    /** Debian 12/13, Ubuntu 22.04/24.04: the systems Mailwright supports. */
    supported: boolean;
  };
  kernel: string;
  /** `uname -m`: x86_64, aarch64, … */
  arch: string;
  /** dpkg's architecture (amd64, arm64, …), which names packages; empty when unknown. */
  packageArch: string;
  systemd: boolean;
  hostname: string;
  fqdn: string;
  addresses: { ipv4: string[]; ipv6: string[] };
  ipv6: { disabledBySysctl: boolean; netplanFiles: string[] };
  listening: ListeningSocket[];
  hasApt: boolean;
  chasquid: {
    /** dpkg has it installed (a removed package's leftover configuration does not count), or a binary is found. */
    installed: boolean;
    /** The installed package's dpkg version. */
    version?: string;
    /**
     * The newest chasquid the distribution's sources offer (apt-cache policy); undefined when apt
     * lists none, which on a fresh VPS often only means `apt-get update` has not run yet.
     */
    offered?: string;
    /** Whether the installed version came from a package source or from a file (Mailwright's pinned package). */
    installedFrom?: 'archive' | 'file';
    binary?: string;
    active?: string;
    enabled?: string;
  };
  resources: {
    diskFreeBytes: number;
    diskTotalBytes: number;
    memTotalBytes: number;
    memAvailableBytes: number;
  };
  sudo: 'root' | 'nopasswd' | 'password' | 'none';
  /** sha256 of each file under /etc/chasquid, when root access was available. */
  confFiles?: Record<string, string>;
  /**
   * Temporary files of Mailwright's atomic writes that outlived their script (a write cut off by
   * a power loss), in the folders it writes to; with root access.
   */
  leftoverFiles?: string[];
  /** Type, mode and link target of each entry under /etc/chasquid (`find -printf '%y %m %p %l'`), with root access. */
  confTree?: string;
  /** chasquid's configuration as found, when root access was available. Password hashes are never read. */
  chasquidState?: ChasquidState;
  /** systemd unit files of chasquid (service and sockets) with their enablement. */
  chasquidUnits: Record<string, string>;
  dovecot: DovecotFacts;
  /** The unattended certificate renewal: its runtime and files (see plan/actions/renewal-timer.ts). */
  renewal?: RenewalFacts;
  /** fail2ban and Mailwright's jail for failed SMTP logins (see core/brute-force). */
  bruteForce?: BruteForceFacts;
  /** Free space and inodes of the folders mail is kept in (those that exist). */
  storage?: StorageFacts[];
  /** The server checks' timer and files (see plan/actions/check-timer.ts); `node` is the renewal's. */
  checkTimer?: RenewalFacts;
  /** The server checks' state file as found (JSON text), with root access; parsed by core/checks. */
  checkState?: string;
  /** The scheduled backups' timer and files (see plan/actions/backup-timer.ts); `node` is the renewal's. */
  backupTimer?: RenewalFacts;
  /** The scheduled backups' archives, with root access and a schedule installed. */
  backupArchives?: BackupArchivesFacts;
  /** Mail hosts with a DANE key rollover under way (a state file each), with root access. */
  daneRollovers?: string[];
}

export interface BackupArchivesFacts {
  /** The server's clock (seconds since the epoch) when the facts were gathered. */
  now: number;
  /** The folder the backup settings name. */
  dir: string;
  files: Array<{ name: string; mtime: number; size: number; mode: string; owner: string }>;
}

export interface StorageFacts {
  /** The folder asked about, e.g. /var/mail. */
  path: string;
  /** The mount point it is on. */
  mount: string;
  totalBytes: number;
  freeBytes: number;
  /** 0 when the file system does not count inodes (btrfs). */
  inodesTotal: number;
  inodesFree: number;
}

export interface BruteForceFacts {
  /** Installed packages among fail2ban, nftables and python3-systemd, with their versions. */
  packages: Record<string, string>;
  /** fail2ban.service: `systemctl show` ActiveState and UnitFileState. */
  active?: string;
  enabled?: string;
  /** sha256 of each of Mailwright's fail2ban files that exists (world-readable). */
  files: Record<string, string>;
  /** Mailwright's jail file as found, when it exists. */
  jail?: string;
  /** The address this SSH login comes from (never blocked), when the server says it. */
  sshClient?: string;
  /** Addresses the jail blocks now, with root access and the jail in place. */
  blocked?: string[];
}

export interface RenewalFacts {
  /** `node --version` without the "v", when Node.js is installed. */
  node?: string;
  /** The nodejs version apt would install ("Candidate:"), when apt knows one. */
  nodeCandidate?: string;
  /** sha256 of each renewal file that exists (all of them world-readable). */
  files: Record<string, string>;
  /** `systemctl is-enabled` and `is-active` of the renewal timer. */
  timerEnabled?: string;
  timerActive?: string;
  /** `systemctl show -p Result` of the service the timer starts ("success", "exit-code"…), when told. */
  serviceResult?: string;
}

/** Dovecot, which serves the mailboxes of domains with `mailboxes: true`. */
export interface DovecotFacts {
  /** dovecot-core, dovecot-imapd and dovecot-lmtpd are all installed. */
  installed: boolean;
  /** dovecot-core's version as dpkg has it, e.g. "1:2.4.1+dfsg1-6". */
  version?: string;
  active?: string;
  enabled?: string;
  /** The mail store's system user (name:uid) and folder ("owner:group mode"), when they exist. */
  storeUser?: string;
  storeDir?: string;
  /** dovecot.conf as found, when root access was available and the file exists. */
  conf?: string;
  /** Logins (user@domain) of the mailbox users file, when root access was available; never hashes. */
  users?: string[];
}

export interface ChasquidState {
  /** chasquid.conf text, undefined when the file does not exist. */
  conf?: string;
  domains: Record<string, { files: string[]; users: string[]; aliases?: string }>;
  certs: Record<string, CertificateFacts>;
  /** Path -> sha256 of the content Mailwright last wrote there (for drift detection). */
  managed: Record<string, string>;
}

export interface CertificateFacts {
  /** ISO date, from the certificate's notAfter. */
  notAfter?: string;
  serial?: string;
  subject?: string;
  issuer?: string;
  /** Issued by itself (the bootstrap certificate): mail is accepted, but nobody trusts it. */
  selfSigned?: boolean;
  /** SHA-256 of the certificate's public key (SubjectPublicKeyInfo), hex: what a DANE "3 1 1" TLSA names. */
  spkiSha256?: string;
}

export interface ListeningSocket {
  address: string;
  port: number;
}
