// What the mailwright:// file system may touch and what a save of each file needs.
// No vscode import: the rules are plain functions.
import { posix } from 'node:path';
import type { L10n } from '../../panels/l10n';

export const CONF_ROOT = '/etc/chasquid';
export const SCHEME = 'mailwright';

/**
 * A server file's URI is mailwright:/<host>/etc/chasquid/…: the server's name is the first
 * segment of the path, where the editor's tab titles can show it (package.json's
 * configurationDefaults label them "chasquid.conf — <host>"). This is the one place that builds
 * and reads that form.
 */
export function confUriParts(hostName: string, path: string): { scheme: string; path: string } {
  return { scheme: SCHEME, path: `/${hostName}${path}` };
}

/**
 * The host and server path of a file URI's parts; undefined when the path names no host. A URI
 * of the earlier form, mailwright://<host>/etc/chasquid/… (a tab restored from then), still reads.
 */
export function confTarget(
  authority: string,
  uriPath: string,
): { hostName: string; path: string } | undefined {
  if (authority) return { hostName: authority, path: uriPath };
  const m = /^\/([^/]+)(\/.*)?$/.exec(uriPath);
  return m?.[1] ? { hostName: m[1], path: m[2] ?? '/' } : undefined;
}

/** Only chasquid's configuration is served: a typo in a URI must never reach /etc/shadow. */
export function checkConfPath(path: string, l10n: L10n): string | undefined {
  const normal = posix.normalize(path);
  if (normal !== path.replace(/\/+$/, '') && normal !== path)
    return l10n.t('not a normalized path: {0}', path);
  if (normal !== CONF_ROOT && !normal.startsWith(CONF_ROOT + '/'))
    return l10n.t('only {0} is available', CONF_ROOT);
  if (normal.split('/').includes('.git')) return l10n.t('the conf repository is not editable');
  return undefined;
}
