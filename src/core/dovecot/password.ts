// SHA512-CRYPT ("$6$rounds=N$salt$hash", the glibc/libxcrypt scheme) for Dovecot's
// passwd-file: every Dovecot since 2.0 verifies it through crypt(3). The hash is made here, so
// the password never reaches the server; error messages never carry it.
import { createHash, randomBytes } from 'node:crypto';

/** The alphabet of crypt(3) (also that of its salts). */
const ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999_999_999;
const ROUNDS_DEFAULT = 5000;
const SALT_MAX = 16;

/**
 * Rounds written by Mailwright: about 40 ms per check on a small VPS, paid at each IMAP login and
 * each SMTP AUTH (chasquid asks Dovecot), and 100 000 times the cost of a guess.
 */
export const MAILBOX_HASH_ROUNDS = 100_000;

/** Dovecot's name of the scheme, written in front of the hash in the passwd-file. */
export const MAILBOX_HASH_SCHEME = 'SHA512-CRYPT';

// Which bytes of the final digest make each group of 4 characters (the scheme's fixed order).
const ORDER: ReadonlyArray<readonly [number, number, number]> = Array.from({ length: 21 }, (_, i) => {
  const a = [i, i + 21, i + 42] as const;
  // Each group starts one further along the cycle (0,21,42), (22,43,1), (44,2,23), …
  const shift = i % 3;
  return [a[shift]!, a[(shift + 1) % 3]!, a[(shift + 2) % 3]!] as const;
});

function encode24(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ALPHABET[w & 0x3f];
    w >>>= 6;
  }
  return out;
}

function sha512(...parts: Buffer[]): Buffer {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** `length` bytes of `block` repeated. */
function repeated(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += block.length) block.copy(out, i, 0, Math.min(block.length, length - i));
  return out;
}

export function saltProblem(salt: string): string | undefined {
  if (salt.length === 0 || salt.length > SALT_MAX) return `the salt has 1 to ${SALT_MAX} characters`;
  if ([...salt].some((c) => !ALPHABET.includes(c))) return 'the salt uses only [./0-9A-Za-z]';
  return undefined;
}

/**
 * crypt(3) with "$6$": `rounds` undefined writes the scheme's default (5000) without a
 * "rounds=" field, as `openssl passwd -6 -salt SALT` does.
 */
export function sha512Crypt(password: string, salt: string, rounds?: number): string {
  if (typeof password !== 'string') throw new TypeError('the password must be a string');
  const problem = saltProblem(salt);
  if (problem) throw new RangeError(problem);
  if (rounds !== undefined && !Number.isSafeInteger(rounds)) throw new RangeError('rounds is an integer');
  const n = rounds === undefined ? ROUNDS_DEFAULT : Math.min(ROUNDS_MAX, Math.max(ROUNDS_MIN, rounds));
  const p = Buffer.from(password, 'utf8');
  const s = Buffer.from(salt, 'ascii');

  const b = sha512(p, s, p);
  const a = createHash('sha512').update(p).update(s).update(repeated(b, p.length));
  for (let len = p.length; len > 0; len >>= 1) a.update(len & 1 ? b : p);
  let c = a.digest();

  const pBytes = repeated(sha512(...Array<Buffer>(p.length).fill(p)), p.length);
  const sBytes = repeated(sha512(...Array<Buffer>(16 + c[0]!).fill(s)), s.length);
  for (let i = 0; i < n; i++) {
    const h = createHash('sha512');
    h.update(i & 1 ? pBytes : c);
    if (i % 3) h.update(sBytes);
    if (i % 7) h.update(pBytes);
    h.update(i & 1 ? c : pBytes);
    c = h.digest();
  }

  const hash =
    ORDER.map(([x, y, z]) => encode24(c[x]!, c[y]!, c[z]!, 4)).join('') + encode24(0, 0, c[63]!, 2);
  return `$6$${rounds === undefined ? '' : `rounds=${n}$`}${salt}$${hash}`;
}

/** A fresh 16-character salt. */
export function randomSalt(): string {
  return [...randomBytes(SALT_MAX)].map((byte) => ALPHABET[byte & 0x3f]).join('');
}

/** The passwd-file password field for a new password: "{SHA512-CRYPT}$6$rounds=…". */
export function mailboxPasswordHash(password: string, rounds = MAILBOX_HASH_ROUNDS): string {
  if (password === '') throw new RangeError('the password is empty');
  return `{${MAILBOX_HASH_SCHEME}}${sha512Crypt(password, randomSalt(), rounds)}`;
}
