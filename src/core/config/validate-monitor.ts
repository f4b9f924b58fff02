// hosts[].monitor: the server checks its own health from a timer and alerts once per problem.
// The webhook address is a secret (it often carries a token): mailwright.yaml names only its
// format; the address itself comes from secret storage (the editor) or the environment (CLI).
import type { Node } from 'yaml';
import { normalizeEmailAddress } from '../names';
import { acceptName } from './name-issues';
import { MONITOR_WEBHOOK_FORMATS, type MonitorConfig } from './types';
import { childPath, type ConfigReader } from './yaml-reader';

export const MONITOR_KEYS = ['every', 'webhook', 'mailTo'] as const;
export const DEFAULT_MONITOR_EVERY = '1h';
/** How often the checks may run: every 5 minutes at most, once a day at least. */
export const MONITOR_EVERY_LIMITS = { minMinutes: 5, maxMinutes: 24 * 60 } as const;
export const MONITOR_EVERY_PATTERN = /^([1-9]\d*)(m|h)$/;
const MONITOR_EXAMPLE = '{ every: 1h, webhook: ntfy, mailTo: you@example.com }';

/** Minutes of an `every` value ("30m", "1h"); undefined when it is not one. */
export function monitorMinutes(every: string): number | undefined {
  const m = MONITOR_EVERY_PATTERN.exec(every);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'h' ? 60 : 1);
}

export function readMonitor(reader: ConfigReader, node: Node, path: string): MonitorConfig | undefined {
  const fields = reader.fields(node, path, MONITOR_KEYS, MONITOR_EXAMPLE);
  if (fields === undefined) return undefined;
  const at = (key: string) => childPath(path, key);
  const everyNode = fields.get('every')?.value;
  const every = everyNode ? readEvery(reader, everyNode, at('every')) : DEFAULT_MONITOR_EVERY;
  const webhookNode = fields.get('webhook')?.value;
  const webhook = webhookNode && reader.choice(webhookNode, at('webhook'), MONITOR_WEBHOOK_FORMATS);
  const mailNode = fields.get('mailTo')?.value;
  const mailTo = mailNode && readMailTo(reader, mailNode, at('mailTo'));
  if (!every || (webhookNode && !webhook) || (mailNode && !mailTo)) return undefined;
  return { every, ...(webhook && { webhook }), ...(mailTo && { mailTo }) };
}

function readEvery(reader: ConfigReader, node: Node, path: string): string | undefined {
  const text = reader.text(node, path, DEFAULT_MONITOR_EVERY);
  if (text === undefined) return undefined;
  const minutes = monitorMinutes(text.trim());
  const { minMinutes, maxMinutes } = MONITOR_EVERY_LIMITS;
  if (minutes !== undefined && minutes >= minMinutes && minutes <= maxMinutes) return text.trim();
  reader.issues.error(
    node,
    path,
    minutes === undefined
      ? `"${text}" is not a duration.`
      : `"${text}" is outside ${minMinutes} minutes to ${maxMinutes / 60} hours.`,
    `Write minutes or hours, between ${minMinutes}m and ${maxMinutes / 60}h, e.g. every: ${DEFAULT_MONITOR_EVERY} or every: 15m.`,
  );
  return undefined;
}

function readMailTo(reader: ConfigReader, node: Node, path: string): string | undefined {
  const example = 'you@example.com';
  const text = reader.text(node, path, example);
  if (text === undefined) return undefined;
  return acceptName(reader.issues, normalizeEmailAddress(text), text, node, path, 'email address', example);
}
