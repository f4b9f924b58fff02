// DMARC (RFC 7489): the record Mailwright publishes for a domain, and a parser that checks a
// published record and explains every tag in plain words.
import { defaultReportAddress, type DmarcConfig, type DomainConfig } from '../config';

export { defaultReportAddress };

/**
 * The `_dmarc` TXT value for a domain. Without a dmarc section: the default record —
 * p=quarantine (failing mail goes to spam, not lost), fo=1 (a failure report whenever SPF
 * or DKIM fails) — with both report kinds sent to postmaster@ the domain.
 */
export function dmarcRecordFor(domain: DomainConfig): string {
  const dmarc: DmarcConfig = domain.dmarc ?? {
    p: 'quarantine',
    fo: '1',
    rua: [defaultReportAddress(domain.name)],
    ruf: [defaultReportAddress(domain.name)],
  };
  const tags = [`v=DMARC1`, `p=${dmarc.p}`];
  if (dmarc.adkim) tags.push(`adkim=${dmarc.adkim}`);
  if (dmarc.aspf) tags.push(`aspf=${dmarc.aspf}`);
  if (dmarc.pct !== undefined) tags.push(`pct=${dmarc.pct}`);
  if (dmarc.fo) tags.push(`fo=${dmarc.fo}`);
  if (dmarc.rua.length > 0) tags.push(`rua=${dmarc.rua.join(',')}`);
  if (dmarc.ruf.length > 0) tags.push(`ruf=${dmarc.ruf.join(',')}`);
  return tags.join('; ');
}

export interface DmarcTagExplanation {
  tag: string;
  value: string;
  meaning: string;
}

export interface DmarcParse {
  /** No problems: receivers will apply this record. */
  ok: boolean;
  /** Tag name (lowercase) -> value, as written. */
  tags: Record<string, string>;
  /** Why receivers would ignore or misread the record, naming the tag and the fix. */
  problems: string[];
  /** Worth knowing but not wrong: unknown tags, tags without effect, external report addresses. */
  notes: string[];
  explanations: DmarcTagExplanation[];
}

const POLICY_MEANING: Record<string, string> = {
  none: 'only monitor: mail that fails DMARC is delivered as usual (use it while checking the reports)',
  quarantine: 'mail that fails DMARC is treated as suspicious, usually put in the spam folder',
  reject: 'mail that fails DMARC is refused outright during the SMTP conversation',
};

const FAILURE_OPTION_MEANING: Record<string, string> = {
  '0': 'send a failure report when both SPF and DKIM fail to give an aligned pass (the default)',
  '1': 'send a failure report when either SPF or DKIM fails to give an aligned pass',
  d: 'send a failure report whenever a DKIM signature fails to verify, aligned or not',
  s: 'send a failure report whenever SPF fails, aligned or not',
};

const ALIGNMENT_MEANING: Record<string, string> = {
  r: 'relaxed: the domains only need the same organizational domain (mail.example.com matches example.com)',
  s: 'strict: the domains must be exactly the same',
};

const KNOWN_TAGS = ['v', 'p', 'sp', 'adkim', 'aspf', 'pct', 'fo', 'rua', 'ruf', 'ri', 'rf'];

/**
 * Checks a (joined) `_dmarc` TXT value. `domain`, when given, lets the parser notice report
 * addresses in other domains, which need that domain's consent (RFC 7489 7.1).
 */
export function parseDmarc(text: string, domain?: string): DmarcParse {
  const problems: string[] = [];
  const notes: string[] = [];
  const explanations: DmarcTagExplanation[] = [];
  const tags: Record<string, string> = {};
  const order: string[] = [];

  const parts = text.split(';').map((part) => part.trim());
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  for (const part of parts) {
    if (part === '') {
      problems.push('An empty tag (";;"): remove the extra semicolon.');
      continue;
    }
    const eq = part.indexOf('=');
    if (eq < 0) {
      problems.push(`"${part}" is not a tag=value pair: write it as name=value, tags separated by ";".`);
      continue;
    }
    const name = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (!/^[a-z][a-z0-9_]*$/.test(name)) {
      problems.push(`"${part.slice(0, eq).trim()}" is not a valid tag name: use letters and digits only.`);
      continue;
    }
    if (name in tags) {
      problems.push(`Tag ${name} appears twice: keep one.`);
      continue;
    }
    tags[name] = value;
    order.push(name);
  }

  if (order[0] !== 'v') {
    problems.push(
      tags.v === undefined
        ? 'The record does not start with v=DMARC1: receivers ignore it. Put v=DMARC1 first.'
        : 'v=DMARC1 must be the first tag: receivers ignore the record otherwise. Move it to the front.',
    );
  }
  if (tags.v !== undefined && tags.v !== 'DMARC1')
    problems.push(`v=${tags.v} is not a DMARC version: write v=DMARC1 (exactly, upper case).`);
  if (tags.v === 'DMARC1')
    explanations.push({ tag: 'v', value: 'DMARC1', meaning: 'this is a DMARC record' });

  for (const name of order) {
    if (name === 'v') continue;
    const value = tags[name] ?? '';
    const explanation = explainTag(name, value, problems, notes, domain);
    if (explanation) explanations.push({ tag: name, value, meaning: explanation });
  }

  if (tags.p === undefined)
    problems.push(
      'The p tag (policy) is missing: receivers ignore the record. Add p=none, p=quarantine or p=reject.',
    );
  else if (order[1] !== 'p' && order[0] === 'v')
    notes.push('p usually comes right after v=DMARC1; some receivers are picky about the order.');
  if (tags.fo !== undefined && tags.ruf === undefined)
    notes.push('fo has no effect without ruf: failure reports have nowhere to go.');
  if (tags.rua === undefined)
    notes.push('No rua: you will not receive the daily aggregate reports that show who sends mail as you.');

  return { ok: problems.length === 0, tags, problems, notes, explanations };
}

