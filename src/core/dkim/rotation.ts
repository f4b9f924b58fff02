// DKIM key rotation, decided from a small state kept on the server (no server access here):
// a new key is made but not yet used, its record is published, chasquid switches to it only once
// every authoritative server serves that record, and the old record and key stay for a retention
// period (mail signed just before the switch may still be verified) before they are removed.
// Each stage is a fact in the state, so a rotation can be resumed from any machine and running
// it again never makes another key. See docs/dkim-rotation.md.
import type { ChasquidPath } from '../chasquid';
import type { DkimAlgorithm, DomainConfig } from '../config/types';
import { afterSeconds, dateText, durationText, stageStatus, type Stage } from '../dns/stages';
import { keyTypeOf, type DkimKeyType } from './keys';
import { dkimRecordName, dkimTxtRecord } from './record';
import { autoSelectorBase, keyAlgorithms, selectorFor } from './selector';

/** Root-only folder of the rotations: `<domain>.json` and the keys not signing (yet or any more). */
export const ROTATION_DIR = '/var/lib/mailwright/dkim-rotation';
export const DEFAULT_ROTATION_RETENTION = '7d';
/** How long one run waits for the new record to be served before it stops (to be run again). */
export const DEFAULT_ROTATION_WAIT = '2m';
export const ROTATION_STATE_VERSION = 1;

export function rotationStatePath(domain: string): string {
  return `${ROTATION_DIR}/${domain}.json`;
}

/** Where a key waits (new, before the switch) or is kept (old, after it): never read by chasquid. */
export function rotationKeyPath(domain: string, selector: string): string {
  return `${ROTATION_DIR}/${domain}/${selector}.pem`;
}

export interface RotationKey {
  selector: string;
  keyType: DkimKeyType;
  /** The record's `p=` (base64). */
  publicKey: string;
  /** New keys: the algorithm it was made with. */
  algorithm?: DkimAlgorithm;
}

export interface RotationState {
  version: number;
  domain: string;
  /** Which way chasquid signs: its keys live in different files on each. */
  path: Exclude<ChasquidPath, 'unsupported'>;
  startedAt: string;
  /** Seconds the old record and key stay after the switch. */
  retentionSeconds: number;
  /** The keys signing when the rotation began. */
  old: RotationKey[];
  /** The keys that replace them. */
  next: RotationKey[];
  /** Set when the domain's DNS provider took the new records (absent: published by hand). */
  publishedAt?: string;
  /** Every authoritative server served the new records. */
  seenAt?: string;
  switchedAt?: string;
  /** The old records and keys are gone: the rotation is over. */
  removedAt?: string;
}

export type RotationStageId = 'generated' | 'published' | 'seen' | 'switched' | 'retained' | 'removed';
export type RotationStage = Stage<RotationStageId>;

/** When the old record and key may go: the switch plus the retention. */
export function removeAfter(state: RotationState): Date | undefined {
  return state.switchedAt ? afterSeconds(state.switchedAt, state.retentionSeconds) : undefined;
}

/** What a run does next; `retain`: nothing before the date, `done`: the rotation is over. */
export type RotationStep = 'generate' | 'publish' | 'wait' | 'switch' | 'retain' | 'remove' | 'done';

export function nextRotationStep(state: RotationState | undefined, now: Date): RotationStep {
  if (!state || state.removedAt) return 'generate';
  if (!state.publishedAt && !state.seenAt) return 'publish';
  if (!state.seenAt) return 'wait';
  if (!state.switchedAt) return 'switch';
  return now.getTime() < removeAfter(state)!.getTime() ? 'retain' : 'remove';
}

function selectors(keys: readonly RotationKey[]): string {
  return keys.map((k) => k.selector).join(', ');
}

/**
 * The six stages as the plan shows them, each done, next (this run does it), waiting (for a
 * date) or pending. Without a state: what a new rotation would do; a finished one: all done.
 */
