// Domain names: validation and normalization (lowercase, IDN -> punycode A-labels).
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

/** Checks a domain name and returns it lowercased, in ASCII, without a trailing dot. */
export function normalizeDomainName(text: string, options: DomainNameOptions = {}): NameCheck {
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
