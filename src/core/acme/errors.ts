// One error type for everything ACME, with the CA's own words and what to do about it.
import { ExpectedError } from '../errors';
export type AcmeErrorKind =
  'ca-unreachable' | 'ca-untrusted' | 'challenge' | 'rate-limit' | 'dns' | 'http-01' | 'other';

export class AcmeError extends ExpectedError {
  override name = 'AcmeError';
  constructor(
    readonly kind: AcmeErrorKind,
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message}\n${hint}` : message);
  }
}

interface AxiosLike {
  code?: string;
  message?: string;
  response?: { status?: number; data?: { type?: string; detail?: string } };
}

/** Maps what acme-client/axios throw to an AcmeError (never includes keys: errors carry URLs and CA text only). */
export function explainAcmeError(e: unknown, directoryUrl: string): Error {
  if (e instanceof AcmeError) return e;
  const err = e as AxiosLike & Error;
  const code = err.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) {
    return new AcmeError(
      'ca-untrusted',
      `The ACME CA at ${directoryUrl} is not trusted (${code}).`,
      'For a private CA (pebble), set acme.caCertificate to its root certificate.',
    );
  }
  if (
    [
      'ECONNREFUSED',
      'ENOTFOUND',
      'EHOSTUNREACH',
      'ETIMEDOUT',
      'ECONNRESET',
      'EAI_AGAIN',
      'ECONNABORTED',
    ].includes(code)
  ) {
    return new AcmeError(
      'ca-unreachable',
      `The ACME CA at ${directoryUrl} cannot be reached (${code}).`,
      'Check the URL and the network.',
    );
  }
  const data = err.response?.data;
  const detail = data?.detail ?? err.message;
  if (err.response?.status === 429 || data?.type?.endsWith(':rateLimited') || /rate.?limit/i.test(detail)) {
    return new AcmeError(
      'rate-limit',
      `The CA refuses for now (rate limit): ${detail}`,
      'Wait for the period the CA names, then try again.',
    );
  }
  return new AcmeError('other', `ACME: ${detail}`);
}
