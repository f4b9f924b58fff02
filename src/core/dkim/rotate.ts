// Runs a DKIM key rotation on one host, as far as it can go now: each step is recorded in the
// state file on the server before the next starts, so an interrupted run, a run from another
// machine or a second run continues where the last one stopped (rotation.ts decides which step).
// Private keys go only through SFTP and memory (never argv or logs).
import type { DomainConfig } from '../config';
import type { DnsProvider } from '../dns/providers/types';
import {
  publishStagedRecords,
  readStageState,
  removeStagedRecords,
  saveStageState,
  waitUntilServed,
} from '../dns/staged';
import { txtZoneText } from './record';
import { ExpectedError } from '../errors';
import type { Facts } from '../facts';
import {
  chasquidLog,
  chasquidSocketUnits,
  restartChasquid,
  startFailureCause,
} from '../plan/actions/service';
import { recordRunningOnServer } from '../plan/journal';
import { chasquidPathOf } from '../plan/planner';
import {
  readRemoteFile,
  readRemoteFileIfExists,
  removeRemoteFile,
  shellScript,
  writeRemoteFileAtomic,
  type RemoteConnection,
} from '../remote';
import { installedDkimKeys } from './installed';
import { generateDkimKey } from './keys';
import { DKIM_KEY_MODE, DKIM_KEY_OWNER, legacyKeyPath, legacySelectorPath, nativeKeyPath } from './layout';
import { splitTxt } from './record';
import {
  ROTATION_DIR,
  ROTATION_STATE_VERSION,
  newRotationKeys,
  nextRotationStep,
  parseRotationState,
  removeAfter,
  rotationKeyPath,
  rotationRecord,
  rotationRefusal,
  rotationStages,
  rotationStatePath,
  type RotationKey,
  type RotationStage,
  type RotationState,
  type RotationStep,
} from './rotation';

export interface RotateOptions {
  conn: RemoteConnection;
  domain: DomainConfig;
  facts: Facts;
  /** The domain's dns: provider; absent: the records are shown to publish and remove by hand. */
  provider?: DnsProvider;
  /** Authoritative servers to wait on (`ip` or `ip:port`); default: found through NS. */
  servers?: string[];
  /** Seconds the old record and key stay after the switch (a new rotation only). */
  retentionSeconds: number;
  /** How long this run waits for the new records to be served before it stops (resumable). */
  waitMs: number;
  /** Only show the stages. */
  dryRun?: boolean;
  now?: () => Date;
  signal?: AbortSignal;
  log: (...lines: string[]) => void;
  /** Called with the stages before anything changes and after each step. */
  onStages?: (stages: RotationStage[]) => void;
  /** Without a provider: the new records, as zone-file lines, for the user to publish by hand. */
  onPublishByHand?: (zoneLines: string[]) => void;
}

export interface RotateResult {
  state?: RotationState;
  /** The step this run stopped before: 'retain' waits for a date, 'done' ends the rotation. */
  step: RotationStep;
  stages: RotationStage[];
}

const KEY_LABEL = { rsa: 'RSA', ed25519: 'Ed25519' };

function readState(conn: RemoteConnection, domain: string): Promise<RotationState | undefined> {
  return readStageState(conn, rotationStatePath(domain), (text) => parseRotationState(text, domain));
}

function saveState(conn: RemoteConnection, state: RotationState, signal?: AbortSignal): Promise<void> {
  return saveStageState(conn, rotationStatePath(state.domain), state, signal);
}

async function writeRootKey(
  conn: RemoteConnection,
  path: string,
  pem: string | Buffer,
  signal?: AbortSignal,
) {
  await writeRemoteFileAtomic(conn, path, pem, {
    mode: '0600',
    owner: 'root:root',
    ...(signal && { signal }),
  });
}

