// hosts[].domains[].dkim / dmarc / spf.
import type { Node } from 'yaml';
import { dnsLabelProblem, normalizeDomainName, normalizeEmailAddress } from '../names';
import { acceptName, DuplicateTracker } from './name-issues';
import {
  DKIM_ALGORITHMS,
  DMARC_ALIGNMENTS,
  DMARC_POLICIES,
  SPF_FORMS,
  type DkimAlgorithm,
  type DkimConfig,
  type DmarcConfig,
  type SpfConfig,
  type SpfForm,
} from './types';
import { readInteger } from './validate-dns-provider';
import { childPath, itemPath, type ConfigReader } from './yaml-reader';

export const DKIM_KEYS = ['algorithms', 'selector'] as const;
export const DMARC_KEYS = ['p', 'rua', 'ruf', 'fo', 'adkim', 'aspf', 'pct'] as const;
export const SPF_KEYS = ['include', 'form'] as const;
/** The SPF form when `form:` is left out (applied where the records are derived). */
export const DEFAULT_SPF_FORM: SpfForm = 'split';
export const DMARC_PCT_LIMITS = { min: 0, max: 100 } as const;
export const DEFAULT_DKIM: Readonly<DkimConfig> = { algorithms: ['rsa2048'], selector: 'auto' };

export function readDkim(reader: ConfigReader, node: Node, path: string): DkimConfig | undefined {
  const fields = reader.fields(node, path, DKIM_KEYS, '{ algorithms: [rsa2048], selector: auto }');
  if (fields === undefined) return undefined;
  const algorithmsNode = fields.get('algorithms')?.value;
  const algorithms = algorithmsNode
    ? readAlgorithms(reader, algorithmsNode, childPath(path, 'algorithms'))
    : [...DEFAULT_DKIM.algorithms];
  const selectorNode = fields.get('selector')?.value;
  const selector = selectorNode ? readSelector(reader, selectorNode, childPath(path, 'selector')) : 'auto';
  return algorithms && selector ? { algorithms, selector } : undefined;
}

function readAlgorithms(reader: ConfigReader, node: Node, path: string): DkimAlgorithm[] | undefined {
  const example = '[rsa2048, ed25519]';
  const items = reader.items(node, path, example);
  if (items === undefined) return undefined;
  if (items.length === 0) {
    reader.issues.error(node, path, 'lists no algorithm.', `Name at least one, e.g. algorithms: ${example}`);
    return undefined;
  }
  const duplicates = new DuplicateTracker(reader.issues, 'algorithm');
  const algorithms: DkimAlgorithm[] = [];
  let valid = true;
  items.forEach((item, index) => {
    const algorithm = reader.choice(item, itemPath(path, index), DKIM_ALGORITHMS);
    if (algorithm === undefined || !duplicates.add(algorithm, item, itemPath(path, index))) valid = false;
    else algorithms.push(algorithm);
  });
  return valid ? algorithms : undefined;
}

function readSelector(reader: ConfigReader, node: Node, path: string): string | undefined {
  const text = reader.text(node, path, 'auto');
  if (text === undefined || text === 'auto') return text;
  const problem = dnsLabelProblem(text);
  if (problem === undefined) return text;
  reader.issues.error(
    node,
    path,
    `"${text}" is not a valid DKIM selector: ${problem}.`,
    'Use auto (Mailwright picks a date-based selector) or a DNS label, e.g. selector: mail2025',
  );
  return undefined;
}

