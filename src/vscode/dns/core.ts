// The part of the DNS core the editor uses. Part of the "dns" bundle, loaded on first use only:
// activation must not pay for the resolvers, linters and providers (the extension loads features lazily).
import * as vscode from 'vscode';
import type { DomainConfig, HostConfig } from '../../core/config';
import type { DnsReport, ExpectedRecord } from '../../core/dns/model';
import type { Facts } from '../../core/facts';
import type { RemoteConnection, SecretStore } from '../../core/remote';
import { checkDomainDns, expectedForHost, publishableExpectation } from '../../core/dns/domain-check';
import { providerFor } from '../../core/dns/providers';
import type { DnsProvider } from '../../core/dns/providers/types';
import { applyPublish, planPublish, type PublishChange } from '../../core/dns/publish';
import { zoneFileSnippet } from '../../core/dns/zone-export';
import { printable } from '../../core/printable';
import { durationSeconds } from '../../core/config/validate-brute-force';
import { rotateDkim } from '../../core/dkim/rotate';
import {
  DEFAULT_ROTATION_RETENTION,
  DEFAULT_ROTATION_WAIT,
  removeAfter,
  type RotationStep,
} from '../../core/dkim/rotation';
import { rollDaneKey } from '../../core/dane/roll';
import { DEFAULT_ROLLOVER_WAIT, retireAfter, switchAfter, type RolloverStep } from '../../core/dane/rollover';
import { domainOfName } from '../../core/config';
import { eventPrinter } from '../../core/plan';
import { RecordsNotServedError } from '../../core/dns/staged';
import { formatStages, type Stage } from '../../core/dns/stages';
import type { PublishChangeView } from '../../panels/dns/messages';

export interface CheckOptions {
  signal?: AbortSignal;
  facts?: Facts;
  /** Recursive resolvers (ip or ip:port); default: the system's. */
  resolvers?: string[];
  /** The zone's authoritative servers (ip:port); default: found through NS. */
  authoritative?: string[];
  /** The expected records, as soon as the check has read them from the server. */
  onExpected?: (expected: ExpectedRecord[]) => void;
  /** Every host of mailwright.yaml: the others serving the domain share its MX, SPF and MTA-STS. */
  fleet?: readonly HostConfig[];
}

export interface PublishDryRun {
  changes: PublishChangeView[];
  notes: string[];
  /** Applies exactly these changes. */
  apply(signal?: AbortSignal): Promise<{ applied: number }>;
}

/** Where a staged DNS run (DKIM rotation, DANE key rollover) stopped, and its stages. */
interface StagedRun<Step extends string> {
  /** Where the run stopped ('wait': a new record is not served everywhere yet); with dryRun, the step a run would take next. */
  step: Step;
  /** The stages, one line each, marked done (✓), next (→) or waiting (…). */
  stages: string[];
  /** step 'wait': what the wait found, as the core says it. */
  notServed?: string;
}

/** What a staged DNS run is given by the editor. */
interface StagedRunOptions {
  conn: RemoteConnection;
  facts: Facts;
  /** The DNS provider's credential (and, for the DANE rollover, the ACME account key): VS Code secret storage. */
  secrets: SecretStore;
  dryRun: boolean;
  /** The zone's authoritative servers to wait on (ip:port); default: found through NS. */
  servers?: string[];
  signal?: AbortSignal;
  log: (line: string) => void;
  /** What the run is at, for a progress line: the stage each time it moves on, then what it does. */
  onProgress?: (text: string) => void;
  /** No dns: provider: the new records as zone-file lines, to publish by hand. */
  onPublishByHand?: (zoneLines: string[]) => void;
}

/** A DKIM rotation stops at 'retain' until `removeAfter`, then is 'done'. */
export interface DkimRotationRun extends StagedRun<RotationStep> {
  removeAfter?: Date;
}

export interface DkimRotationOptions extends StagedRunOptions {
  domain: DomainConfig;
}

