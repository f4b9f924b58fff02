// The archive's encryption: age (age-encryption.org/v1) with a passphrase (scrypt recipient),
// through the age-encryption package, streamed so that no archive is held whole in memory.
import { ExpectedError } from '../errors';

/** age's own default: about a second (or a few on a slow machine) per encryption and per opening. */
export const DEFAULT_SCRYPT_LOG_N = 18;

export class BackupCryptoError extends ExpectedError {
  override name = 'BackupCryptoError';
}

// age-encryption is an ES module: loaded when a backup is made or opened, not at start.
const age = () => import('age-encryption');

export async function encryptStream(
  plain: ReadableStream<Uint8Array>,
  passphrase: string,
  scryptLogN = DEFAULT_SCRYPT_LOG_N,
): Promise<ReadableStream<Uint8Array>> {
  if (passphrase === '') throw new BackupCryptoError('The backup passphrase is empty: give one.');
  const { Encrypter } = await age();
  const encrypter = new Encrypter();
  encrypter.setScryptWorkFactor(scryptLogN);
  encrypter.setPassphrase(passphrase);
  return encrypter.encrypt(plain);
}

/**
 * The plaintext of an archive. A wrong passphrase (or a damaged header) is refused here; a
 * changed or cut-off body makes the returned stream fail when read, before its last bytes.
 */
export async function decryptStream(
  cipher: ReadableStream<Uint8Array>,
  passphrase: string,
  file: string,
): Promise<ReadableStream<Uint8Array>> {
  const { Decrypter } = await age();
  const decrypter = new Decrypter();
  decrypter.addPassphrase(passphrase);
  try {
    return await decrypter.decrypt(cipher);
  } catch (e) {
    throw cryptoProblem(e, file);
  }
}

/** What a failure of age means for the person holding the file. */
export function cryptoProblem(e: unknown, file: string): Error {
  const message = (e as Error).message ?? String(e);
  if (e instanceof ExpectedError) return e;
  if (/no identity matched/i.test(message))
    return new BackupCryptoError(
      `The passphrase does not open ${file} (or the start of the file is damaged). Nothing was changed. ` +
        'Give the passphrase the backup was made with.',
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
