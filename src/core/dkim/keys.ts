// DKIM key pairs made in Node: the private key exists only in this process and in the file
// written over SFTP; it is never passed on a command line or logged.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { DkimAlgorithm } from '../config/types';

/** The DNS key type (`k=` tag): what a verifier needs to know about a key. */
export type DkimKeyType = 'rsa' | 'ed25519';

export function keyTypeOf(algo: DkimAlgorithm): DkimKeyType {
  return algo === 'ed25519' ? 'ed25519' : 'rsa';
}

const RSA_BITS: Record<Exclude<DkimAlgorithm, 'ed25519'>, number> = {
  rsa2048: 2048,
  rsa3072: 3072,
  rsa4096: 4096,
};

export interface DkimKeyPair {
  algorithm: DkimAlgorithm;
  keyType: DkimKeyType;
  /** PKCS#8 PEM: what chasquid >= 1.14 reads from `domains/<d>/dkim:<selector>.pem`. */
  privateKeyPkcs8: string;
  /** PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"): what dkimpy's dkimsign reads (legacy hook); RSA only. */
  privateKeyPkcs1?: string;
  /** The `p=` value of the DNS record (base64). */
  publicKey: string;
}

export function generateDkimKey(algorithm: DkimAlgorithm): DkimKeyPair {
  const { privateKey } =
    algorithm === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('rsa', { modulusLength: RSA_BITS[algorithm], publicExponent: 0x10001 });
  return describePrivateKey(privateKey, algorithm);
}

function describePrivateKey(privateKey: KeyObject, algorithm: DkimAlgorithm): DkimKeyPair {
  const keyType = keyTypeOf(algorithm);
  return {
    algorithm,
    keyType,
    privateKeyPkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKeyPkcs1:
      keyType === 'rsa' ? privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() : undefined,
    publicKey: dnsPublicKey(createPublicKey(privateKey)),
  };
}

/**
 * The `p=` value for a public key: RSA keys as DER SubjectPublicKeyInfo (RFC 6376 3.6.1),
 * Ed25519 keys as the bare 32 bytes (RFC 8463 4.2), both base64.
 */
export function dnsPublicKey(publicKey: KeyObject): string {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  if (publicKey.asymmetricKeyType === 'ed25519') return spki.subarray(spki.length - 32).toString('base64');
  if (publicKey.asymmetricKeyType === 'rsa') return spki.toString('base64');
  throw new Error(`Unsupported DKIM key type: ${publicKey.asymmetricKeyType ?? 'unknown'}`);
}

export interface PublicDkimKey {
  keyType: DkimKeyType;
  /** RSA modulus size; undefined for Ed25519. */
  bits?: number;
  publicKey: string;
}

/** The public half of a private key file (PKCS#1 or PKCS#8 PEM), as it goes into DNS. */
export function publicKeyOfPem(pem: string | Buffer): PublicDkimKey {
  const pub = createPublicKey(createPrivateKey(pem));
  const type = pub.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ed25519') {
    throw new Error(`A DKIM key must be RSA or Ed25519, not ${type ?? 'unknown'}.`);
  }
  return {
    keyType: type,
    bits: type === 'rsa' ? pub.asymmetricKeyDetails?.modulusLength : undefined,
    publicKey: dnsPublicKey(pub),
  };
}
