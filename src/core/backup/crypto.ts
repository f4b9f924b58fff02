// The archive's encryption: age (age-encryption.org/v1) through the age-encryption package,
// streamed so that no archive is held whole in memory. Two ways to lock an archive: a passphrase
// (scrypt recipient; `mailwright backup` from your machine) or an age public key (X25519
// recipient, `age1…`; the server's scheduled backups), whose identity (`AGE-SECRET-KEY-1…`)
// stays with you: a server holds nothing that opens its own backups.
import { webcrypto } from 'node:crypto';
import { open } from 'node:fs/promises';
import { ExpectedError } from '../errors';
import { AGE_IDENTITY_PATTERN, AGE_RECIPIENT_PATTERN } from './age-keys';

/** age's own default: about a second (or a few on a slow machine) per encryption and per opening. */
export const DEFAULT_SCRYPT_LOG_N = 18;

export { AGE_IDENTITY_PATTERN, AGE_RECIPIENT_PATTERN };

/** What locks a new archive. */
export type SealKey = { passphrase: string; scryptLogN?: number } | { recipient: string };
/** What opens an archive: a passphrase, or the identity whose recipient it was made for. A string is a passphrase. */
export type OpenKey = string | { passphrase: string } | { identity: string };

export class BackupCryptoError extends ExpectedError {
  override name = 'BackupCryptoError';
}

// age-encryption is an ES module: loaded when a backup is made or opened, not at start. It draws
// its randomness from the global Web Crypto, which Node.js 18 (the server's, on Debian 12 and
// Ubuntu 24.04) has only as node:crypto's webcrypto.
const age = () => {
  const global = globalThis as { crypto?: unknown };
  global.crypto ??= webcrypto;
  return import('age-encryption');
};

export async function encryptStream(
  plain: ReadableStream<Uint8Array>,
  key: string | SealKey,
  scryptLogN = DEFAULT_SCRYPT_LOG_N,
): Promise<ReadableStream<Uint8Array>> {
  const seal: SealKey = typeof key === 'string' ? { passphrase: key, scryptLogN } : key;
  const { Encrypter } = await age();
  const encrypter = new Encrypter();
  if ('recipient' in seal) {
    if (!AGE_RECIPIENT_PATTERN.test(seal.recipient))
      throw new BackupCryptoError(
        `"${seal.recipient}" is not an age public key (age1…, 62 characters): make one with \`mailwright backup keygen\`.`,
      );
    try {
      encrypter.addRecipient(seal.recipient);
    } catch (e) {
      throw new BackupCryptoError(
        `The age public key ${seal.recipient} is damaged: ${(e as Error).message}.`,
      );
    }
  } else {
    if (seal.passphrase === '') throw new BackupCryptoError('The backup passphrase is empty: give one.');
    encrypter.setScryptWorkFactor(seal.scryptLogN ?? DEFAULT_SCRYPT_LOG_N);
    encrypter.setPassphrase(seal.passphrase);
  }
  return encrypter.encrypt(plain);
}

/**
 * The plaintext of an archive. A wrong passphrase or identity (or a damaged header) is refused
 * here; a changed or cut-off body makes the returned stream fail when read, before its last bytes.
 */
export async function decryptStream(
  cipher: ReadableStream<Uint8Array>,
  key: OpenKey,
  file: string,
): Promise<ReadableStream<Uint8Array>> {
  const { Decrypter } = await age();
  const decrypter = new Decrypter();
  const k = typeof key === 'string' ? { passphrase: key } : key;
  if ('identity' in k) decrypter.addIdentity(identityOf(k.identity));
  else decrypter.addPassphrase(k.passphrase);
  try {
    return await decrypter.decrypt(cipher);
  } catch (e) {
    throw cryptoProblem(e, file, 'identity' in k ? 'identity' : 'passphrase');
  }
}

/**
 * The identity in an age identity file's text (age-keygen's format: comments, then the key), or
 * the key itself; refused, saying what it is not, when there is none.
 */
export function identityOf(text: string): string {
  const keys = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const key = keys.find((l) => AGE_IDENTITY_PATTERN.test(l));
  if (key) return key;
  if (keys.some((l) => AGE_RECIPIENT_PATTERN.test(l)))
    throw new BackupCryptoError(
      'That is the public key (age1…), which only locks archives. Give the identity file written by `mailwright backup keygen` (AGE-SECRET-KEY-1…).',
    );
  throw new BackupCryptoError(
    'No age identity (AGE-SECRET-KEY-1…) found: give the identity file written by `mailwright backup keygen`.',
  );
}

/** A new key pair: the identity file's text (age-keygen's format, for `age -d -i`) and its public key. */
export async function generateBackupKey(
  now = new Date(),
): Promise<{ identityFile: string; recipient: string }> {
  const { generateX25519Identity, identityToRecipient } = await age();
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  return {
    recipient,
    identityFile: `# created: ${now.toISOString()}\n# public key: ${recipient}\n${identity}\n`,
  };
}

/** How an archive is locked, read from its age header: a passphrase, a public key, or unknown. */
export async function archiveLock(file: string): Promise<'passphrase' | 'recipient' | 'unknown'> {
  let head = '';
  try {
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(4096);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead).toString('latin1');
    } finally {
      await handle.close();
    }
  } catch {
    return 'unknown';
  }
  if (!head.startsWith('age-encryption.org/v1\n')) return 'unknown';
  if (/\n-> scrypt /.test(head)) return 'passphrase';
  if (/\n-> X25519 /.test(head)) return 'recipient';
  return 'unknown';
}

/** What a failure of age means for the person holding the file. */
export function cryptoProblem(
  e: unknown,
  file: string,
  key: 'passphrase' | 'identity' = 'passphrase',
): Error {
  const message = (e as Error).message ?? String(e);
  if (e instanceof ExpectedError) return e;
  if (/no identity matched/i.test(message))
    return new BackupCryptoError(
      key === 'identity'
        ? `This identity does not open ${file}: the archive was made for another public key, or with a passphrase (or the start of the file is damaged). Nothing was changed. ` +
            'Give the identity whose public key is in backups.schedule.recipient when the archive was made.'
        : `The passphrase does not open ${file} (or the start of the file is damaged). Nothing was changed. ` +
            'Give the passphrase the backup was made with; an archive the server made opens with your identity file (--identity).',
    );
  if (/invalid tag|stream|chunk|truncat|final/i.test(message))
    return new BackupCryptoError(
      `${file} is damaged or incomplete: its encrypted content does not check out (${message}). Nothing was changed. ` +
        'Use another copy of the backup.',
    );
  return new BackupCryptoError(
    `${file} is not a Mailwright backup (age-encrypted) or is damaged: ${message}. Nothing was changed.`,
  );
}
