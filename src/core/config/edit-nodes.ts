// Finding and creating the YAML nodes that edits change, without disturbing the rest.
import { isMap, isScalar, isSeq, Pair, Scalar, YAMLMap, YAMLSeq, type Document } from 'yaml';
import { domainKey } from '../names';
import { CONFIG_SCHEMA_VERSION } from './types';
import { DOMAIN_KEYS } from './validate-domain';
import { HOST_KEYS } from './validate-host';
import { ROOT_KEYS } from './validate';

/** An edit that cannot be made (unknown host, duplicate name, invalid value, broken file). */
export class ConfigEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigEditError';
  }
}

/** The top-level mapping; an empty file gets `version: 1` when `create` is set. */
export function rootMap(document: Document, create: boolean): YAMLMap | undefined {
  if (document.errors.length > 0)
    throw new ConfigEditError('mailwright.yaml has YAML syntax errors; fix them before editing it.');
  if (document.contents === null || (isScalar(document.contents) && document.contents.value === null)) {
    if (!create) return undefined;
    document.contents = document.createNode({ version: CONFIG_SCHEMA_VERSION });
  }
  if (!isMap(document.contents))
    throw new ConfigEditError('mailwright.yaml must be a mapping at the top level.');
  return document.contents;
}

export function hostsList(document: Document, create: boolean): YAMLSeq | undefined {
  const root = rootMap(document, create);
  return root && childList(root, 'hosts', ROOT_KEYS, 'hosts', create);
}

export function findHost(
  document: Document,
  hostName: string,
): { list: YAMLSeq; index: number; host: YAMLMap } {
  const list = hostsList(document, false);
  const index = list?.items.findIndex((item) => isMap(item) && textOf(item.get('name')) === hostName) ?? -1;
  const host = list?.items[index];
  if (list === undefined || !isMap(host)) throw new ConfigEditError(`There is no host named "${hostName}".`);
  return { list, index, host };
}

export function findDomain(
  document: Document,
  hostName: string,
  domainName: string,
): { list: YAMLSeq; index: number; domain: YAMLMap } {
  const list = hostDomains(findHost(document, hostName).host, false);
  const wanted = domainKey(domainName);
  const index =
    list?.items.findIndex((item) => isMap(item) && domainKey(textOf(item.get('name'))) === wanted) ?? -1;
  const domain = list?.items[index];
  if (list === undefined || !isMap(domain))
    throw new ConfigEditError(`Host "${hostName}" has no domain "${domainName}".`);
  return { list, index, domain };
}

export function hostDomains(host: YAMLMap, create: boolean): YAMLSeq | undefined {
  return childList(host, 'domains', HOST_KEYS, 'domains', create);
}

export function domainUsers(domain: YAMLMap, create: boolean): YAMLSeq | undefined {
  const list = childList(domain, 'users', DOMAIN_KEYS, 'users', create);
  if (list && create && list.items.length === 0) list.flow = true; // `users: [alice]`, as in the docs.
  return list;
}

export function domainAliases(domain: YAMLMap, create: boolean): YAMLMap | undefined {
  const existing = domain.get('aliases');
  if (isMap(existing)) return existing;
  if (existing !== undefined && existing !== null && !(isScalar(existing) && existing.value === null))
    throw new ConfigEditError('aliases must be a mapping to be edited.');
  if (!create) return undefined;
  const aliases = new YAMLMap();
  setInSchemaOrder(domain, 'aliases', aliases, DOMAIN_KEYS);
  return aliases;
}

/** A list under `key`, created (in schema order) when missing and asked to. */
function childList(
  map: YAMLMap,
  key: string,
  order: readonly string[],
  what: string,
  create: boolean,
): YAMLSeq | undefined {
  const existing = map.get(key);
  if (isSeq(existing)) {
    // `hosts: []` is flow style; a block list reads better once it holds mappings.
    if (existing.items.length === 0 && key !== 'users') existing.flow = false;
    return existing;
  }
  if (existing !== undefined && existing !== null && !(isScalar(existing) && existing.value === null))
    throw new ConfigEditError(`${what} must be a list to be edited.`);
  if (!create) return undefined;
  const list = new YAMLSeq();
  setInSchemaOrder(map, key, list, order);
  return list;
}

/** Sets `key`, placing a new key where the schema lists it rather than at the end. */
export function setInSchemaOrder(map: YAMLMap, key: string, value: unknown, order: readonly string[]): void {
  const existing = map.items.find((pair) => textOf(pair.key) === key);
  if (existing) {
    existing.value = value;
    return;
  }
  const rank = order.indexOf(key);
  const before = map.items.findIndex((pair) => order.indexOf(textOf(pair.key) ?? '') > rank);
  const pair = new Pair(new Scalar(key), value);
  if (before === -1) map.items.push(pair);
  else map.items.splice(before, 0, pair);
}

export function textOf(node: unknown): string | undefined {
  const value: unknown = isScalar(node) ? node.value : node;
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
