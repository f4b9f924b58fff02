import { createHash } from 'node:crypto';

/** OpenSSH-style SHA256 fingerprint of a public key blob: "SHA256:" + unpadded base64. */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The key type is the first length-prefixed string inside an SSH public key blob. */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  if (len > keyBlob.length - 4) return 'unknown';
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}
