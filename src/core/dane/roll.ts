// Runs a DANE key rollover on one host, as far as it can go now: each stage is recorded in the
// state file on the server before the next starts, so an interrupted run, a run from another
// machine or a second run continues where the last one stopped (rollover.ts decides which
// stage). The switch is the renewal's own ACME plan, issued with the staged key. The next key
// goes only through SFTP and memory (never argv or logs).
import { newCertificateKeyPem, privateKeySpkiSha256 } from '../acme/renewal';
import { domainOfName, type HostConfig } from '../config';
import type { DnsProvider } from '../dns/providers/types';
import { publishStagedRecords, removeStagedRecords, saveStageState, waitUntilServed } from '../dns/staged';
import { ExpectedError } from '../errors';
import { gatherFacts, type Facts } from '../facts';
import { applyPlan, type ApplyEvent } from '../plan';
import { planRenewal, type AcmeDeps } from '../plan/actions/acme-certificate';
import {
  removeRemoteFile,
  shellScript,
  writeRemoteFileAtomic,
  type RemoteConnection,
  type SecretStore,
} from '../remote';
import {
  nextKeyPath,
  nextRolloverStep,
  readRolloverState,
  retireAfter,
  ROLLOVER_DIR,
  ROLLOVER_STATE_VERSION,
  rolloverRefusal,
  rolloverStages,
  rolloverStatePath,
  rolloverTtl,
  switchAfter,
  tlsaRecordOf,
  type RolloverStage,
  type RolloverState,
  type RolloverStep,
} from './rollover';

export interface RolloverOptions {
  conn: RemoteConnection;
  host: HostConfig;
  facts: Facts;
  /** The mail host's domain's dns: provider; absent: the records are shown to publish and remove by hand. */
  provider?: DnsProvider;
  /** Authoritative servers to wait on (`ip` or `ip:port`); default: found through NS. */
  servers?: string[];
  /** How long this run waits for the next record to be served before it stops (resumable). */
  waitMs: number;
  /** For the switch's ACME order: the account key. */
  secrets: SecretStore;
  /** The ACME plan's DNS side and trust (tests); default: the renewal's. */
  acmeDeps?: AcmeDeps;
  /** Only show the stages. */
  dryRun?: boolean;
  now?: () => Date;
  signal?: AbortSignal;
  log: (...lines: string[]) => void;
  /** Called with the stages before anything changes and after each stage. */
  onStages?: (stages: RolloverStage[]) => void;
  /** The switch's plan events (ACME, restart, the served checks). */
  onEvent?: (event: ApplyEvent) => void;
  /** Without a provider: the records, as zone-file lines, for the user to publish by hand. */
  onPublishByHand?: (zoneLines: string[]) => void;
}

export interface RolloverResult {
  state?: RolloverState;
  /** The step this run stopped before: 'hold' and 'keep' wait for a date, 'done' ends the rollover. */
  step: RolloverStep;
  stages: RolloverStage[];
}

function saveState(conn: RemoteConnection, state: RolloverState, signal?: AbortSignal): Promise<void> {
  return saveStageState(conn, rolloverStatePath(state.mailHost), state, signal);
}

function zoneLine(record: { name: string; type: string; value: string }): string {
  return `${record.name}. ${record.type} ${record.value}`;
}

export async function rollDaneKey(opts: RolloverOptions): Promise<RolloverResult> {
  const { conn, host, signal, log } = opts;
  const now = opts.now ?? (() => new Date());
  const mailHost = host.mailHost;
  let state = await readRolloverState(conn, mailHost);
  const ongoing = state && !state.removedAt ? state : undefined;
  const domain = domainOfName(mailHost, host.domains);
  const fallbackTtl = rolloverTtl([], domain?.dns?.ttl);
  const stages = () => rolloverStages(state, now(), state?.ttlSeconds ?? fallbackTtl);
  const cert = opts.facts.chasquidState?.certs[mailHost];
  if (!ongoing) {
    const refusal = rolloverRefusal(host, cert);
    if (refusal) throw new ExpectedError(refusal);
    if (!opts.dryRun) {
      opts.onStages?.(stages());
      state = await generate(opts, cert!.spkiSha256!, now());
    }
  } else if (cert?.spkiSha256 !== ongoing.current && cert?.spkiSha256 !== ongoing.next) {
    throw new ExpectedError(
      `The certificate of ${mailHost} has the key ${cert?.spkiSha256 ?? '(none)'}, neither the one the rollover began with nor its next key: ` +
        `it was changed by other means. Publish its record (mailwright dns publish), then remove ${rolloverStatePath(mailHost)} on the server to start again.`,
    );
  }
  opts.onStages?.(stages());
  if (opts.dryRun) return { ...(state && { state }), step: nextRolloverStep(state, now()), stages: stages() };
  let s = state!;
  for (;;) {
    signal?.throwIfAborted();
    const step = nextRolloverStep(s, now());
    if (step === 'publish') s = await publish(opts, s, now);
    else if (step === 'wait') s = await waitServed(opts, s, now);
    else if (step === 'switch') s = await switchKey(opts, s, now);
    else if (step === 'remove') s = await retire(opts, s, now());
    else {
      state = s;
      if (step === 'hold')
        log(
          `The next record is served; senders may still hold the old set for its TTL: the switch is possible from ${switchAfter(s)!.toISOString()}. Run this again after that.`,
        );
      if (step === 'keep')
        log(
          `Port 25 serves the next key; the old record stays until ${retireAfter(s)!.toISOString()}: run this again after that date.`,
        );
      return { state: s, step: step === 'generate' ? 'done' : step, stages: stages() };
    }
    state = s;
    opts.onStages?.(stages());
  }
}

