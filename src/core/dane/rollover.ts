// DANE key rollover without a gap, decided from a small state kept on the server (only read
// here): a next key is made beside the certificate's key (not served yet), its TLSA record
// is published beside the current one, the certificate switches to it only once every
// authoritative server serves that record and the record's TTL has passed (resolvers that cached
// the old set have then forgotten it), and the old record goes one TTL after the switch. Each
// stage is a fact in the state, so a rollover can be resumed from any machine and running it
// again never makes another key. The stage machinery is the DKIM rotation's (dns/staged). See
// docs/dane.md.
import type { CertificateFacts } from '../facts';
import { tlsaRecordName, tlsaRecordValue, type RolloverRecord } from '../dns/dane';
import { readStageState, type StagedRecord } from '../dns/staged';
import { afterSeconds, dateText, durationText, stageStatus, type Stage } from '../dns/stages';
import type { RemoteConnection } from '../remote';
import { ROLLOVER_DIR } from './server-paths';

/** Root-only folder of the rollovers: `<mail host>.json`, and the next key while it waits. */
export { ROLLOVER_DIR };
/** How long one run waits for the next record to be served before it stops (to be run again). */
export const DEFAULT_ROLLOVER_WAIT = '2m';
/** The TTL waited for when neither the DNS provider nor dns.ttl says what the record's is. */
export const UNKNOWN_TLSA_TTL_SECONDS = 3600;
export const ROLLOVER_STATE_VERSION = 1;

export function rolloverStatePath(mailHost: string): string {
  return `${ROLLOVER_DIR}/${mailHost}.json`;
}

/**
 * Where the next key waits until the switch: outside /etc/chasquid/certs, since chasquid loads
 * every folder there holding fullchain.pem and privkey.pem as a certificate.
 */
export function nextKeyPath(mailHost: string): string {
  return `${ROLLOVER_DIR}/${mailHost}/next-privkey.pem`;
}

export interface RolloverState {
  version: number;
  mailHost: string;
  startedAt: string;
  /** Seconds waited after the next record is served, and again after the switch: the record's TTL. */
  ttlSeconds: number;
  /** SHA-256 of the SubjectPublicKeyInfo of the key served when the rollover began. */
  current: string;
  /** The same, of the next key. */
  next: string;
  /** Set when the DNS provider took the records (absent: published by hand). */
  publishedAt?: string;
  /** Every authoritative server served the next record. */
  seenAt?: string;
  /** The certificate has the next key and port 25 serves it. */
  switchedAt?: string;
  /** The old record is gone: the rollover is over. */
  removedAt?: string;
}

export type RolloverStageId = 'generated' | 'published' | 'seen' | 'held' | 'switched' | 'kept' | 'removed';
export type RolloverStage = Stage<RolloverStageId>;

/** What a run does next; `hold` and `keep` wait for a date, `done`: the rollover is over. */
export type RolloverStep = 'generate' | 'publish' | 'wait' | 'hold' | 'switch' | 'keep' | 'remove' | 'done';

/** The certificate may switch to the next key from then on: served everywhere, plus the TTL. */
export function switchAfter(state: RolloverState): Date | undefined {
  return state.seenAt ? afterSeconds(state.seenAt, state.ttlSeconds) : undefined;
}

/** The old record may go from then on: the switch plus the TTL. */
export function retireAfter(state: RolloverState): Date | undefined {
  return state.switchedAt ? afterSeconds(state.switchedAt, state.ttlSeconds) : undefined;
}

export function nextRolloverStep(state: RolloverState | undefined, now: Date): RolloverStep {
  if (!state || state.removedAt) return 'generate';
  if (!state.publishedAt && !state.seenAt) return 'publish';
  if (!state.seenAt) return 'wait';
  if (!state.switchedAt) return now.getTime() < switchAfter(state)!.getTime() ? 'hold' : 'switch';
  return now.getTime() < retireAfter(state)!.getTime() ? 'keep' : 'remove';
}

function short(hash: string): string {
  return `${hash.slice(0, 12)}…`;
}

/**
 * The seven stages as every run prints them, each done, next (this run does it), waiting (for a
 * date) or pending. Without a state: what a new rollover would do; a finished one: all done.
 */
