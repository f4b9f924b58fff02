// scrypt password hashes exactly as chasquid stores them (userdb Scrypt message):
// key = scrypt(UTF-8 password, salt, N = 2^logN, r, p, keyLen). Error messages never carry
// the password.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  logN: number;
  r: number;
  p: number;
  keyLen: number;
}

export interface ScryptHash extends ScryptParams {
  salt: Uint8Array;
  encrypted: Uint8Array;
}

/** chasquid's hard-coded parameters (userdb.AddUser): N = 2^14, r = 8, p = 1, 32-byte key. */
export const CHASQUID_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({
  logN: 14,
  r: 8,
  p: 1,
  keyLen: 32,
});
export const CHASQUID_SALT_BYTES = 16;

// 2^20 * r 8 * 128 bytes = 1 GiB: anything costlier in a users file is a mistake or an attack.
const MAX_LOG_N = 20;

export function scryptParamsProblem(p: ScryptParams): string | undefined {
  const { logN, r, p: par, keyLen } = p;
  if (![logN, r, par, keyLen].every(Number.isSafeInteger)) return 'scrypt parameters must be integers';
  if (logN < 1 || logN > MAX_LOG_N) return `scrypt logN must be between 1 and ${MAX_LOG_N}`;
  if (r < 1 || par < 1 || r * par >= 1 << 30) return 'scrypt r and p must be positive and r*p < 2^30';
  if (keyLen < 1 || keyLen > 1024) return 'scrypt keyLen must be between 1 and 1024';
  return undefined;
}

function assertPassword(password: unknown): asserts password is string {
  if (typeof password !== 'string') throw new TypeError('the password must be a string');
}

function derive(password: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  const problem = scryptParamsProblem(params);
  if (problem) return Promise.reject(new RangeError(problem));
  const N = 2 ** params.logN;
  const maxmem = 256 * N * params.r + 64 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(
      Buffer.from(password, 'utf8'),
      salt,
      params.keyLen,
      { N, r: params.r, p: params.p, maxmem },
      (err, key) => {
        // Node's message names no input, but keep only the code to be certain nothing leaks.
        if (err) reject(new Error(`scrypt failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`));
        else resolve(key);
      },
    );
  });
}

/** Hashes with fresh random salt; by default with chasquid's own parameters. */
export async function hashPassword(
  password: string,
  params: ScryptParams = CHASQUID_SCRYPT_PARAMS,
): Promise<ScryptHash> {
  assertPassword(password);
  if (password === '') throw new RangeError('the password is empty');
  const salt = new Uint8Array(randomBytes(CHASQUID_SALT_BYTES));
  const key = await derive(password, salt, params);
  return {
    logN: params.logN,
    r: params.r,
    p: params.p,
    keyLen: params.keyLen,
    salt,
    encrypted: new Uint8Array(key),
  };
}

/** Constant-time check of a password against a stored hash. */
export async function verifyPassword(hash: ScryptHash, password: string): Promise<boolean> {
  assertPassword(password);
  const key = await derive(password, hash.salt, hash);
  return key.length === hash.encrypted.length && timingSafeEqual(key, hash.encrypted);
}
