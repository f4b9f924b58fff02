// Waiting that ends at once when its AbortSignal fires: retries, polls and backoffs use it.
import { CancelledError } from './remote/errors';

/**
 * Resolves after `ms`. Rejects as soon as `signal` aborts: with the caller's reason when it
 * gave an Error of its own (abort(new Error('…'))), else with CancelledError.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = () => {
      const reason: unknown = signal?.reason;
      return reason instanceof Error && reason.name !== 'AbortError' ? reason : new CancelledError();
    };
    if (signal?.aborted) return reject(cancelled());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