export function readDmarc(reader: ConfigReader, node: Node, path: string): DmarcConfig | undefined {
  const fields = reader.fields(node, path, DMARC_KEYS, '{ p: quarantine }');
  if (fields === undefined) return undefined;
  const policyNode = reader.required(fields, node, path, 'p', 'p: quarantine');
  const p = policyNode && reader.choice(policyNode, childPath(path, 'p'), DMARC_POLICIES);
  const ruaNode = fields.get('rua')?.value;
  const rua = ruaNode ? readReportUris(reader, ruaNode, childPath(path, 'rua')) : [];
  const rufNode = fields.get('ruf')?.value;
  const ruf = rufNode ? readReportUris(reader, rufNode, childPath(path, 'ruf')) : [];
  const foNode = fields.get('fo')?.value;
  const fo = foNode ? readFailureOptions(reader, foNode, childPath(path, 'fo')) : undefined;
  const adkimNode = fields.get('adkim')?.value;
  const adkim = adkimNode && reader.choice(adkimNode, childPath(path, 'adkim'), DMARC_ALIGNMENTS);
  const aspfNode = fields.get('aspf')?.value;
  const aspf = aspfNode && reader.choice(aspfNode, childPath(path, 'aspf'), DMARC_ALIGNMENTS);
  const pctNode = fields.get('pct')?.value;
  const pct =
    pctNode &&
    readInteger(reader, pctNode, childPath(path, 'pct'), {
      ...DMARC_PCT_LIMITS,
      what: 'percentage of failing mail the policy applies to',
      example: 'pct: 100',
    });
  const unreadable = [
    [foNode, fo],
    [adkimNode, adkim],
    [aspfNode, aspf],
    [pctNode, pct],
  ].some(([node, value]) => node !== undefined && value === undefined);
  if (!p || !rua || !ruf || unreadable) return undefined;
  return {
    p,
    rua,
    ruf,
    ...(fo && { fo }),
    ...(adkim && { adkim }),
    ...(aspf && { aspf }),
    ...(typeof pct === 'number' && { pct }),
  };
}

/** `mailto:` URIs, comma-separated or listed; DMARC allows a size limit suffix like `!10m`. */
function readReportUris(reader: ConfigReader, node: Node, path: string): string[] | undefined {
  const example = 'mailto:dmarc@example.com';
  const items = reader.texts(node, path, example, true);
  if (items === undefined) return undefined;
  const uris: string[] = [];
  let valid = true;
  items.forEach(([text, item], index) => {
    const itemAt = items.length === 1 && item === node ? path : itemPath(path, index);
    for (const uri of text.split(',').map((part) => part.trim())) {
      const match = /^mailto:(.*?)(![0-9]+[kmgt]?)?$/i.exec(uri);
      if (!match) {
        const hint = normalizeEmailAddress(uri).ok ? `Write mailto:${uri}` : `For example: ${example}`;
        reader.issues.error(item, itemAt, `"${uri}" is not a mailto: URI.`, hint);
        valid = false;
        continue;
      }
      const address = match[1] ?? '';
      const check = normalizeEmailAddress(address);
      const normalized = acceptName(reader.issues, check, address, item, itemAt, 'report address', example);
      if (normalized === undefined) valid = false;
      else uris.push(`mailto:${normalized}${match[2] ?? ''}`);
    }
  });
  return valid ? uris : undefined;
}

function readFailureOptions(reader: ConfigReader, node: Node, path: string): string | undefined {
  const text = reader.text(node, path, `'1'`);
  if (text === undefined) return undefined;
  if (/^[01ds](:[01ds])*$/.test(text)) return text;
  reader.issues.error(
    node,
    path,
    `"${text}" is not a DMARC fo value.`,
    `Use 0, 1, d or s, or several joined by ":", e.g. fo: '1' or fo: '0:d'`,
  );
  return undefined;
}

export function readSpf(reader: ConfigReader, node: Node, path: string): SpfConfig | undefined {
  const fields = reader.fields(node, path, SPF_KEYS, '{ include: [_spf.google.com], form: split }');
  if (fields === undefined) return undefined;
  const formNode = fields.get('form')?.value;
  const form = formNode && reader.choice(formNode, childPath(path, 'form'), SPF_FORMS);
  const include = readSpfIncludes(reader, fields.get('include')?.value, childPath(path, 'include'));
  if (!include || (formNode && !form)) return undefined;
  return { include, ...(form && { form }) };
}

function readSpfIncludes(
  reader: ConfigReader,
  includeNode: Node | undefined,
  includePath: string,
): string[] | undefined {
  if (includeNode === undefined) return [];
  const items = reader.texts(includeNode, includePath, '[_spf.google.com]', true);
  if (items === undefined) return undefined;
  const include: string[] = [];
  let valid = true;
  items.forEach(([text, item], index) => {
    const itemAt = items.length === 1 && item === includeNode ? includePath : itemPath(includePath, index);
    const check = normalizeDomainName(text, { allowUnderscore: true });
    const domain = acceptName(
      reader.issues,
      check,
      text,
      item,
      itemAt,
      'SPF include domain',
      '_spf.google.com',
    );
    if (domain === undefined) valid = false;
    else include.push(domain);
  });
  return valid ? include : undefined;
}