function explainTag(
  name: string,
  value: string,
  problems: string[],
  notes: string[],
  domain: string | undefined,
): string | undefined {
  const lower = value.toLowerCase();
  switch (name) {
    case 'p':
    case 'sp': {
      const meaning = POLICY_MEANING[lower];
      if (!meaning) {
        problems.push(`${name}=${value} is not a policy: use none, quarantine or reject.`);
        return undefined;
      }
      return name === 'p' ? `policy: ${meaning}` : `policy for subdomains: ${meaning}`;
    }
    case 'adkim':
    case 'aspf': {
      const meaning = ALIGNMENT_MEANING[lower];
      if (!meaning) {
        problems.push(`${name}=${value} is not an alignment mode: use r (relaxed) or s (strict).`);
        return undefined;
      }
      const what = name === 'adkim' ? 'DKIM signing domain' : 'SPF (envelope sender) domain';
      return `${what} vs the From: domain — ${meaning}`;
    }
    case 'pct': {
      const pct = /^\d{1,3}$/.test(value) ? Number(value) : NaN;
      if (!(pct >= 0 && pct <= 100)) {
        problems.push(`pct=${value} is not a percentage: use a whole number from 0 to 100.`);
        return undefined;
      }
      return `the policy applies to ${pct}% of failing mail; the rest is treated one step milder`;
    }
    case 'fo': {
      const options = value.split(':').map((option) => option.trim());
      const unknown = options.filter((option) => !(option in FAILURE_OPTION_MEANING));
      if (value === '' || unknown.length > 0) {
        problems.push(`fo=${value} is not valid: use 0, 1, d or s, several joined by ":" (e.g. fo=0:d).`);
        return undefined;
      }
      return options.map((option) => FAILURE_OPTION_MEANING[option]).join('; ');
    }
    case 'rua':
    case 'ruf': {
      const uris = value.split(',').map((uri) => uri.trim());
      const bad = uris.filter((uri) => !/^mailto:[^@\s,;!]+@[^@\s,;!]+(![0-9]+[kmgt]?)?$/i.test(uri));
      if (value === '' || bad.length > 0) {
        problems.push(
          `${name} has ${bad.length > 0 ? bad.map((uri) => `"${uri}"`).join(', ') : 'no address'}, ` +
            'not a mailto: URI: write e.g. mailto:dmarc@example.com, several separated by commas.',
        );
        return undefined;
      }
      if (domain) noteExternalReports(name, uris, domain, notes);
      const where = uris.map((uri) => uri.replace(/^mailto:/i, '').replace(/!.*$/, '')).join(', ');
      return name === 'rua'
        ? `daily aggregate reports (which servers sent mail as this domain, and whether it passed) go to ${where}`
        : `failure reports (details of single messages that failed, sent by few receivers) go to ${where}`;
    }
    case 'ri': {
      if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) {
        problems.push(`ri=${value} is not a number of seconds: e.g. ri=86400 (one day).`);
        return undefined;
      }
      return `asks for aggregate reports every ${value} seconds (most receivers send daily whatever this says)`;
    }
    case 'rf': {
      const formats = lower.split(':').map((format) => format.trim());
      if (formats.some((format) => !/^[a-z0-9-]+$/.test(format))) {
        problems.push(`rf=${value} is not a list of report formats: use rf=afrf.`);
        return undefined;
      }
      if (!formats.includes('afrf'))
        notes.push(`rf=${value}: receivers only know afrf; failure reports may not come.`);
      return `failure reports in the ${formats.join(', ')} format (afrf is the standard one)`;
    }
    default:
      if (!KNOWN_TAGS.includes(name)) notes.push(`Tag ${name} is not a DMARC tag; receivers ignore it.`);
      return undefined;
  }
}

/** Reports to another domain need `<domain>._report._dmarc.<that domain>` there (RFC 7489 7.1). */
function noteExternalReports(tag: string, uris: string[], domain: string, notes: string[]): void {
  const own = domain.toLowerCase();
  for (const uri of uris) {
    const target = uri
      .replace(/^mailto:[^@]*@/i, '')
      .replace(/!.*$/, '')
      .toLowerCase();
    if (target === own || target.endsWith(`.${own}`) || own.endsWith(`.${target}`)) continue;
    notes.push(
      `${tag} sends reports to ${target}, another domain: it must publish the TXT record ` +
        `${own}._report._dmarc.${target} = "v=DMARC1" or receivers will not send them.`,
    );
  }
}