/** The editor's façade over the DNS core: the one place that knows its exact signatures. */
export interface DnsCore {
  expectedForHost(
    conn: RemoteConnection,
    host: HostConfig,
    domain: DomainConfig,
    facts?: Facts,
    signal?: AbortSignal,
    fleet?: readonly HostConfig[],
  ): Promise<ExpectedRecord[]>;
  checkDomainDns(
    conn: RemoteConnection,
    host: HostConfig,
    domain: DomainConfig,
    options: CheckOptions,
  ): Promise<DnsReport>;
  zoneFileSnippet(domain: string, records: readonly ExpectedRecord[]): string;
  /** The dry run of publishing through the domain's `dns:` provider (credential from `secrets`). */
  planPublish(
    domain: DomainConfig,
    records: readonly ExpectedRecord[],
    secrets: SecretStore,
    options?: {
      signal?: AbortSignal;
      onInstruction?: (text: string) => void;
      /** Where the zone is asked whether it is signed (the TLSA record needs it). */
      resolvers?: string[];
      authoritative?: string[];
    },
  ): Promise<PublishDryRun>;
  /** A DKIM key rotation of the domain, as far as it goes now (or, with dryRun, its stages only). */
  rotateDkim(options: DkimRotationOptions): Promise<DkimRotationRun>;
  /** A DANE key rollover of the host's mail host, as far as it goes now (or, with dryRun, its stages only). */
  rolloverDane(options: DaneRolloverOptions): Promise<DaneRolloverRun>;
}

function changeView(c: PublishChange): PublishChangeView {
  return {
    op: c.action,
    type: c.record.type,
    name: c.record.name,
    // Only an update replaces a value; a kept record is shown as it stays.
    from: c.action === 'update' && c.previous ? [c.previous.value] : [],
    to: c.action === 'skip' ? [] : [c.record.value],
  };
}

/**
 * A DANE key rollover stops at 'hold' (the switch waits until `switchAfter`) and 'keep' (the old
 * record stays until `retireAfter`), then is 'done'.
 */
export interface DaneRolloverRun extends StagedRun<RolloverStep> {
  switchAfter?: Date;
  retireAfter?: Date;
}

export interface DaneRolloverOptions extends StagedRunOptions {
  host: HostConfig;
}

/**
 * What both staged runs (DKIM rotation, DANE rollover) tell the editor: every line neutralised
 * (texts come from the state file on the server), the progress told once per stage, then what it does.
 */
function stagedRunView(log: (line: string) => void, onProgress?: (text: string) => void) {
  let stages: readonly Stage[] = [];
  let told = '';
  return {
    log: (...lines: string[]) => {
      const shown = lines.map((line) => printable(line));
      shown.forEach(log);
      // The first line says what happens; the ones after it are its details (records).
      if (shown[0]) onProgress?.(shown[0]);
    },
    onStages: (now: readonly Stage[]) => {
      stages = now;
      const at = now.find((s) => s.status === 'next' || s.status === 'waiting');
      if (at && at.text !== told) onProgress?.(printable((told = at.text)));
    },
    lines: () => formatStages(stages).map((line) => printable(line.trim())),
  };
}

type StagedRunView = ReturnType<typeof stagedRunView>;

/**
 * A staged DNS run as the editor shows it (the DKIM rotation, the DANE key rollover): the
 * domain's provider (none: records are shown to publish by hand), the run's log and stages as
 * progress, and a record not served everywhere yet as the step where this run stops rather than
 * as a failure (the next run continues from there).
 */
async function stagedEditorRun<Step extends string, Dates extends object>(
  domain: DomainConfig | undefined,
  opts: Pick<StagedRunOptions, 'secrets' | 'servers' | 'log' | 'onProgress'>,
  body: (provider: DnsProvider | undefined, run: StagedRunView) => Promise<{ step: Step; dates: Dates }>,
): Promise<StagedRun<Step | 'wait'> & Partial<Dates>> {
  const provider = domain?.dns
    ? await providerFor({ name: domain.name, dns: domain.dns }, opts.secrets, {
        onInstruction: opts.log,
        ...(opts.servers && { servers: opts.servers }),
      })
    : undefined;
  const run = stagedRunView(opts.log, opts.onProgress);
  try {
    const { step, dates } = await body(provider, run);
    return { step, stages: run.lines(), ...dates };
  } catch (error) {
    if (error instanceof RecordsNotServedError)
      return { step: 'wait', stages: run.lines(), notServed: printable(error.message) } as StagedRun<'wait'> &
        Partial<Dates>;
    throw error;
  }
}

