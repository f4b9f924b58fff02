// Local parts (users, alias names) and email addresses (alias targets, DMARC reports).
import { normalizeDomainName, type NameCheck, type NameNote } from './domain-name';

export const LOCAL_PART_EXAMPLE = 'alice';
export const CATCH_ALL = '*';

/** A local user or alias name: `[a-z0-9._+-]`, lowercased, never an address. */
export function normalizeLocalPart(text: string): NameCheck {
  if (text === '') return { ok: false, reason: 'it is empty' };
  if (text.includes('@')) {
    const local = text.slice(0, text.indexOf('@'));
    return {
      ok: false,
      reason: 'it contains "@"; only the part before "@" belongs here',
      hint: `Write ${local || LOCAL_PART_EXAMPLE}, not ${text}; the domain comes from the enclosing domain entry`,
    };
  }
  const warnings: NameNote[] = [];
  let local = text;
  if (/[A-Z]/.test(local)) {
    local = local.toLowerCase();
    warnings.push({
      message: `"${text}" has uppercase letters; Mailwright uses "${local}".`,
      hint: `Write ${local} to silence this warning.`,
    });
  }
  const bad = [...local].find((c) => !/[a-z0-9._+-]/.test(c));
  if (bad !== undefined)
    // JSON quoting shows a line break or an escape character as \n or \u001b, never raw.
    return {
      ok: false,
      reason: `it contains ${JSON.stringify(bad)}; only a-z, 0-9, ".", "_", "+", "-" are allowed`,
    };
  if (local.length > 64)
    return { ok: false, reason: `it is ${local.length} characters long; the limit is 64` };
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..'))
    return { ok: false, reason: 'it starts or ends with ".", or has two dots in a row' };
  return { ok: true, value: local, warnings };
}

/**
 * The address of a mail user of this server, `user@domain`: the user part is a local part as
 * mailwright.yaml holds it, the domain a domain name, both normalized. The one rule for a user
 * named on the command line, in the editor or in the yaml.
 */
export type UserAddressCheck =
  | { ok: true; value: string; warnings: NameNote[]; user: string; domain: string }
  | { ok: false; reason: string; hint?: string };

export function normalizeUserAddress(text: string): UserAddressCheck {
  const at = text.lastIndexOf('@');
  if (at === -1)
    return {
      ok: false,
      reason: 'it has no "@"',
      hint: `Write user@domain, e.g. ${LOCAL_PART_EXAMPLE}@example.com`,
    };
  const user = normalizeLocalPart(text.slice(0, at));
  if (!user.ok) return { ok: false, reason: `the user name is invalid: ${user.reason}`, hint: user.hint };
  const domain = normalizeDomainName(text.slice(at + 1));
  if (!domain.ok) return { ok: false, reason: `the domain is invalid: ${domain.reason}`, hint: domain.hint };
  return {
    ok: true,
    value: `${user.value}@${domain.value}`,
    warnings: [...user.warnings, ...domain.warnings],
    user: user.value,
    domain: domain.value,
  };
}

/** An alias name: a local part, or `*` for the catch-all. */
export function normalizeAliasName(text: string): NameCheck {
  return text === CATCH_ALL ? { ok: true, value: CATCH_ALL, warnings: [] } : normalizeLocalPart(text);
}

/**
 * A full email address. The local part keeps its case (it is the remote server's business);
 * the domain is normalized like any domain name.
 */
export function normalizeEmailAddress(text: string): NameCheck {
  const at = text.lastIndexOf('@');
  if (at === -1) return { ok: false, reason: 'it has no "@"' };
  const local = text.slice(0, at);
  if (local === '') return { ok: false, reason: 'the part before "@" is empty' };
  if (local.length > 64) return { ok: false, reason: 'the part before "@" is longer than 64 characters' };
  // RFC 5322 dot-atom; quoted local parts are legal but never needed here.
  if (!/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(local))
    return { ok: false, reason: `"${local}" is not a valid local part` };
  const domainText = text.slice(at + 1);
  const domain = normalizeDomainName(domainText);
  if (!domain.ok) return { ok: false, reason: `the domain "${domainText}" is invalid: ${domain.reason}` };
  return { ok: true, value: `${local}@${domain.value}`, warnings: domain.warnings };
}
