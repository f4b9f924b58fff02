// One API call of an HTTP DNS provider, bounded: a provider that accepts the connection and
// never answers would otherwise hold a publish (or a certificate's DNS-01 challenge) forever.
import { DnsProviderError } from './types';

/** How long one API call may take (default). */
export const API_TIMEOUT_MS = 30_000;

export async function fetchApi(
  kind: string,
  base: string,
  url: string,
  init: RequestInit,
  signal?: AbortSignal,
  timeoutMs = API_TIMEOUT_MS,
): Promise<Response> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    return await fetch(url, { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (error) {
    if (signal?.aborted) throw error;
    if (timeout.aborted)
      throw new DnsProviderError(
        kind,
        'network',
        `no answer from ${base} within ${Math.round(timeoutMs / 1000)} s.`,
        'Try again later; if it keeps happening, check the network between here and the API (a proxy or firewall).',
      );
    throw new DnsProviderError(kind, 'network', `cannot reach ${base}: ${(error as Error).message}`);
  }
}
