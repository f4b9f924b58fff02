// Names, the one home of their rules: domain names (lowercase, IDN -> punycode A-labels, no
// final dot), local parts (users, alias names), the addresses of this server's users and any
// email address, and IP addresses and networks. mailwright.yaml's validation, the command line and the editor's input boxes all
// check a name here, so a name accepted by one is accepted, and written the same, by the others.
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

/** A fix applied while normalizing, worth telling the user about. */
export interface NameNote {
  message: string;
  hint: string;
}

/** Outcome of checking a name: the normalized value (with notes) or why it is invalid. */
export type NameCheck =
  { ok: true; value: string; warnings: NameNote[] } | { ok: false; reason: string; hint?: string };

export interface DomainNameOptions {
  /** SPF includes such as `_spf.google.com` use underscores; host names never do. */
  allowUnderscore?: boolean;
}

export const DOMAIN_EXAMPLE = 'example.com';

/**
 * Spaces around a typed or pasted name are dropped, with a note; spaces inside it are refused by
 * the rule. Every name is read through here, from mailwright.yaml, the command line or an input box.
 */
function trimmed<C extends { ok: true; warnings: NameNote[] } | { ok: false }>(
  text: string,
  rule: (inner: string) => C,
): C {
  const inner = text.trim();
  const result = rule(inner);
  if (inner === text || !result.ok) return result;
  return {
    ...result,
    warnings: [
      {
        message: `${JSON.stringify(text)} has spaces around it; Mailwright uses "${inner}".`,
        hint: `Write ${inner}.`,
      },
      ...result.warnings,
    ],
  };
}

/** Checks a domain name and returns it lowercased, in ASCII, without a trailing dot. */
export function normalizeDomainName(text: string, options: DomainNameOptions = {}): NameCheck {
  return trimmed(text, (inner) => domainNameRule(inner, options));
}

function domainNameRule(text: string, options: DomainNameOptions): NameCheck {
  if (text === '') return { ok: false, reason: 'it is empty' };
  if (/\s/.test(text)) return { ok: false, reason: 'it contains spaces' };
  if (text.includes('@')) {
    return {
      ok: false,
      reason: 'it looks like an email address',
      hint: `Write only the part after "@", e.g. ${DOMAIN_EXAMPLE} for alice@${DOMAIN_EXAMPLE}`,
    };
  }
  if (text.includes('/') || text.includes(':'))
    return { ok: false, reason: 'it looks like a URL', hint: `Write only the name, e.g. ${DOMAIN_EXAMPLE}` };

  const warnings: NameNote[] = [];
  let name = text;
  if (name.endsWith('.') && name.length > 1) {
    name = name.slice(0, -1);
    warnings.push({
      message: `"${text}" ends with a dot; Mailwright uses "${name}".`,
      hint: `Write ${name} to silence this warning.`,
    });
  }
  if (/[\u0080-\uffff]/.test(name)) {
    const aLabel = domainToASCII(name);
    if (aLabel === '') return { ok: false, reason: 'it is not a valid internationalized domain name' };
    warnings.push({
      message: `"${name}" is an internationalized (non-ASCII) name; DNS and mail use its A-label "${aLabel}".`,
      hint: `Write ${aLabel} to silence this warning.`,
    });
    name = aLabel;
  } else if (/[A-Z]/.test(name)) {
    const lower = name.toLowerCase();
    warnings.push({
      message: `"${name}" has uppercase letters; Mailwright uses "${lower}".`,
      hint: `Write ${lower} to silence this warning.`,
    });
    name = lower;
  }

  const reason = ldhProblem(name, options);
  return reason ? { ok: false, reason } : { ok: true, value: name, warnings };
}

/** Why `name` (lowercase ASCII) is not a valid multi-label domain name, if it is not. */
function ldhProblem(name: string, options: DomainNameOptions): string | undefined {
  if (name.length > 253) return `it is ${name.length} characters long; the limit is 253`;
  const labels = name.split('.');
  if (labels.length < 2) return 'it needs at least two labels, like example.com';
  const allowed = options.allowUnderscore ? /^[a-z0-9_-]+$/ : /^[a-z0-9-]+$/;
  for (const label of labels) {
    if (label === '') return 'it has an empty label (two dots in a row, or a leading dot)';
    if (label.length > 63)
      return `the label "${label.slice(0, 20)}…" is ${label.length} characters; the limit is 63`;
    if (!allowed.test(label)) {
      const bad = [...label].find((c) => !allowed.test(c));
      return `the label "${label}" contains "${bad}"; only letters, digits and "-" are allowed`;
    }
    if (label.startsWith('-') || label.endsWith('-')) return `the label "${label}" starts or ends with "-"`;
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? ''))
    return 'the last label is all digits (an IP address is not a domain name)';
  return undefined;
}

/** A DNS label sequence such as a DKIM selector (`mw20250101` or `mail.2025`), lowercase. */
export function dnsLabelProblem(text: string): string | undefined {
  if (text === '') return 'it is empty';
  if (text.length > 253) return 'it is longer than 253 characters';
  const rule = 'use lowercase letters, digits and inner "-", at most 63 per label';
  for (const label of text.split('.')) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label))
      return label === text ? rule : `the label "${label}" is invalid: ${rule}`;
  }
  return undefined;
}

