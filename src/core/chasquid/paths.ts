// Where chasquid keeps its configuration on a Debian or Ubuntu server: one home for the paths
// that the planner, the DKIM code, the hooks and Dovecot's certificate all name.
import { isWriteLeftover } from '../remote/files';

export const CHASQUID_DIR = '/etc/chasquid';
export const CHASQUID_CONF_PATH = `${CHASQUID_DIR}/chasquid.conf`;
/** chasquid's hooks, relative to its config directory (where it runs them). */
export const HOOKS_DIR = 'hooks';
/** chasquid's data_dir as Mailwright leaves it (chasquid's default): the queue, domain info, STS cache. */
export const CHASQUID_DATA_DIR = '/var/lib/chasquid';

/** A domain's folder: users, aliases and (chasquid 1.14+) its DKIM keys. */
export function domainDir(domain: string): string {
  return `${CHASQUID_DIR}/domains/${domain}`;
}

/** The certificate folder chasquid picks by SNI: fullchain.pem and privkey.pem. */
export function certDir(name: string): string {
  return `${CHASQUID_DIR}/certs/${name}`;
}

/**
 * Whether chasquid reads the file only when it starts (chasquid.conf, certificates, DKIM keys),
 * so a change needs a restart. Users and aliases are re-read within ~30 s and hooks run per
 * message: those never do.
 */
export function readAtStart(path: string): boolean {
  if (!path.startsWith(`${CHASQUID_DIR}/`)) return false;
  const rel = path.slice(CHASQUID_DIR.length + 1);
  if (/^domains\/[^/]+\/(users|aliases)$/.test(rel)) return false;
  if (rel.startsWith('hooks/') || rel.split('/').includes('.git')) return false;
  // A temporary file of a write (or one a cut-off write left behind) is nothing chasquid loads.
  if (isWriteLeftover(path)) return false;
  return true;
}
