// Typed, normalized view of mailwright.yaml (schema version 1).
// Names here are already validated and lowercased; IDNs are in punycode (A-labels).

export const CONFIG_FILE_NAME = 'mailwright.yaml';
export const CONFIG_SCHEMA_VERSION = 1;

export const AUTH_METHODS = ['key', 'agent', 'password'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const DKIM_ALGORITHMS = ['rsa2048', 'rsa3072', 'rsa4096', 'ed25519'] as const;
export type DkimAlgorithm = (typeof DKIM_ALGORITHMS)[number];

export const DMARC_POLICIES = ['none', 'quarantine', 'reject'] as const;
export type DmarcPolicy = (typeof DMARC_POLICIES)[number];

/** DMARC identifier alignment: relaxed (same organizational domain) or strict (exact match). */
export const DMARC_ALIGNMENTS = ['r', 's'] as const;
export type DmarcAlignment = (typeof DMARC_ALIGNMENTS)[number];

/** `split`: the `include:_spf.<domain>` pair of records (the default); `simple`: one record naming the mail host. */
export const SPF_FORMS = ['split', 'simple'] as const;
export type SpfForm = (typeof SPF_FORMS)[number];

export const DNS_PROVIDERS = ['rfc2136', 'cloudflare', 'alidns', 'manual'] as const;
export type DnsProviderName = (typeof DNS_PROVIDERS)[number];

export const TSIG_ALGORITHMS = ['hmac-sha256', 'hmac-sha512'] as const;
export type TsigAlgorithm = (typeof TSIG_ALGORITHMS)[number];

export const ACME_CHALLENGES = ['dns-01', 'http-01'] as const;
export type AcmeChallenge = (typeof ACME_CHALLENGES)[number];

/** Where certificates are renewed: by a timer on the server, or from the user's machine. */
export const ACME_RENEW_ON = ['server', 'client'] as const;
export type AcmeRenewOn = (typeof ACME_RENEW_ON)[number];

/**
 * Where a host's chasquid package comes from. `auto`: the distribution's when it signs DKIM itself
 * (1.14+), otherwise the pinned Debian 13 package; `distribution`: always the distribution's
 * (1.10-1.13 sign DKIM through a hook); `debian`: always the pinned Debian 13 package.
 */
export const CHASQUID_SOURCES = ['auto', 'distribution', 'debian'] as const;
export type ChasquidSource = (typeof CHASQUID_SOURCES)[number];

/** The per-user sending limits: messages and recipients in the last hour and the last 24 hours. */
export const SENDING_LIMIT_KEYS = [
  'messagesPerHour',
  'messagesPerDay',
  'recipientsPerHour',
  'recipientsPerDay',
] as const;
export type SendingLimitKey = (typeof SENDING_LIMIT_KEYS)[number];
/** `off`: no limit of that kind (also to lift one set higher up for a domain or a user). */
export const SENDING_LIMIT_OFF = 'off';
/** Only the limits written at that level; a missing key takes the level above's value. */
export type SendingLimits = Partial<Record<SendingLimitKey, number | typeof SENDING_LIMIT_OFF>>;
/** A domain's limits, and its users' own (by local part), each key overriding the domain's. */
export interface DomainSendingLimits extends SendingLimits {
  users: Record<string, SendingLimits>;
}

/** Named CA directories; any other `https://` URL is a CA directory too (pebble in tests). */
export const ACME_CA_DIRECTORIES = {
  letsencrypt: 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
} as const;
export type AcmeCaName = keyof typeof ACME_CA_DIRECTORIES;

/** Where to reach a server over SSH. `host` has no brackets, even for IPv6. */
export interface SshTarget {
  user: string;
  host: string;
  port: number;
}

export interface MailwrightConfig {
  version: 1;
  hosts: HostConfig[];
  git: GitConfig;
}

export interface HostConfig {
  /** Unique label, e.g. `sandbox`. */
  name: string;
  /** As written, with user root and port 22 where `ssh:` names none; `host` may be a Host alias of the SSH configuration. */
  ssh: SshTarget;
  /** Which parts of `ssh` were written (absent: all); the SSH configuration may give the others. */
  sshWritten?: { user: boolean; port: boolean };
  /** As written in the file; a leading `~` is expanded only when the key is used. */
  identityFile?: string;
  /**
   * Only when written. The default, decided when the login is resolved (resolveSsh): `key` when an
   * identity file is known (identityFile, or IdentityFile in the SSH configuration), else `agent`.
   */
  auth?: AuthMethod;
  /**
   * Jump hosts as written, first hop first: `[user@]host[:port]` or a Host alias of the SSH
   * configuration. Win over ProxyJump; logged in to like the host itself (same auth and key).
   */
  jump?: string[];
  /** The SSH agent's socket or pipe (OpenSSH's IdentityAgent), as written; wins over IdentityAgent. */
  identityAgent?: string;
  /** FQDN the server announces (chasquid hostname, PTR, MX target). */
  mailHost: string;
  domains: DomainConfig[];
  /** Only when written in the file; `acmeSettings(host)` gives the values with defaults. */
  acme?: AcmeConfig;
  /** Only when written in the file; absent means `auto`. */
  chasquid?: ChasquidSource;
  /** Only when written: the sending limits of every user of the host's domains. */
  limits?: SendingLimits;
  /** Only when written in the file; `bruteForceSettings(host)` gives the values with defaults. */
  bruteForce?: BruteForceConfig;
  /** The server checks itself from a timer and alerts (only when written in the file). */
  monitor?: MonitorConfig;
  /** Backups the server makes itself (only when written in the file). */
  backups?: BackupsConfig;
}

export interface BackupsConfig {
  /** An encrypted archive written on the server from a timer. */
  schedule?: BackupScheduleConfig;
}

export interface BackupScheduleConfig {
  /** How often: "24h", "12h", "7d". */
  every: string;
  /** How many archives stay in `dir`; the oldest beyond go. */
  keep: number;
  /** The folder on the server. */
  dir: string;
  /** The age public key (age1…) the archives are locked for; its identity stays with the user. */
  recipient: string;
  /** Include the mailboxes' mail. */
  withMail: boolean;
}

/** How the server's own checks alert: the body a webhook takes. */
export const MONITOR_WEBHOOK_FORMATS = ['generic', 'ntfy', 'slack'] as const;
export type MonitorWebhookFormat = (typeof MONITOR_WEBHOOK_FORMATS)[number];

export interface MonitorConfig {
  /** How often the checks run: "30m", "1h". */
  every: string;
  /** The webhook's format; its address is a secret, kept out of this file. */
  webhook?: MonitorWebhookFormat;
  /** An address alerts are mailed to, through the server's own chasquid. */
  mailTo?: string;
}

/** Blocking addresses that keep failing SMTP AUTH (fail2ban on the server). */
export interface BruteForceConfig {
  enabled: boolean;
  /** Failed logins from one address within findTime that block it. */
  maxRetry: number;
  /** How far back failures are counted, as written (`10m`; durationSeconds gives seconds). */
  findTime: string;
  /** How long an address stays blocked, as written (`1h`). */
  banTime: string;
  /** Addresses and networks never blocked (normalized), besides loopback and the SSH client. */
  ignore: string[];
}

export interface AcmeConfig {
  /** `letsencrypt`, `letsencrypt-staging` or a directory URL (https). */
  ca: AcmeCaName | string;
  /** Contact for the CA's expiry notices. */
  email?: string;
  challenge: AcmeChallenge;
  renewBeforeDays: number;
  /** PEM file of a private CA's root (e.g. pebble's), as written; `~` expanded at use time. */
  caCertificate?: string;
  /**
   * `server`: a systemd timer on the server renews unattended (for dns-01 the DNS credential is
   * then stored there, root-only). Only when written in the file; the default is `client`.
   */
  renewOn?: AcmeRenewOn;
}

/**
 * How Mailwright writes this domain's DNS records. Credentials never live here: they come
 * from secret storage, or MAILWRIGHT_DNS_SECRET_<DOMAIN> for the CLI.
 */
export interface DnsProviderConfig {
  provider: DnsProviderName;
  /** rfc2136 only: the primary's `host:port`. */
  server?: string;
  /** rfc2136 only: TSIG key name. */
  keyName?: string;
  /** rfc2136 only; defaults to hmac-sha256. */
  algorithm: TsigAlgorithm;
  /** Defaults to the domain itself. */
  zone: string;
  /** Seconds; defaults to 300. */
  ttl: number;
}

export interface DomainConfig {
  name: string;
  /** Local parts only; passwords never live in the file. */
  users: string[];
  /**
   * Local part (or `*` for catch-all) -> targets. A target is either a local part of
   * this domain or a full email address.
   */
  aliases: Record<string, string[]>;
  /**
   * Mail for this domain's users is stored on the server (Dovecot, read over IMAP) when true;
   * false (the default) makes a forward-only domain, where every address must end at an alias
   * to an outside mailbox.
   */
  mailboxes: boolean;
  dkim: DkimConfig;
  dmarc?: DmarcConfig;
  spf: SpfConfig;
  /** Absent: Mailwright shows the records for the user to publish. */
  dns?: DnsProviderConfig;
  /** Only when written; overrides the host's sending limits for this domain's users. */
  limits?: DomainSendingLimits;
  /** The DMARC and TLS reports mailed to the domain's report addresses, kept on the server. */
  reports?: ReportsConfig;
}

export interface ReportsConfig {
  /** Keep every report mailed to the domain's report addresses in a store on the server. */
  keep: boolean;
  /** Stored reports older than this many days are deleted. */
  retentionDays: number;
}

export interface DkimConfig {
  /** Never empty; defaults to `['rsa2048']`. */
  algorithms: DkimAlgorithm[];
  /** `'auto'` lets Mailwright choose a date-based selector. */
  selector: 'auto' | string;
}

export interface DmarcConfig {
  p: DmarcPolicy;
  /** `mailto:` URIs. */
  rua: string[];
  ruf: string[];
  /** e.g. `1` or `0:d`. */
  fo?: string;
  /** DKIM and SPF alignment; absent means the DMARC default, relaxed. */
  adkim?: DmarcAlignment;
  aspf?: DmarcAlignment;
  /** Percentage of failing mail the policy applies to (0-100); absent means 100. */
  pct?: number;
}

export interface SpfConfig {
  /** Extra `include:` domains. */
  include: string[];
  /** Only when written in the file; absent means `split`. */
  form?: SpfForm;
}

export interface GitConfig {
  /** Keep the configuration history in git; unset: the command line does, the editor asks. */
  history?: boolean;
  /** Push only when set. */
  remote?: string;
}

export type IssueSeverity = 'error' | 'warning';

/** A problem found in mailwright.yaml, placed at the offending node (1-based line/column). */
export interface ConfigIssue {
  severity: IssueSeverity;
  file: string;
  line: number;
  column: number;
  /** End of the offending text (exclusive), for editor squiggles. */
  endLine: number;
  endColumn: number;
  /** Where in the schema, e.g. `hosts[0].domains[1].name`; empty for the whole file. */
  path: string;
  /** What is wrong. */
  message: string;
  /** How to fix it, with an example of a right value. */
  hint: string;
}
