// Selector naming. 'auto' = "mw" + the UTC date the first key was made (mw20261128). When a
// domain signs with two algorithms each key needs its own selector: a one-letter suffix tells
// them apart, "r" for RSA and "e" for Ed25519 (mw20261128r, mw20261128e); the same suffixes
// are added to an explicit selector. Existing keys are always reused: a later run on a later
// date finds them by name and does not rotate. A key rotation made on the day a key of that
// name already exists adds the UTC time (mw20261128093015).
import type { DkimAlgorithm, DkimConfig } from '../config/types';
import { keyTypeOf, type DkimKeyType } from './keys';

const AUTO_PREFIX = 'mw';
const SUFFIX: Record<DkimKeyType, string> = { rsa: 'r', ed25519: 'e' };
const AUTO_SELECTOR = /^mw\d{8}(?:\d{6})?([re]?)$/;

export function autoSelectorBase(now: Date, withTime = false): string {
  const stamp = now.toISOString().slice(0, withTime ? 19 : 10);
  return AUTO_PREFIX + stamp.replace(/[-:T]/g, '');
}

/** One RSA and at most one Ed25519 key per domain: a second RSA size in the list adds nothing. */
export function keyAlgorithms(config: DkimConfig): DkimAlgorithm[] {
  const seen = new Set<DkimKeyType>();
  return config.algorithms.filter((a) => {
    const type = keyTypeOf(a);
    if (seen.has(type)) return false;
    seen.add(type);
    return true;
  });
}

export function selectorFor(base: string, algorithm: DkimAlgorithm, algorithmCount: number): string {
  return algorithmCount > 1 ? base + SUFFIX[keyTypeOf(algorithm)] : base;
}

/**
 * The key type an auto selector was made for, from its suffix; undefined for names this
 * scheme did not make (e.g. chasquid-util dkim-keygen's), whose type planning cannot know.
 */
export function keyTypeOfAutoSelector(selector: string): DkimKeyType | undefined {
  const m = AUTO_SELECTOR.exec(selector);
  if (!m) return undefined;
  return m[1] === 'e' ? 'ed25519' : 'rsa';
}
