// hosts[].limits and hosts[].domains[].limits: how much each user may send (messages and distinct
// recipients per hour and per day), and which limits a user ends up with. The server counts and
// refuses (chasquid/sending-limits.ts); this file decides the numbers.
import type { Node } from 'yaml';
import { LOCAL_PART_EXAMPLE, normalizeLocalPart } from '../names';
import { acceptName, DuplicateTracker } from './name-issues';
import {
  SENDING_LIMIT_KEYS,
  SENDING_LIMIT_OFF,
  type DomainConfig,
  type DomainSendingLimits,
  type HostConfig,
  type SendingLimitKey,
  type SendingLimits,
} from './types';
import { childPath, type ConfigReader } from './yaml-reader';

/** A limit is a whole number in this range, or `off`. */
export const SENDING_LIMIT_RANGE = { min: 1, max: 1_000_000 } as const;
export const DOMAIN_LIMIT_KEYS = [...SENDING_LIMIT_KEYS, 'users'] as const;
const LIMITS_EXAMPLE = '{ messagesPerHour: 100, recipientsPerDay: 1000 }';

/** The limits of one user, each kind either a number or absent (no limit). */
export type EffectiveLimits = Partial<Record<SendingLimitKey, number>>;

export function readHostLimits(reader: ConfigReader, node: Node, path: string): SendingLimits | undefined {
  const fields = reader.fields(node, path, SENDING_LIMIT_KEYS, LIMITS_EXAMPLE);
  if (fields === undefined) return undefined;
  return readLimitValues(reader, fields, path);
}

export function readDomainLimits(
  reader: ConfigReader,
  node: Node,
  path: string,
  users: readonly string[] | undefined,
): DomainSendingLimits | undefined {
  const fields = reader.fields(node, path, DOMAIN_LIMIT_KEYS, LIMITS_EXAMPLE);
  if (fields === undefined) return undefined;
  const own = readLimitValues(reader, fields, path);
  const usersNode = fields.get('users')?.value;
  const perUser = usersNode ? readUserLimits(reader, usersNode, childPath(path, 'users'), users) : {};
  if (!own || !perUser) return undefined;
  return { ...own, users: perUser };
}

function readLimitValues(
  reader: ConfigReader,
  fields: Map<string, { value: Node | undefined }>,
  path: string,
): SendingLimits | undefined {
  const limits: SendingLimits = {};
  let valid = true;
  for (const key of SENDING_LIMIT_KEYS) {
    const node = fields.get(key)?.value;
    if (!node) continue;
    const value = readLimit(reader, node, childPath(path, key), key);
    if (value === undefined) valid = false;
    else limits[key] = value;
  }
  return valid ? limits : undefined;
}

function readLimit(
  reader: ConfigReader,
  node: Node,
  path: string,
  key: SendingLimitKey,
): number | typeof SENDING_LIMIT_OFF | undefined {
  const example = `${key}: 100 (or ${key}: ${SENDING_LIMIT_OFF})`;
  const text = reader.text(node, path, example);
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (trimmed === SENDING_LIMIT_OFF) return SENDING_LIMIT_OFF;
  const value = /^[0-9]+$/.test(trimmed) ? Number(trimmed) : NaN;
  if (Number.isInteger(value) && value >= SENDING_LIMIT_RANGE.min && value <= SENDING_LIMIT_RANGE.max)
    return value;
  reader.issues.error(
    node,
    path,
    `"${text}" is not a valid limit (a whole number from ${SENDING_LIMIT_RANGE.min} to ${SENDING_LIMIT_RANGE.max}, or ${SENDING_LIMIT_OFF} for none).`,
    `For example: ${example}`,
  );
  return undefined;
}

function readUserLimits(
  reader: ConfigReader,
  node: Node,
  path: string,
  users: readonly string[] | undefined,
): Record<string, SendingLimits> | undefined {
  const example = `{ ${LOCAL_PART_EXAMPLE}: { messagesPerHour: 500 } }`;
  const entries = reader.entries(node, path, example);
  if (entries === undefined) return undefined;
  const duplicates = new DuplicateTracker(reader.issues, 'user');
  const result: Record<string, SendingLimits> = {};
  let valid = true;
  for (const entry of entries) {
    const at = childPath(path, entry.name);
    const name = acceptName(
      reader.issues,
      normalizeLocalPart(entry.name),
      entry.name,
      entry.key,
      at,
      'user name',
      LOCAL_PART_EXAMPLE,
    );
    if (name === undefined || !duplicates.add(name, entry.key, at)) {
      valid = false;
      continue;
    }
    // With a broken users list every name would look unknown; that error is reported already.
    if (users !== undefined && !users.includes(name)) {
      reader.issues.error(
        entry.key,
        at,
        `"${name}" is not a user of this domain.`,
        users.length > 0
          ? `Limits are set for the domain's users: ${users.join(', ')}; add ${name} to users first, or remove these limits`
          : `Add ${name} to the domain's users first, or remove these limits`,
      );
      valid = false;
      continue;
    }
    if (entry.value === undefined) {
      reader.issues.error(entry.key, at, 'is empty.', `Give it limits, e.g. ${name}: ${LIMITS_EXAMPLE}`);
      valid = false;
      continue;
    }
    const fields = reader.fields(entry.value, at, SENDING_LIMIT_KEYS, LIMITS_EXAMPLE);
    const limits = fields && readLimitValues(reader, fields, at);
    if (!limits) valid = false;
    else result[name] = limits;
  }
  return valid ? result : undefined;
}

function effective(...levels: Array<SendingLimits | undefined>): EffectiveLimits {
  const result: EffectiveLimits = {};
  for (const key of SENDING_LIMIT_KEYS) {
    let value: number | typeof SENDING_LIMIT_OFF | undefined;
    for (const level of levels) if (level?.[key] !== undefined) value = level[key];
    if (typeof value === 'number') result[key] = value;
  }
  return result;
}

/** The limits of `user` of `domain` (the host's, then the domain's, then the user's own, key by key). */
export function userSendingLimits(host: HostConfig, domain: DomainConfig, user: string): EffectiveLimits {
  return effective(host.limits, domain.limits, domain.limits?.users[user]);
}

/** The limits of any other user of `domain` (one added on the server without being in the file). */
export function domainSendingLimits(host: HostConfig, domain: DomainConfig): EffectiveLimits {
  return effective(host.limits, domain.limits);
}

/** Whether any user of the host has any limit (otherwise nothing is counted on the server). */
export function hasSendingLimits(host: HostConfig): boolean {
  return host.domains.some(
    (domain) =>
      Object.keys(domainSendingLimits(host, domain)).length > 0 ||
      domain.users.some((user) => Object.keys(userSendingLimits(host, domain, user)).length > 0),
  );
}