export async function rotateDkim(opts: RotateOptions): Promise<RotateResult> {
  const { conn, domain, signal, log } = opts;
  const now = opts.now ?? (() => new Date());
  const path = chasquidPathOf(opts.facts);
  let state = await readState(conn, domain.name);
  const ongoing = state && !state.removedAt ? state : undefined;
  const stages = () => rotationStages(state, now(), opts.retentionSeconds);
  if (ongoing && ongoing.path !== path)
    throw new ExpectedError(
      `A DKIM rotation of ${domain.name} began while chasquid signed ${ongoing.path === 'legacy' ? 'through the post-data hook' : 'itself'}, ` +
        `which it no longer does. Finish it is not possible: remove ${rotationStatePath(domain.name)} on the server and start again.`,
    );
  if (!ongoing) {
    const installed =
      path && path !== 'unsupported' ? await installedDkimKeys(conn, path, domain.name, signal) : [];
    const refusal = rotationRefusal(domain, path, installed);
    if (refusal) throw new ExpectedError(refusal);
    if (!opts.dryRun) {
      opts.onStages?.(stages());
      state = await generate(opts, path as RotationState['path'], installed, now());
    }
  }
  opts.onStages?.(stages());
  if (opts.dryRun) return { ...(state && { state }), step: nextRotationStep(state, now()), stages: stages() };
  let s = state!;
  for (;;) {
    signal?.throwIfAborted();
    const step = nextRotationStep(s, now());
    if (step === 'publish') s = await publish(opts, s, now);
    else if (step === 'wait') s = await waitForRecords(opts, s, now);
    else if (step === 'switch') s = await switchSigning(opts, s, now());
    else if (step === 'remove') s = await removeOld(opts, s, now());
    else {
      state = s;
      if (step === 'retain')
        log(
          `The old record and key of ${domain.name} stay until ${removeAfter(s)!.toISOString()}: run this again after that date.`,
        );
      return { state: s, step: step === 'generate' ? 'done' : step, stages: stages() };
    }
    state = s;
    opts.onStages?.(stages());
  }
}

async function generate(
  opts: RotateOptions,
  path: RotationState['path'],
  installed: readonly RotationKey[],
  now: Date,
): Promise<RotationState> {
  const { conn, domain, signal } = opts;
  const wanted = newRotationKeys(
    domain,
    path,
    installed.map((k) => k.selector),
    now,
  );
  await conn.exec(
    shellScript('install -d -m 0700 -o root -g root -- "$1" "$1/$2"', [ROTATION_DIR, domain.name]),
    {
      sudo: true,
      ...(signal && { signal }),
    },
  );
  const next: RotationKey[] = [];
  for (const { selector, algorithm } of wanted) {
    const pair = generateDkimKey(algorithm);
    const pem = path === 'legacy' ? pair.privateKeyPkcs1! : pair.privateKeyPkcs8;
    await writeRootKey(conn, rotationKeyPath(domain.name, selector), pem, signal);
    next.push({ selector, keyType: pair.keyType, publicKey: pair.publicKey, algorithm });
    opts.log(`Made a new ${KEY_LABEL[pair.keyType]} key for selector ${selector} (not signing yet).`);
  }
  const state: RotationState = {
    version: ROTATION_STATE_VERSION,
    domain: domain.name,
    path,
    startedAt: now.toISOString(),
    retentionSeconds: opts.retentionSeconds,
    old: installed.map((k) => ({ selector: k.selector, keyType: k.keyType, publicKey: k.publicKey })),
    next,
  };
  await saveState(conn, state, signal);
  return state;
}

async function publish(opts: RotateOptions, state: RotationState, now: () => Date): Promise<RotationState> {
  const { provider, signal } = opts;
  const records = state.next.map((k) => rotationRecord(state.domain, k));
  if (!provider) {
    // Published by hand: the wait that follows tells whether it is there yet.
    const lines = records.map((r) => `${r.name}. TXT ${txtZoneText(splitTxt(r.value))}`);
    opts.log(
      `${state.domain} has no dns: provider in mailwright.yaml: publish these records at your DNS host (then run this again if it stops before they are served).`,
      ...lines.map((line) => `  ${line}`),
    );
    opts.onPublishByHand?.(lines);
    return waitForRecords(opts, state, now);
  }
  await publishStagedRecords(
    provider,
    records.map((r) => ({ kind: 'dkim' as const, ...r })),
    (line) => opts.log(line),
    signal,
  );
  const next = { ...state, publishedAt: now().toISOString() };
  await saveState(opts.conn, next, signal);
  return next;
}

async function waitForRecords(
  opts: RotateOptions,
  state: RotationState,
  now: () => Date,
): Promise<RotationState> {
  opts.log(`Waiting until every authoritative server of ${state.domain} serves the new record(s)…`);
  await waitUntilServed(
    state.next.map((k) => rotationRecord(state.domain, k)),
    {
      waitMs: opts.waitMs,
      ...(opts.servers && { servers: opts.servers }),
      ...(opts.signal && { signal: opts.signal }),
    },
    'chasquid keeps signing with the old key. Run this again later: the rotation continues from here.',
  );
  const next = { ...state, seenAt: now().toISOString() };
  await saveState(opts.conn, next, opts.signal);
  return next;
}

