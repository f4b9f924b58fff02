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
  ssh: SshTarget;
  /** As written in the file; a leading `~` is expanded only when the key is used. */
  identityFile?: string;
  /** Explicit value, or the default: `key` when identityFile is set, else `agent`. */
  auth: AuthMethod;
  /** FQDN the server announces (chasquid hostname, PTR, MX target). */
  mailHost: string;
  domains: DomainConfig[];
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
  dkim: DkimConfig;
  dmarc?: DmarcConfig;
  spf: SpfConfig;
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
}

export interface SpfConfig {
  /** Extra `include:` domains. */
  include: string[];
}

export interface GitConfig {
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
