// Where chasquid reads DKIM keys, on each path.
//  native (>= 1.14): every domains/<d>/dkim:<selector>.pem is loaded at start and signs.
//  legacy (1.10-1.13): the stock hooks/post-data runs dkimsign (python3-dkim) with the
//  selector in domains/<d>/dkim_selector and the PKCS#1 key certs/<d>/dkim_privkey.pem,
//  one key per domain, RSA only.
import { CHASQUID_DIR, domainDir } from '../chasquid/paths';

export { CHASQUID_DIR, domainDir };
/** chasquid runs as user chasquid: it must read the key, nobody else may. */
export const DKIM_KEY_OWNER = 'root:chasquid';
export const DKIM_KEY_MODE = '0640';

export function nativeKeyFileName(selector: string): string {
  return `dkim:${selector}.pem`;
}

export function nativeKeyPath(domain: string, selector: string): string {
  return `${domainDir(domain)}/${nativeKeyFileName(selector)}`;
}

/** Selectors of the native key files among a domain directory's file names. */
export function nativeSelectorsIn(fileNames: readonly string[]): string[] {
  return fileNames
    .map((f) => /^dkim:(.+)\.pem$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

export const LEGACY_SELECTOR_FILE = 'dkim_selector';

export function legacySelectorPath(domain: string): string {
  return `${domainDir(domain)}/${LEGACY_SELECTOR_FILE}`;
}

export function legacyKeyDir(domain: string): string {
  return `${CHASQUID_DIR}/certs/${domain}`;
}

export function legacyKeyPath(domain: string): string {
  return `${legacyKeyDir(domain)}/dkim_privkey.pem`;
}

export const LEGACY_HOOK_PATH = `${CHASQUID_DIR}/hooks/post-data`;
