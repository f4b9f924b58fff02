// hosts[].bruteForce: how many failed SMTP logins from one address, within how long, block it
// for how long (fail2ban on the server), and which addresses are never blocked.
import type { Node } from 'yaml';
import { IP_NETWORK_EXAMPLE, normalizeIpNetwork } from '../names';
import { acceptName } from './name-issues';
import type { BruteForceConfig, HostConfig } from './types';
import { readInteger } from './validate-dns-provider';
import { childPath, itemPath, type ConfigReader } from './yaml-reader';

export const BRUTE_FORCE_KEYS = ['enabled', 'maxRetry', 'findTime', 'banTime', 'ignore'] as const;
export const MAX_RETRY_LIMITS = { min: 1, max: 100 } as const;
export const DEFAULT_MAX_RETRY = 10;
/** Durations: a whole number and a unit (s, m, h, d, w), as fail2ban writes them. */
export const DURATION_PATTERN = /^([0-9]{1,6})(s|m|h|d|w)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
export const DEFAULT_FIND_TIME = '10m';
export const DEFAULT_BAN_TIME = '1h';
/** Seconds: counting failures over more than a day, or blocking for more than a year, is refused. */
export const FIND_TIME_LIMITS = { min: 60, max: 86_400, text: '1m to 1d' } as const;
export const BAN_TIME_LIMITS = { min: 60, max: 365 * 86_400, text: '1m to 52w' } as const;
const EXAMPLE = `{ maxRetry: ${DEFAULT_MAX_RETRY}, findTime: ${DEFAULT_FIND_TIME}, banTime: ${DEFAULT_BAN_TIME} }`;

/** Seconds of a duration such as `10m`, or undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  const m = DURATION_PATTERN.exec(text.trim());
  return m ? Number(m[1]) * UNIT_SECONDS[m[2]!]! : undefined;
}

/** The host's settings with the defaults filled in, whether or not `bruteForce:` is in the file. */
export function bruteForceSettings(host: HostConfig): BruteForceConfig {
  return (
    host.bruteForce ?? {
      enabled: true,
      maxRetry: DEFAULT_MAX_RETRY,
      findTime: DEFAULT_FIND_TIME,
      banTime: DEFAULT_BAN_TIME,
      ignore: [],
    }
  );
}

export function readBruteForce(reader: ConfigReader, node: Node, path: string): BruteForceConfig | undefined {
  const fields = reader.fields(node, path, BRUTE_FORCE_KEYS, EXAMPLE);
  if (fields === undefined) return undefined;
  const at = (key: string) => childPath(path, key);
  const defaults = bruteForceSettings({} as HostConfig);
  const enabledNode = fields.get('enabled')?.value;
  const enabled = enabledNode ? reader.flag(enabledNode, at('enabled'), 'enabled: true') : true;
  const retryNode = fields.get('maxRetry')?.value;
  const maxRetry = retryNode
    ? readInteger(reader, retryNode, at('maxRetry'), {
        ...MAX_RETRY_LIMITS,
        what: 'number of failed logins',
        example: `maxRetry: ${DEFAULT_MAX_RETRY}`,
      })
    : defaults.maxRetry;
  const findNode = fields.get('findTime')?.value;
  const findTime = findNode
    ? readDuration(reader, findNode, at('findTime'), FIND_TIME_LIMITS, `findTime: ${DEFAULT_FIND_TIME}`)
    : defaults.findTime;
  const banNode = fields.get('banTime')?.value;
  const banTime = banNode
    ? readDuration(reader, banNode, at('banTime'), BAN_TIME_LIMITS, `banTime: ${DEFAULT_BAN_TIME}`)
    : defaults.banTime;
  const ignoreNode = fields.get('ignore')?.value;
  const ignore = ignoreNode ? readIgnore(reader, ignoreNode, at('ignore')) : [];
  if (enabled === undefined || !maxRetry || !findTime || !banTime || !ignore) return undefined;
  return { enabled, maxRetry, findTime, banTime, ignore };
}

export function readDuration(
  reader: ConfigReader,
  node: Node,
  path: string,
  limits: { min: number; max: number; text: string },
  example: string,
): string | undefined {
  const text = reader.text(node, path, example);
  if (text === undefined) return undefined;
  const seconds = durationSeconds(text);
  if (seconds !== undefined && seconds >= limits.min && seconds <= limits.max) return text.trim();
  reader.issues.error(
    node,
    path,
    seconds === undefined
      ? `"${text}" is not a duration: write a whole number and a unit (s, m, h, d or w).`
      : `"${text}" is out of range: use ${limits.text}.`,
    `For example: ${example}`,
  );
  return undefined;
}

function readIgnore(reader: ConfigReader, node: Node, path: string): string[] | undefined {
  const items = reader.texts(node, path, `ignore: [${IP_NETWORK_EXAMPLE}]`, true);
  if (items === undefined) return undefined;
  const values = items.map(([text, item], index) =>
    acceptName(
      reader.issues,
      normalizeIpNetwork(text),
      text,
      item,
      items.length === 1 && item === node ? path : itemPath(path, index),
      'address or network',
      IP_NETWORK_EXAMPLE,
    ),
  );
  return values.every((v): v is string => v !== undefined) ? [...new Set(values)] : undefined;
}
