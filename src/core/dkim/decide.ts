// Which DKIM keys a domain still needs, from the configuration and the facts alone (no
// server access), so the plan can say what it will do before anything happens.
import { createHash } from 'node:crypto';
import type { DkimAlgorithm, DomainConfig } from '../config';
import type { Facts } from '../facts';
import { keyTypeOf } from './keys';
import {
  LEGACY_SELECTOR_FILE,
  legacyKeyPath,
  legacySelectorPath,
  nativeKeyPath,
  nativeSelectorsIn,
} from './layout';
import { autoSelectorBase, keyAlgorithms, keyTypeOfAutoSelector, selectorFor } from './selector';

export interface NewDkimKey {
  selector: string;
  algorithm: DkimAlgorithm;
  /** Server path of the private key. */
  file: string;
  /** PKCS#8 for chasquid itself, PKCS#1 for dkimpy (legacy hook). */
  format: 'pkcs8' | 'pkcs1';
}

export interface DkimDecision {
  domain: string;
  create: NewDkimKey[];
  /** Legacy only: the selector file to (re)write, with its content. */
  selectorFile?: { path: string; content: string };
  /** Selectors (native) or the key file (legacy) already on the server, kept as they are. */
  reused: string[];
  /** Things the user should hear (e.g. Ed25519 skipped on the legacy path). */
  notes: string[];
  /**
   * Native only: the legacy hook's files are still there (chasquid was upgraded from a version
   * before 1.14), so the hook would sign every message a second time. They are removed (kept in
   * the backups); the hook's RSA key first moves to dkim:<its selector>.pem when `importAs`
   * accepts that selector, so the record already published stays valid.
   */
  legacy?: LegacyDkim;
}

export interface LegacyDkim {
  /** The hook's files found: its selector file and its PKCS#1 key. */
  files: string[];
  selectorPath: string;
  keyPath: string;
  /**
   * Whether a selector read from the hook's selector file can keep signing as this domain's RSA
   * key under chasquid's own layout: then that key is imported and the RSA key in `create`
   * (`replaces`) is not made.
   */
  importAs?: { accepts: (selector: string) => boolean; replaces: NewDkimKey };
  /** Set once the key was written as chasquid's own: its path. */
  imported?: string;
}

export function isEmptyDecision(d: DkimDecision): boolean {
  return d.create.length === 0 && !d.selectorFile && !d.legacy;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** chasquid >= 1.14: one dkim:<selector>.pem per algorithm, every one of them signs. */
export function decideNativeDkim(domain: DomainConfig, facts: Facts, now: Date): DkimDecision {
  const algorithms = keyAlgorithms(domain.dkim);
  const existing = nativeSelectorsIn(facts.chasquidState?.domains[domain.name]?.files ?? []);
  const decision: DkimDecision = { domain: domain.name, create: [], reused: [], notes: [] };
  const claimed = new Set<string>();
  for (const algorithm of algorithms) {
    const type = keyTypeOf(algorithm);
    let selector: string | undefined;
    if (domain.dkim.selector !== 'auto') {
      const wanted = selectorFor(domain.dkim.selector, algorithm, algorithms.length);
      selector = existing.includes(wanted) ? wanted : undefined;
      if (!selector) {
        decision.create.push(newKey(domain.name, wanted, algorithm, 'pkcs8'));
        continue;
      }
    } else {
      // Ours by name first; a key made some other way (chasquid-util: RSA unless told) counts as RSA.
      selector =
        existing.find((s) => !claimed.has(s) && keyTypeOfAutoSelector(s) === type) ??
        (type === 'rsa'
          ? existing.find((s) => !claimed.has(s) && keyTypeOfAutoSelector(s) === undefined)
          : undefined);
      if (!selector) {
        const fresh = selectorFor(autoSelectorBase(now), algorithm, algorithms.length);
        decision.create.push(newKey(domain.name, fresh, algorithm, 'pkcs8'));
        continue;
      }
    }
    claimed.add(selector);
    decision.reused.push(selector);
  }
  const legacy = legacyDkimFilesOf(domain.name, facts);
  if (legacy.length > 0) {
    const rsa = decision.create.find((k) => keyTypeOf(k.algorithm) === 'rsa');
    const explicit = domain.dkim.selector !== 'auto' ? domain.dkim.selector : undefined;
    decision.legacy = {
      files: legacy,
      selectorPath: legacySelectorPath(domain.name),
      keyPath: legacyKeyPath(domain.name),
      ...(rsa && {
        importAs: {
          // The name this domain's RSA key would have, or (auto) one that a later plan reads as RSA.
          accepts: (selector: string) =>
            /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(selector) &&
            !existing.includes(selector) &&
            (explicit ? selector === rsa.selector : (keyTypeOfAutoSelector(selector) ?? 'rsa') === 'rsa'),
          replaces: rsa,
        },
      }),
    };
  }
  return decision;
}

/** The legacy hook's selector file and key of a domain, as far as the facts show them. */
export function legacyDkimFilesOf(domain: string, facts: Facts): string[] {
  const files = facts.chasquidState?.domains[domain]?.files ?? [];
  return [
    ...(files.includes(LEGACY_SELECTOR_FILE) ? [legacySelectorPath(domain)] : []),
    ...(facts.confFiles?.[legacyKeyPath(domain)] !== undefined ? [legacyKeyPath(domain)] : []),
  ];
}

/**
 * chasquid 1.10-1.13: the stock post-data hook signs with one RSA key through dkimsign.
 * Ed25519 cannot be used there; a domain asking only for Ed25519 gets RSA-2048 instead.
 */
export function decideLegacyDkim(domain: DomainConfig, facts: Facts, now: Date): DkimDecision {
  const decision: DkimDecision = { domain: domain.name, create: [], reused: [], notes: [] };
  const rsa = domain.dkim.algorithms.find((a) => keyTypeOf(a) === 'rsa');
  if (domain.dkim.algorithms.includes('ed25519')) {
    decision.notes.push(
      rsa
        ? `Ed25519 is skipped for ${domain.name}: chasquid before 1.14 signs through the post-data hook, which uses one RSA key.`
        : `Ed25519 is not possible for ${domain.name} with chasquid before 1.14 (the post-data hook signs with one RSA key): an RSA-2048 key is used instead.`,
    );
  }
  const algorithm = rsa ?? 'rsa2048';
  const files = facts.chasquidState?.domains[domain.name]?.files ?? [];
  const selectorPath = legacySelectorPath(domain.name);
  const keyPath = legacyKeyPath(domain.name);
  const hasKey = facts.confFiles?.[keyPath] !== undefined;
  const hasSelector = files.includes(LEGACY_SELECTOR_FILE);

  const explicit = domain.dkim.selector !== 'auto' ? domain.dkim.selector : undefined;
  const selectorOk = explicit ? facts.confFiles?.[selectorPath] === sha256(`${explicit}\n`) : hasSelector;
  const selector = explicit ?? autoSelectorBase(now);
  if (!selectorOk) decision.selectorFile = { path: selectorPath, content: `${selector}\n` };
  if (hasKey) decision.reused.push(keyPath);
  else decision.create.push({ selector, algorithm, file: keyPath, format: 'pkcs1' });
  return decision;
}

function newKey(domain: string, selector: string, algorithm: DkimAlgorithm, format: 'pkcs8'): NewDkimKey {
  return { selector, algorithm, file: nativeKeyPath(domain, selector), format };
}