export function rolloverStages(
  state: RolloverState | undefined,
  now: Date,
  ttlSeconds: number,
): RolloverStage[] {
  const finished = Boolean(state?.removedAt);
  const step = finished ? 'done' : nextRolloverStep(state, now);
  const s = step === 'generate' ? undefined : state;
  const order: RolloverStep[] = ['generate', 'publish', 'wait', 'hold', 'switch', 'keep', 'remove'];
  const at = finished ? order.length : s ? order.indexOf(step) : undefined;
  const status = (i: number) => stageStatus(i, at, step === 'hold' || step === 'keep');
  const cur = s ? `key ${short(s.current)}` : 'the current key';
  const nxt = s ? `key ${short(s.next)}` : 'a next key';
  const ttl = durationText(s?.ttlSeconds ?? ttlSeconds);
  const switchDate = s && switchAfter(s);
  const retireDate = s && retireAfter(s);
  return [
    { id: 'generated', status: status(0), text: `next key made on the server (${nxt}), not served yet` },
    {
      id: 'published',
      status: status(1),
      text:
        s && !s.publishedAt && s.seenAt
          ? `TLSA record of ${nxt} published by hand beside ${cur}`
          : `TLSA record of ${nxt} published beside ${cur}`,
    },
    { id: 'seen', status: status(2), text: 'waiting for the record on every authoritative server' },
    {
      id: 'held',
      status: status(3),
      text: switchDate
        ? `switch not before ${dateText(switchDate)} (the record's TTL, ${ttl}, after it was served)`
        : `switch waits the record's TTL (${ttl}) after it is served`,
    },
    {
      id: 'switched',
      status: status(4),
      text: `certificate issued with ${nxt}, chasquid restarted, port 25 serves it`,
    },
    {
      id: 'kept',
      status: status(5),
      text: retireDate
        ? `old record (${cur}) kept until ${dateText(retireDate)}`
        : `old record (${cur}) kept for the TTL (${ttl}) after the switch`,
    },
    { id: 'removed', status: status(6), text: `old record (${cur}) removed: ${nxt} is the key` },
  ];
}

/** Why this host's key cannot be rolled over, or undefined. Refused before anything changes. */
export function rolloverRefusal(
  host: { name: string; mailHost: string; acme?: unknown },
  cert: CertificateFacts | undefined,
): string | undefined {
  if (!host.acme)
    return `${host.name} has no acme settings in mailwright.yaml: the rollover issues the certificate with the next key through ACME.`;
  if (!cert?.spkiSha256 || cert.selfSigned)
    return `${host.mailHost} has no ACME certificate yet (its first one makes the key the TLSA record names): run mailwright renew first.`;
  return undefined;
}

/** The TLSA record naming one key, in the shape the DNS providers take. */
export function tlsaRecordOf(mailHost: string, spkiSha256: string): StagedRecord {
  return { kind: 'tlsa', name: tlsaRecordName(mailHost), type: 'TLSA', value: tlsaRecordValue(spkiSha256) };
}

/** The TTL to wait: the longest the provider lists for the records at that name, else dns.ttl, else an hour. */
export function rolloverTtl(listedTtls: readonly (number | undefined)[], configured?: number): number {
  const known = [...listedTtls, configured].filter((t): t is number => typeof t === 'number' && t > 0);
  return known.length > 0 ? Math.max(...known) : UNKNOWN_TLSA_TTL_SECONDS;
}

/** The second TLSA record a rollover under way expects beside the served key's, and which one it is. */
/**
 * Before the switch, the next key's record; after it, the previous key's until it is removed.
 * None when no rollover is under way, or when port 25's certificate has neither key (the key was
 * changed by other means: the rollover cannot go on, and only the served key's record is right).
 */
export function rolloverRecord(
  state: RolloverState | undefined,
  servedSpkiSha256: string | undefined,
): RolloverRecord | undefined {
  if (!state || state.removedAt || !servedSpkiSha256) return undefined;
  const served = servedSpkiSha256.toLowerCase();
  if (served === state.current) return { role: 'next', spkiSha256: state.next };
  if (served === state.next) {
    const until = retireAfter(state);
    return { role: 'previous', spkiSha256: state.current, ...(until && { until }) };
  }
  return undefined;
}

/** Reads a state file; a file that is not one is refused with what to do. */
export function parseRolloverState(text: string, mailHost: string): RolloverState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const state = value as Partial<RolloverState> | undefined;
  const hash = (h: unknown) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h);
  const date = (d: unknown) => d === undefined || (typeof d === 'string' && !Number.isNaN(Date.parse(d)));
  if (
    !state ||
    state.version !== ROLLOVER_STATE_VERSION ||
    state.mailHost !== mailHost ||
    typeof state.startedAt !== 'string' ||
    typeof state.ttlSeconds !== 'number' ||
    !hash(state.current) ||
    !hash(state.next) ||
    ![state.publishedAt, state.seenAt, state.switchedAt, state.removedAt].every(date)
  )
    throw new Error(
      `${rolloverStatePath(mailHost)} is not a DANE key rollover state Mailwright can read. ` +
        'Look at it on the server; remove it to start a new rollover (a next key it names stays in the same folder).',
    );
  return state as RolloverState;
}

/** The host's rollover state, or undefined when none was ever started. */
export function readRolloverState(
  conn: RemoteConnection,
  mailHost: string,
): Promise<RolloverState | undefined> {
  return readStageState(conn, rolloverStatePath(mailHost), (text) => parseRolloverState(text, mailHost));
}
