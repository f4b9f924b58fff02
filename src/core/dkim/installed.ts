// The DKIM keys a server has, read back over SSH (as root, never logged), as the DNS
// records they need. Used by the DNS step and by the end-to-end signature test.
import type { ChasquidPath } from '../chasquid';
import { shellScript, type RemoteConnection } from '../remote';
import { publicKeyOfPem, type DkimKeyType } from './keys';
import {
  domainDir,
  legacyKeyPath,
  legacySelectorPath,
  nativeKeyFileName,
  nativeKeyPath,
  nativeSelectorsIn,
} from './layout';
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

// Prints `<file name> <base64>` for each key file chasquid signs with (native: every
// domains/<d>/dkim:<selector>.pem; legacy: the selector file and certs/<d>/dkim_privkey.pem),
// so all keys come back in ONE round trip: the DNS check reads them every time it runs.
const READ_KEYS_SCRIPT = `
if [ "$1" = legacy ]; then
  [ -f "$3" ] && [ -f "$4" ] && printf 'selector %s\\n' "$(tr -d ' \\n' <"$3" | base64 -w0)" && printf 'legacy %s\\n' "$(base64 -w0 -- "$4")"
else
  for f in "$2"/dkim:*.pem; do [ -f "$f" ] && printf '%s %s\\n' "\${f##*/}" "$(base64 -w0 -- "$f")"; done
fi
exit 0
`;

/** The keys chasquid (native) or the post-data hook (legacy) signs with for `domain`. */
export async function installedDkimKeys(
  conn: RemoteConnection,
  path: ChasquidPath,
  domain: string,
  signal?: AbortSignal,
): Promise<InstalledDkimKey[]> {
  const legacy = path === 'legacy';
  const r = await conn.exec(
    shellScript(READ_KEYS_SCRIPT, [
      legacy ? 'legacy' : 'native',
      domainDir(domain),
      legacySelectorPath(domain),
      legacyKeyPath(domain),
    ]),
    { sudo: true, ...(signal && { signal }) },
  );
  const files = new Map(
    r.stdout
      .split('\n')
      .filter((line) => line.includes(' '))
      .map((line) => {
        const space = line.indexOf(' ');
        return [line.slice(0, space), Buffer.from(line.slice(space + 1), 'base64')] as const;
      }),
  );
  if (legacy) {
    const selector = files.get('selector')?.toString().trim();
    const pem = files.get('legacy');
    if (!selector || !pem) return [];
    return [{ domain, selector, file: legacyKeyPath(domain), ...publicKeyOfPem(pem) }];
  }
  return nativeSelectorsIn([...files.keys()]).map((selector) => ({
    domain,
    selector,
    file: nativeKeyPath(domain, selector),
    ...publicKeyOfPem(files.get(nativeKeyFileName(selector))!),
  }));
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
