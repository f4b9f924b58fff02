// What one CLI command works on, decided once: mailwright.yaml loaded and validated once, the
// host chosen once by the --host rules, each host's connection opened on first use and shared,
// its facts and the records its domains need read once. Every command asks the context; none
// loads the file, connects or gathers facts again on its own.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  CONFIG_FILE_NAME,
  formatIssue,
  loadConfig,
  type DomainConfig,
  type GitConfig,
  type HostConfig,
  type MailwrightConfig,
} from '../core/config';
import { hostExpectation, type HostExpectation } from '../core/dns/domain-check';
import { gatherFacts, type Facts } from '../core/facts';
import type { RemoteConnection } from '../core/remote';
import { connectionForHost, type ConnectFlags } from './connect';
import { info, UsageError } from './output';

/** The host a command works on, with what it needs of the rest of mailwright.yaml. */
export interface Target {
  host: HostConfig;
  conn: RemoteConnection;
  configPath: string;
  /** mailwright.yaml git: history kept unless it says no; pushed after committing only with a remote. */
  git: GitConfig;
  /** Every host of mailwright.yaml (a domain may be served by several). */
  fleet: HostConfig[];
}

/** How often this command read each thing: --verbose prints it, tests hold it to once. */
export interface ContextReads {
  config: number;
  facts: number;
  /** The expected DNS records of a domain: the server's DKIM keys. */
  expectations: number;
}

export class CommandContext {
  readonly reads: ContextReads = { config: 1, facts: 0, expectations: 0 };
  private readonly conns = new Map<string, Promise<RemoteConnection>>();
  private readonly facts = new Map<string, Promise<Facts>>();
  private readonly expectations = new Map<string, Promise<HostExpectation>>();

  private constructor(
    readonly configPath: string,
    readonly config: MailwrightConfig,
    private readonly flags: ConnectFlags,
  ) {}

  /**
   * mailwright.yaml as --config names it, refused with every error in it; warnings are printed.
   * `optional`: no file is no context (undefined) rather than an error, unless --config names one.
   */
  static async open(flags: ConnectFlags): Promise<CommandContext>;
  static async open(flags: ConnectFlags, optional: true): Promise<CommandContext | undefined>;
  static async open(flags: ConnectFlags, optional = false): Promise<CommandContext | undefined> {
    const configPath = resolve(flags.config ?? CONFIG_FILE_NAME);
    if (!existsSync(configPath)) {
      if (optional && flags.config === undefined) return undefined;
      throw new UsageError(`${configPath} does not exist. Create it (see README) or pass --config.`);
    }
    const loaded = await loadConfig(configPath);
    const errors = loaded.issues.filter((i) => i.severity === 'error');
    if (!loaded.config || errors.length > 0) throw new UsageError(errors.map(formatIssue).join('\n'));
    for (const w of loaded.issues.filter((i) => i.severity === 'warning')) info(formatIssue(w));
    const context = new CommandContext(configPath, loaded.config, flags);
    context.trace(`Read ${configPath}: ${loaded.config.hosts.length} host(s).`);
    return context;
  }

  get fleet(): HostConfig[] {
    return this.config.hosts;
  }

  get git(): GitConfig {
    return this.config.git;
  }

  /** The host of mailwright.yaml called `name`; refused with the names there are. */
  hostNamed(name: string): HostConfig {
    const host = this.fleet.find((h) => h.name === name);
    if (!host)
      throw new UsageError(
        `No host named "${name}" in ${this.configPath} (hosts: ${this.fleet.map((h) => h.name).join(', ') || 'none'}).`,
      );
    return host;
  }

  /** The host the command works on: --host NAME, or the only host of mailwright.yaml. */
  host(name: string | undefined = this.flags.host): HostConfig {
    const hosts = this.fleet;
    const chosen = name ?? (hosts.length === 1 ? hosts[0]!.name : undefined);
    if (!chosen)
      throw new UsageError(
        `${this.configPath} has ${hosts.length} hosts: choose one with --host (${hosts.map((h) => h.name).join(', ')}).`,
      );
    return this.hostNamed(chosen);
  }

  /** The host's connection, opened on first use and shared by everything the command does there. */
  connection(host: HostConfig): Promise<RemoteConnection> {
    let conn = this.conns.get(host.name);
    if (!conn) {
      conn = Promise.resolve(connectionForHost(host, this.flags));
      this.conns.set(host.name, conn);
    }
    return conn;
  }

  /** The host with its connection and the rest of what a command needs of mailwright.yaml. */
  async target(host: HostConfig = this.host()): Promise<Target> {
    return {
      host,
      conn: await this.connection(host),
      configPath: this.configPath,
      git: this.git,
      fleet: this.fleet,
    };
  }

  /**
   * The host's facts, gathered once and shared; `gather` replaces the plain round trip (waiting
   * for a server that is still installing, say) for the first read.
   */
  hostFacts(
    host: HostConfig,
    signal: AbortSignal,
    gather?: (conn: RemoteConnection) => Promise<Facts>,
  ): Promise<Facts> {
    let facts = this.facts.get(host.name);
    if (!facts) {
      facts = this.connection(host).then((conn) => {
        this.reads.facts++;
        this.trace(`${host.name}: gathering the server's facts.`);
        return gather ? gather(conn) : gatherFacts(conn, { signal });
      });
      this.facts.set(host.name, facts);
    }
    return facts;
  }

  /** What the domain's DNS must hold, from the host's facts and DKIM keys, read once. */
  expectation(host: HostConfig, domain: DomainConfig, signal: AbortSignal): Promise<HostExpectation> {
    const key = `${host.name} ${domain.name}`;
    let expectation = this.expectations.get(key);
    if (!expectation) {
      expectation = Promise.all([this.connection(host), this.hostFacts(host, signal)]).then(
        ([conn, facts]) => {
          this.reads.expectations++;
          this.trace(`${host.name}: reading the DKIM keys of ${domain.name}.`);
          return hostExpectation(conn, host, domain, facts, signal, this.fleet);
        },
      );
      this.expectations.set(key, expectation);
    }
    return expectation;
  }

  /** Closes every connection opened; with --verbose, says what was read and what went over SSH. */
  async close(): Promise<void> {
    const ssh = { connects: 0, execChannels: 0, sftpChannels: 0 };
    for (const c of await Promise.allSettled(this.conns.values())) {
      if (c.status !== 'fulfilled') continue;
      c.value.close();
      ssh.connects += c.value.stats.connects;
      ssh.execChannels += c.value.stats.execChannels;
      ssh.sftpChannels += c.value.stats.sftpChannels;
    }
    const r = this.reads;
    this.trace(
      `Read mailwright.yaml ${r.config} time(s), the facts ${r.facts} time(s), DKIM keys ${r.expectations} time(s); ` +
        `SSH: ${ssh.connects} login(s), ${ssh.execChannels} command(s), ${ssh.sftpChannels} file transfer(s).`,
    );
  }

  private trace(line: string): void {
    if (this.flags.verbose) info(line);
  }
}

/** Runs `task` with the context of `flags`, closing its connections whatever happens. */
export async function withContext<T>(
  flags: ConnectFlags,
  task: (context: CommandContext) => Promise<T>,
): Promise<T> {
  const context = await CommandContext.open(flags);
  try {
    return await task(context);
  } finally {
    await context.close();
  }
}
