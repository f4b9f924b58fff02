// A fresh VPS may still answer SSH from its installer ("Welcome to TinyCore").
// Gather facts until the real OS is there, backing off, within a bound, cancellable.
import { ExpectedError } from '../errors';
import { sleep as cancellableSleep } from '../sleep';
import type { Facts } from '../facts';

export interface WaitOptions {
  signal?: AbortSignal;
  /** Give up after this long (default 20 minutes: provider installs take 5-15). */
  maxWaitMs?: number;
  /** First pause; doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  onWaiting?: (reason: string, retryInMs: number, attempt: number) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class NotReadyError extends ExpectedError {
  override name = 'NotReadyError';
}

export async function gatherWhenReady(gather: () => Promise<Facts>, opts: WaitOptions = {}): Promise<Facts> {
  const { maxWaitMs = 20 * 60_000, initialDelayMs = 10_000, maxDelayMs = 60_000 } = opts;
  const sleep = opts.sleep ?? cancellableSleep;
  const started = Date.now();
  let delay = initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    const facts = await gather();
    if (facts.system.state === 'ready') return facts;
    const reason = facts.system.reason ?? `The server is in state "${facts.system.state}".`;
    const elapsed = Date.now() - started;
    if (elapsed + delay > maxWaitMs) {
      throw new NotReadyError(
        `${reason} Still not ready after ${Math.round(elapsed / 60_000)} min; try again later.`,
      );
    }
    opts.onWaiting?.(reason, delay, attempt);
    await sleep(delay, opts.signal);
    delay = Math.min(delay * 2, maxDelayMs);
  }
}