async function generate(opts: RolloverOptions, current: string, now: Date): Promise<RolloverState> {
  const { conn, host, signal } = opts;
  const mailHost = host.mailHost;
  await conn.exec(
    shellScript('install -d -m 0700 -o root -g root -- "$1" "$1/$2"', [ROLLOVER_DIR, mailHost]),
    {
      sudo: true,
      ...(signal && { signal }),
    },
  );
  const pem = newCertificateKeyPem();
  const next = privateKeySpkiSha256(pem)!;
  await writeRemoteFileAtomic(conn, nextKeyPath(mailHost), pem, {
    mode: '0600',
    owner: 'root:root',
    ...(signal && { signal }),
  });
  opts.log(`Made the next key for ${mailHost} in ${nextKeyPath(mailHost)} (not served yet).`);
  // The TTL senders may cache the record set for: what the provider lists there, else dns.ttl.
  const record = tlsaRecordOf(mailHost, current);
  const listed = opts.provider ? await opts.provider.list(record.name, 'TLSA', signal) : [];
  const domain = domainOfName(mailHost, host.domains);
  const state: RolloverState = {
    version: ROLLOVER_STATE_VERSION,
    mailHost,
    startedAt: now.toISOString(),
    ttlSeconds: rolloverTtl(
      listed.map((r) => r.ttl),
      domain?.dns?.ttl,
    ),
    current,
    next,
  };
  await saveState(conn, state, signal);
  return state;
}

async function publish(opts: RolloverOptions, state: RolloverState, now: () => Date): Promise<RolloverState> {
  const { provider, signal } = opts;
  // The current key's record too: the set must name both until the switch.
  const records = [tlsaRecordOf(state.mailHost, state.current), tlsaRecordOf(state.mailHost, state.next)];
  if (!provider) {
    const lines = records.map(zoneLine);
    opts.log(
      `${state.mailHost}'s domain has no dns: provider in mailwright.yaml: publish both records at your DNS host (then run this again if it stops before they are served).`,
      ...lines.map((line) => `  ${line}`),
    );
    opts.onPublishByHand?.(lines);
    return waitServed(opts, state, now);
  }
  await publishStagedRecords(provider, records, (line) => opts.log(line), signal);
  const next = { ...state, publishedAt: now().toISOString() };
  await saveState(opts.conn, next, signal);
  return next;
}

async function waitServed(
  opts: RolloverOptions,
  state: RolloverState,
  now: () => Date,
): Promise<RolloverState> {
  opts.log(`Waiting until every authoritative server serves the next TLSA record of ${state.mailHost}…`);
  await waitUntilServed(
    [tlsaRecordOf(state.mailHost, state.current), tlsaRecordOf(state.mailHost, state.next)],
    {
      waitMs: opts.waitMs,
      ...(opts.servers && { servers: opts.servers }),
      ...(opts.signal && { signal: opts.signal }),
    },
    'Port 25 keeps serving the current key. Run this again later: the rollover continues from here.',
  );
  const next = { ...state, seenAt: now().toISOString() };
  await saveState(opts.conn, next, opts.signal);
  return next;
}

/** The certificate issued with the next key through the renewal's ACME plan (restart and served checks included). */
async function switchKey(
  opts: RolloverOptions,
  state: RolloverState,
  now: () => Date,
): Promise<RolloverState> {
  const { conn, host, signal } = opts;
  // Issued even when an interrupted run got that far: the same key again, and the checks after.
  const plan = planRenewal(
    host,
    opts.facts,
    { stagedKey: { path: nextKeyPath(state.mailHost), spkiSha256: state.next } },
    ...(opts.acmeDeps ? [opts.acmeDeps] : []),
  );
  const result = await applyPlan(plan, {
    conn,
    host,
    secrets: opts.secrets,
    ...(signal && { signal }),
    regather: () => gatherFacts(conn, { signal }),
    ...(opts.onEvent && { onEvent: opts.onEvent }),
  });
  if (!result.ok)
    throw new Error(
      `The switch to the next key failed${result.failed ? ` (${result.failed.message})` : ''}: both records stay published, so run this again to retry.`,
    );
  opts.log(`${host.mailHost} serves the next key ${state.next} on port 25.`);
  const next = { ...state, switchedAt: now().toISOString() };
  await saveState(conn, next, signal);
  return next;
}

async function retire(opts: RolloverOptions, state: RolloverState, now: Date): Promise<RolloverState> {
  const { conn, provider, signal } = opts;
  const old = tlsaRecordOf(state.mailHost, state.current);
  if (provider) await removeStagedRecords(provider, [old], (line) => opts.log(line), signal);
  else
    opts.log(
      `Remove this record at your DNS host (no certificate has its key any more):`,
      `  ${zoneLine(old)}`,
    );
  await removeRemoteFile(conn, nextKeyPath(state.mailHost));
  await conn.exec(shellScript('rmdir -- "$1" 2>/dev/null; exit 0', [`${ROLLOVER_DIR}/${state.mailHost}`]), {
    sudo: true,
  });
  opts.log(`The rollover of ${state.mailHost} is over: ${state.next} is the key.`);
  const next = { ...state, removedAt: now.toISOString() };
  await saveState(conn, next, signal);
  return next;
}
