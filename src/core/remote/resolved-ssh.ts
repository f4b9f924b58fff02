// One SSH login as resolved from mailwright.yaml, the command line and the user's SSH
// configuration: the type alone, so that the error messages can describe a login without
// depending on how it is resolved.
import type { AuthMethod, SshTarget } from '../config/types';

/** The resolved description of one SSH login; `jumps` are the hops before it, first hop first. */
export interface ResolvedSsh {
  target: SshTarget;
  /** How to authenticate: mailwright.yaml's `auth`, else `key` when an identity file is known, else `agent`. */
  auth: AuthMethod;
  /** Private keys to offer, in order (paths expanded). */
  identityFiles: string[];
  identitiesOnly: boolean;
  /** The agent socket (IdentityAgent); absent: SSH_AUTH_SOCK. */
  identityAgent?: string;
  jumps: ResolvedSsh[];
  /** Known-hosts files the configuration names (UserKnownHostsFile); empty: Mailwright's default files. */
  knownHostsFiles: string[];
  connectTimeoutMs?: number;
  /** 0 turns keepalives off. */
  keepaliveIntervalMs?: number;
  /**
   * Where each value came from: `mailwright.yaml`, `~/.ssh/config:12`, `default`. Keys: user, host,
   * port, auth, identityFiles[i], identitiesOnly, identityAgent, proxyJump, knownHostsFiles,
   * connectTimeout, keepaliveInterval.
   */
  origins: Record<string, string>;
  /** Lines of the configuration that apply but that Mailwright does not follow, each said once. */
  warnings: string[];
  /** The name as given (`myvps`), when the configuration was consulted for it. */
  alias: string;
  /** The configuration read, as messages show it (`~/.ssh/config`); absent when none was read. */
  configFile?: string;
  /** The name is no Host of the configuration and it gave no HostName: it must be a host name itself. */
  unknownAlias?: { suggestion?: string };
}