export function rotationStages(
  state: RotationState | undefined,
  now: Date,
  retentionSeconds: number,
): RotationStage[] {
  const finished = Boolean(state?.removedAt);
  const step = finished ? 'done' : nextRotationStep(state, now);
  const fresh = step === 'generate';
  const s = fresh ? undefined : state;
  const oldSel = s ? selectors(s.old) : 'the current selector(s)';
  const newSel = s ? selectors(s.next) : 'a new selector';
  const until = s && removeAfter(s);
  const retention = s?.retentionSeconds ?? retentionSeconds;
  const order: RotationStep[] = ['generate', 'publish', 'wait', 'switch', 'retain', 'remove'];
  const at = finished ? order.length : order.indexOf(step);
  const status = (i: number) => stageStatus(i, fresh ? undefined : at, step === 'retain');
  return [
    { id: 'generated', status: status(0), text: `new key generated (${newSel}), not signing yet` },
    {
      id: 'published',
      status: status(1),
      text:
        s && !s.publishedAt && s.seenAt
          ? `record of ${newSel} published by hand`
          : `record of ${newSel} published`,
    },
    { id: 'seen', status: status(2), text: `waiting for the record on every authoritative server` },
    { id: 'switched', status: status(3), text: `signing switched from ${oldSel} to ${newSel}` },
    {
      id: 'retained',
      status: status(4),
      text: until
        ? `old record and key (${oldSel}) kept until ${dateText(until)}`
        : `old record and key (${oldSel}) kept for ${durationText(retention)} after the switch`,
    },
    { id: 'removed', status: status(5), text: `old record and key (${oldSel}) removed` },
  ];
}

/** Why this domain's keys cannot be rotated, or undefined. Refused before anything changes. */
export function rotationRefusal(
  domain: DomainConfig,
  path: ChasquidPath | undefined,
  installed: readonly { selector: string }[],
): string | undefined {
  if (!path || path === 'unsupported')
    return `chasquid is not installed (or too old) on this host: provision it first (mailwright apply).`;
  if (domain.dkim.selector !== 'auto')
    return (
      `dkim.selector of ${domain.name} is fixed to "${domain.dkim.selector}" in mailwright.yaml, and a rotated key needs a new selector: ` +
      'set it to auto (keys named by date) to rotate.'
    );
  if (installed.length === 0)
    return `${domain.name} has no DKIM key on this host yet: run mailwright apply first (it makes one).`;
  return undefined;
}

/**
 * The new keys' selectors and algorithms: one per algorithm (legacy: one RSA key), named by
 * today's date, or date and time when a key of that name exists already.
 */
export function newRotationKeys(
  domain: DomainConfig,
  path: Exclude<ChasquidPath, 'unsupported'>,
  existing: readonly string[],
  now: Date,
): Array<{ selector: string; algorithm: DkimAlgorithm }> {
  const algorithms: DkimAlgorithm[] =
    path === 'legacy'
      ? [domain.dkim.algorithms.find((a) => keyTypeOf(a) === 'rsa') ?? 'rsa2048']
      : keyAlgorithms(domain.dkim);
  const named = (withTime: boolean) =>
    algorithms.map((algorithm) => ({
      selector: selectorFor(autoSelectorBase(now, withTime), algorithm, algorithms.length),
      algorithm,
    }));
  const byDate = named(false);
  return byDate.some((k) => existing.includes(k.selector)) ? named(true) : byDate;
}

/** The TXT record of one rotation key, in the shape the DNS providers take. */
export function rotationRecord(
  domain: string,
  key: RotationKey,
): { name: string; type: 'TXT'; value: string } {
  return {
    name: dkimRecordName(key.selector, domain),
    type: 'TXT',
    value: dkimTxtRecord(key.publicKey, key.keyType),
  };
}

/** Reads a state file; a file that is not one is refused with what to do. */
export function parseRotationState(text: string, domain: string): RotationState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const state = value as Partial<RotationState> | undefined;
  const keysOk = (keys: unknown) =>
    Array.isArray(keys) &&
    keys.length > 0 &&
    keys.every(
      (k: Partial<RotationKey>) =>
        typeof k?.selector === 'string' &&
        typeof k.publicKey === 'string' &&
        (k.keyType === 'rsa' || k.keyType === 'ed25519'),
    );
  if (
    !state ||
    state.version !== ROTATION_STATE_VERSION ||
    state.domain !== domain ||
    (state.path !== 'legacy' && state.path !== 'native-dkim') ||
    typeof state.startedAt !== 'string' ||
    typeof state.retentionSeconds !== 'number' ||
    !keysOk(state.old) ||
    !keysOk(state.next)
  )
    throw new Error(
      `${rotationStatePath(domain)} is not a DKIM rotation state Mailwright can read. ` +
        'Look at it on the server; remove it to start a new rotation (keys it names stay in the same folder).',
    );
  return state as RotationState;
}
