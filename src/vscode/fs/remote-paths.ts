// What the mailwright:// file system may touch and what a save of each file needs.
// No vscode import: the rules are plain functions.
import { posix } from 'node:path';
import type { L10n } from '../../shared/l10n';

export const CONF_ROOT = '/etc/chasquid';
export const SCHEME = 'mailwright';

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