/**
 * Lowercase, without spaces around it or the final dot: how two DNS names (as written, as a
 * setting holds them, or as a server or a DNS provider answers) are compared.
 */
export function normalizeName(name: string): string {
  return name.trim().replace(/\.$/, '').toLowerCase();
}

// Local parts (users, alias names) and email addresses (alias targets, DMARC reports).

export const LOCAL_PART_EXAMPLE = 'alice';
export const CATCH_ALL = '*';

/** A local user or alias name: `[a-z0-9._+-]`, lowercased, never an address. */
export function normalizeLocalPart(text: string): NameCheck {
  return trimmed(text, localPartRule);
}

function localPartRule(text: string): NameCheck {
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
  return trimmed(text, userAddressRule);
}

function userAddressRule(text: string): UserAddressCheck {
  const at = text.lastIndexOf('@');
  if (at === -1)
    return {
      ok: false,
      reason: 'it has no "@"',
      hint: `Write user@domain, e.g. ${LOCAL_PART_EXAMPLE}@example.com`,
    };
  const user = localPartRule(text.slice(0, at));
  if (!user.ok) return { ok: false, reason: `the user name is invalid: ${user.reason}`, hint: user.hint };
  const domain = domainNameRule(text.slice(at + 1), {});
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
  return trimmed(text, (inner) =>
    inner === CATCH_ALL ? { ok: true, value: CATCH_ALL, warnings: [] } : localPartRule(inner),
  );
}

/**
 * A full email address. The local part keeps its case (it is the remote server's business);
 * the domain is normalized like any domain name.
 */
export function normalizeEmailAddress(text: string): NameCheck {
  return trimmed(text, emailAddressRule);
}

function emailAddressRule(text: string): NameCheck {
  const at = text.lastIndexOf('@');
  if (at === -1) return { ok: false, reason: 'it has no "@"' };
  const local = text.slice(0, at);
  if (local === '') return { ok: false, reason: 'the part before "@" is empty' };
  if (local.length > 64) return { ok: false, reason: 'the part before "@" is longer than 64 characters' };
  // RFC 5322 dot-atom; quoted local parts are legal but never needed here.
  if (!/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(local))
    return { ok: false, reason: `"${local}" is not a valid local part` };
  const domainText = text.slice(at + 1);
  const domain = domainNameRule(domainText, {});
  if (!domain.ok) return { ok: false, reason: `the domain "${domainText}" is invalid: ${domain.reason}` };
  return { ok: true, value: `${local}@${domain.value}`, warnings: domain.warnings };
}

/** Compare domain names the way validation normalizes them, so `Example.COM.` matches `example.com`. */
export function domainKey(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const check = normalizeDomainName(name);
  return check.ok ? check.value : name.toLowerCase();
}

/** Compare local parts the way validation normalizes them (lowercase). */
export function localKey(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const check = normalizeLocalPart(name);
  return check.ok ? check.value : name.toLowerCase();
}

/** Compare a local part or a `local@domain` address of this server's domains the way validation normalizes them. */
export function addressKey(text: string): string {
  const at = text.lastIndexOf('@');
  if (at === -1) return localKey(text)!;
  return `${localKey(text.slice(0, at))}@${domainKey(text.slice(at + 1))}`;
}

export const IP_NETWORK_EXAMPLE = '203.0.113.0/24';

/**
 * Checks an IPv4 or IPv6 address and returns it in its canonical form (IPv6 lowercased and
 * compressed, no zone, no brackets), so the same address is written, compared and quoted alike.
 */
export function normalizeIpAddress(text: string): NameCheck {
  return trimmed(text, ipAddressRule);
}

function ipAddressRule(text: string): NameCheck {
  const bare = /^\[(.*)\]$/.exec(text)?.[1] ?? text;
  const family = isIP(bare);
  if (family === 0) return { ok: false, reason: `"${text}" is not an IPv4 or IPv6 address` };
  if (family === 4) return { ok: true, value: bare, warnings: [] };
  if (bare.includes('%')) return { ok: false, reason: `"${text}" has a zone (%): give the address alone` };
  // The URL parser writes IPv6 in its canonical form (RFC 5952).
  return { ok: true, value: new URL(`http://[${bare}]/`).hostname.slice(1, -1), warnings: [] };
}

/** An address, or a network as `address/prefix` (prefix 0-32 for IPv4, 0-128 for IPv6). */
export function normalizeIpNetwork(text: string): NameCheck {
  return trimmed(text, (inner) => {
    const slash = inner.indexOf('/');
    if (slash === -1) return ipAddressRule(inner);
    const address = ipAddressRule(inner.slice(0, slash));
    if (!address.ok) return address;
    const prefixText = inner.slice(slash + 1);
    const max = isIP(address.value) === 4 ? 32 : 128;
    const prefix = /^[0-9]{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!(prefix >= 0 && prefix <= max))
      return { ok: false, reason: `"/${prefixText}" is not a prefix length from 0 to ${max}` };
    return { ok: true, value: `${address.value}/${prefix}`, warnings: [] };
  });
}
