// The DKIM keys a server has, read back over SSH (as root, never logged), as the DNS
// records they need. Used by the DNS step and by the end-to-end signature test.
import type { ChasquidPath } from '../chasquid';
import { readRemoteFileIfExists, shellScript, type RemoteConnection } from '../remote';
import { publicKeyOfPem, type DkimKeyType } from './keys';
import { domainDir, legacyKeyPath, legacySelectorPath, nativeKeyPath, nativeSelectorsIn } from './layout';
import { dkimRecordName, dkimTxtRecord, splitTxt } from './record';

export interface DkimPublicKey {
  selector: string;
  keyType: DkimKeyType;
  /** base64, the record's `p=`. */
  publicKey: string;
}

export interface InstalledDkimKey extends DkimPublicKey {
  domain: string;
  /** Where the private key is on the server. */
  file: string;
  bits?: number;
}

export interface DkimDnsRecord {
  /** `<selector>._domainkey.<domain>` */
  name: string;
  type: 'TXT';
  /** The whole value, unsplit. */
  value: string;
  /** The value split into <=255-byte character-strings, ready for a DNS provider. */
  strings: string[];
}

/** The TXT records that publish these keys. */
export function dkimRecordsFor(domain: string, keys: readonly DkimPublicKey[]): DkimDnsRecord[] {
  return keys.map((k) => {
    const value = dkimTxtRecord(k.publicKey, k.keyType);
    return { name: dkimRecordName(k.selector, domain), type: 'TXT', value, strings: splitTxt(value) };
  });
}

async function listDomainFiles(conn: RemoteConnection, domain: string): Promise<string[]> {
  const r = await conn.exec(shellScript('[ -d "$1" ] && ls -1A -- "$1" || true', [domainDir(domain)]), {
    sudo: true,
  });
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** The keys chasquid (native) or the post-data hook (legacy) signs with for `domain`. */
export async function installedDkimKeys(
  conn: RemoteConnection,
  path: ChasquidPath,
  domain: string,
): Promise<InstalledDkimKey[]> {
  if (path === 'legacy') {
    const selector = (await readRemoteFileIfExists(conn, legacySelectorPath(domain)))?.toString().trim();
    const pem = await readRemoteFileIfExists(conn, legacyKeyPath(domain));
    if (!selector || !pem) return [];
    return [{ domain, selector, file: legacyKeyPath(domain), ...publicKeyOfPem(pem) }];
  }
  const keys: InstalledDkimKey[] = [];
  for (const selector of nativeSelectorsIn(await listDomainFiles(conn, domain))) {
    const file = nativeKeyPath(domain, selector);
    const pem = await readRemoteFileIfExists(conn, file);
    if (pem) keys.push({ domain, selector, file, ...publicKeyOfPem(pem) });
  }
  return keys;
}

/** selector -> public key (base64), for a verifier's DNS stand-in (e.g. mailauth's resolver). */
export async function installedPublicKeysBySelector(
  conn: RemoteConnection,
  path: ChasquidPath,
  domain: string,
): Promise<Record<string, DkimDnsRecord>> {
  const keys = await installedDkimKeys(conn, path, domain);
  const records = dkimRecordsFor(domain, keys);
  return Object.fromEntries(keys.map((k, i) => [k.selector, records[i]!]));
}