/** New keys in, old keys out (kept in the rotation folder), chasquid restarted; put back if it does not run. */
async function switchSigning(opts: RotateOptions, state: RotationState, now: Date): Promise<RotationState> {
  const { conn, signal } = opts;
  const d = state.domain;
  if (state.path === 'legacy') {
    // The post-data hook reads its key and selector for every message: no restart.
    const old = state.old[0]!;
    const oldPem = await readRemoteFileIfExists(conn, legacyKeyPath(d));
    if (oldPem && (await readRemoteFileIfExists(conn, rotationKeyPath(d, old.selector))) === null)
      await writeRootKey(conn, rotationKeyPath(d, old.selector), oldPem, signal);
    const key = state.next[0]!;
    const pem = await readRemoteFile(conn, rotationKeyPath(d, key.selector));
    await writeRemoteFileAtomic(conn, legacyKeyPath(d), pem, { mode: DKIM_KEY_MODE, owner: DKIM_KEY_OWNER });
    await writeRemoteFileAtomic(conn, legacySelectorPath(d), `${key.selector}\n`, { mode: '0644' });
  } else {
    for (const key of state.next) {
      const pem = await readRemoteFile(conn, rotationKeyPath(d, key.selector));
      await writeRemoteFileAtomic(conn, nativeKeyPath(d, key.selector), pem, {
        mode: DKIM_KEY_MODE,
        owner: DKIM_KEY_OWNER,
      });
    }
    for (const key of state.old) {
      const pem = await readRemoteFileIfExists(conn, nativeKeyPath(d, key.selector));
      if (!pem) continue;
      await writeRootKey(conn, rotationKeyPath(d, key.selector), pem, signal);
      await removeRemoteFile(conn, nativeKeyPath(d, key.selector));
    }
    const run = (line: Parameters<RemoteConnection['exec']>[0], o: { check: false; timeoutMs: number }) =>
      conn.exec(line, { ...o, sudo: true });
    const sockets = chasquidSocketUnits(opts.facts);
    if (!(await restartChasquid(run, sockets, signal))) {
      const journal = await chasquidLog(conn, 20);
      for (const key of state.old) {
        const pem = await readRemoteFile(conn, rotationKeyPath(d, key.selector));
        await writeRemoteFileAtomic(conn, nativeKeyPath(d, key.selector), pem, {
          mode: DKIM_KEY_MODE,
          owner: DKIM_KEY_OWNER,
        });
      }
      for (const key of state.next) await removeRemoteFile(conn, nativeKeyPath(d, key.selector));
      const recovered = await restartChasquid(run, sockets, signal);
      if (recovered) await recordRunningOnServer(conn);
      throw new Error(
        `chasquid did not run with the new DKIM keys of ${d} (${startFailureCause(journal) ?? 'see journalctl -u chasquid'}); ` +
          `the old keys are back${recovered ? ' and chasquid runs with them' : ', but chasquid does not start: see journalctl -u chasquid'}.`,
      );
    }
    await recordRunningOnServer(conn);
  }
  const signing = (await installedDkimKeys(conn, state.path, d, signal)).map((k) => k.selector).sort();
  const wanted = state.next.map((k) => k.selector).sort();
  if (signing.join(' ') !== wanted.join(' '))
    throw new Error(
      `After the switch ${d} signs with ${signing.join(', ') || 'no key'}, not ${wanted.join(', ')}.`,
    );
  opts.log(
    `${d} now signs with ${wanted.join(', ')}; the old key(s) ${state.old.map((k) => k.selector).join(', ')} stop signing.`,
  );
  const next = { ...state, switchedAt: now.toISOString() };
  await saveState(conn, next, signal);
  return next;
}

async function removeOld(opts: RotateOptions, state: RotationState, now: Date): Promise<RotationState> {
  const { conn, provider, signal } = opts;
  const d = state.domain;
  const records = state.old.map((k) => rotationRecord(d, k));
  if (provider) {
    await removeStagedRecords(
      provider,
      records.map((r) => ({ kind: 'dkim' as const, ...r })),
      (line) => opts.log(line),
      signal,
    );
  } else {
    opts.log(
      `Remove these records at your DNS host (they no longer sign anything):`,
      ...records.map((r) => `  ${r.name}. TXT`),
    );
  }
  for (const key of [...state.old, ...state.next])
    await removeRemoteFile(conn, rotationKeyPath(d, key.selector));
  await conn.exec(shellScript('rmdir -- "$1" 2>/dev/null; exit 0', [`${ROTATION_DIR}/${d}`]), { sudo: true });
  opts.log(
    `Removed the old DKIM key(s) ${state.old.map((k) => k.selector).join(', ')} of ${d}: the rotation is over.`,
  );
  const next = { ...state, removedAt: now.toISOString() };
  await saveState(conn, next, signal);
  return next;
}