/** The DNS core as the editor uses it (this module is in the "dns" bundle, loaded on first use). */
export const dnsCore: DnsCore = {
  expectedForHost: (conn, host, domain, facts, signal, fleet) =>
    expectedForHost(conn, host, domain, facts, signal, fleet),
  checkDomainDns: (conn, host, domain, options) => checkDomainDns(conn, host, domain, options),
  zoneFileSnippet: (domain, records) => zoneFileSnippet([...records], { origin: domain }),
  async rotateDkim({
    conn,
    domain,
    facts,
    secrets,
    dryRun,
    servers,
    signal,
    log,
    onProgress,
    onPublishByHand,
  }) {
    return stagedEditorRun(domain, { secrets, servers, log, onProgress }, async (provider, run) => {
      const result = await rotateDkim({
        conn,
        domain,
        facts,
        ...(provider && { provider }),
        ...(servers && { servers }),
        retentionSeconds: durationSeconds(DEFAULT_ROTATION_RETENTION)!,
        waitMs: durationSeconds(DEFAULT_ROTATION_WAIT)! * 1000,
        dryRun,
        ...(signal && { signal }),
        log: run.log,
        onStages: run.onStages,
        ...(onPublishByHand && {
          onPublishByHand: (lines) => onPublishByHand(lines.map((l) => printable(l))),
        }),
      });
      run.onStages(result.stages);
      const until = result.state && removeAfter(result.state);
      return { step: result.step, dates: until ? { removeAfter: until } : {} };
    });
  },
  async rolloverDane({
    conn,
    host,
    facts,
    secrets,
    dryRun,
    servers,
    signal,
    log,
    onProgress,
    onPublishByHand,
  }) {
    const domain = domainOfName(host.mailHost, host.domains);
    return stagedEditorRun(domain, { secrets, servers, log, onProgress }, async (provider, run) => {
      const result = await rollDaneKey({
        conn,
        host,
        facts,
        ...(provider && { provider }),
        ...(servers && { servers }),
        waitMs: durationSeconds(DEFAULT_ROLLOVER_WAIT)! * 1000,
        secrets,
        dryRun,
        ...(signal && { signal }),
        log: run.log,
        onStages: run.onStages,
        onEvent: eventPrinter((line) => log(printable(line))),
        ...(onPublishByHand && {
          onPublishByHand: (lines) => onPublishByHand(lines.map((l) => printable(l))),
        }),
      });
      run.onStages(result.stages);
      const st = result.state;
      const switchDate = st && switchAfter(st);
      const retireDate = st && retireAfter(st);
      return {
        step: result.step,
        dates: {
          ...(switchDate && { switchAfter: switchDate }),
          ...(retireDate && { retireAfter: retireDate }),
        },
      };
    });
  },
  async planPublish(domain, records, secrets, options = {}) {
    const dns = domain.dns;
    if (!dns) throw new Error(vscode.l10n.t('{0} has no dns: provider in mailwright.yaml.', domain.name));
    const provider = await providerFor({ name: domain.name, dns }, secrets, {
      onInstruction: options.onInstruction,
    });
    // The TLSA (DANE) record only where the zone is signed; the editor's resolvers ask.
    const dane = await publishableExpectation([...records], domain.name, {
      resolvers: options.resolvers,
      authoritative: options.authoritative,
      signal: options.signal,
    });
    const changes = await planPublish(dane.expected, provider, options.signal);
    const notes = [
      ...(dane.notice ? [dane.notice] : []),
      ...new Set(
        changes.flatMap((c) => [
          ...(c.notes ?? []),
          ...(c.action === 'skip' ? [vscode.l10n.t('{0}: {1}', c.record.name, c.reason)] : []),
        ]),
      ),
    ];
    return {
      changes: changes.filter((c) => c.action !== 'skip').map(changeView),
      notes,
      async apply(signal) {
        const result = await applyPublish(changes, provider, { signal });
        return { applied: result.applied.length };
      },
    };
  },
};
