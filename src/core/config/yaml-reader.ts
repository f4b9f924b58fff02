// Reading YAML nodes as schema values, reporting wrong shapes and unknown keys at their position.
import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { IssueCollector } from './issues';
import { closestMatch } from './suggest';

/** One `key: value` of a mapping; `value` is undefined when written as `key:` with nothing after. */
export interface Field {
  name: string;
  key: Node;
  value: Node | undefined;
}

/** Known fields by key; `misspelled` holds keys that an unknown key probably meant. */
export class Fields extends Map<string, Field> {
  readonly misspelled = new Set<string>();
}

export function childPath(path: string, key: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function itemPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

export class ConfigReader {
  constructor(
    readonly document: Document,
    readonly issues: IssueCollector,
    private readonly source: string,
  ) {}

  /** Follows `*anchor` references so shared YAML fragments read like inline ones. */
  resolve(node: unknown): Node | undefined {
    if (isAlias(node)) return this.resolve(node.resolve(this.document));
    if (isScalar(node) && node.value === null) return undefined;
    return isMap(node) || isSeq(node) || isScalar(node) ? node : undefined;
  }

  /** All `key: value` entries of a mapping, in order, whatever the keys are. */
  entries(node: Node, path: string, example: string): Field[] | undefined {
    if (!isMap(node)) {
      this.issues.error(
        node,
        path,
        `must be a mapping of keys to values, not ${describe(node)}.`,
        `For example: ${example}`,
      );
      return undefined;
    }
    const entries: Field[] = [];
    for (const pair of node.items) {
      const key = pair.key as Node;
      if (!isScalar(key) || key.value === null || typeof key.value === 'object') {
        this.issues.error(key ?? node, path, 'keys must be plain words.', `For example: ${example}`);
        continue;
      }
      entries.push({ name: String(key.value), key, value: this.resolve(pair.value) });
    }
    return entries;
  }

  /**
   * The fields of a mapping with a fixed set of keys. Unknown keys are reported (with a suggestion)
   * and skipped; `reportOwn` may report an unknown key more precisely itself (returns true when it did).
   */
  fields(
    node: Node,
    path: string,
    allowedKeys: readonly string[],
    example: string,
    reportOwn?: (entry: Field) => boolean,
  ): Fields | undefined {
    const entries = this.entries(node, path, example);
    if (entries === undefined) return undefined;
    const fields = new Fields();
    for (const entry of entries) {
      if (allowedKeys.includes(entry.name)) fields.set(entry.name, entry);
      else if (reportOwn?.(entry) !== true)
        this.reportUnknownKey(entry.key, path, entry.name, allowedKeys, fields);
    }
    return fields;
  }

  private reportUnknownKey(
    key: Node,
    path: string,
    name: string,
    allowedKeys: readonly string[],
    fields: Fields,
  ): void {
    const suggestion = closestMatch(name, allowedKeys);
    if (suggestion) fields.misspelled.add(suggestion);
    const allowed = `Allowed keys${path === '' ? '' : ` in ${path}`}: ${allowedKeys.join(', ')}.`;
    const hint = suggestion ? `Did you mean "${suggestion}"? ${allowed}` : allowed;
    this.issues.error(key, childPath(path, name), `unknown key "${name}".`, hint);
  }

  /** A required field; reports it missing (at the mapping) or empty (at the key). */
  required(fields: Fields, mapping: Node, path: string, key: string, example: string): Node | undefined {
    const field = fields.get(key);
    if (field === undefined) {
      // A misspelled key was reported already; "missing" on top would say the same thing twice.
      if (!fields.misspelled.has(key))
        this.issues.error(mapping, path, `"${key}" is missing.`, `Add it, e.g. ${example}`);
      return undefined;
    }
    if (field.value === undefined) {
      this.issues.error(field.key, childPath(path, key), 'is empty.', `Give it a value, e.g. ${example}`);
      return undefined;
    }
    return field.value;
  }

  /** A text value. Numbers and booleans read as written (`fo: 1` is "1"). */
  text(node: Node, path: string, example: string): string | undefined {
    if (!isScalar(node)) {
      this.issues.error(
        node,
        path,
        `must be a single value, not ${describe(node)}.`,
        `For example: ${example}`,
      );
      return undefined;
    }
    if (typeof node.value === 'string') return node.value;
    if (typeof node.value === 'number' || typeof node.value === 'boolean' || typeof node.value === 'bigint') {
      const [start, end] = node.range ?? [0, 0];
      return node.type === 'PLAIN' ? this.source.slice(start, end) : String(node.value);
    }
    this.issues.error(node, path, `must be a text value, not ${describe(node)}.`, `For example: ${example}`);
    return undefined;
  }

  /** The items of a list. A lone value is reported, since it is usually a forgotten `[ ]`. */
  items(node: Node, path: string, example: string): Node[] | undefined {
    if (!isSeq(node)) {
      this.issues.error(node, path, `must be a list, not ${describe(node)}.`, `For example: ${example}`);
      return undefined;
    }
    return node.items.map((item) => this.resolve(item) ?? (item as Node));
  }

  /** Text items of a list, or of a single value when `acceptSingle` (e.g. one alias target). */
  texts(node: Node, path: string, example: string, acceptSingle = false): Array<[string, Node]> | undefined {
    if (acceptSingle && isScalar(node)) {
      const value = this.text(node, path, example);
      return value === undefined ? undefined : [[value, node]];
    }
    const items = this.items(node, path, example);
    if (items === undefined) return undefined;
    const result: Array<[string, Node]> = [];
    items.forEach((item, index) => {
      const value = this.text(item, itemPath(path, index), example);
      if (value !== undefined) result.push([value, item]);
    });
    return result;
  }

  /** `true` or `false` (YAML's own booleans only: `yes`/`on` are text in YAML 1.2). */
  flag(node: Node, path: string, example: string): boolean | undefined {
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    this.issues.error(node, path, `must be true or false, not ${describe(node)}.`, `For example: ${example}`);
    return undefined;
  }

  /** One of a fixed set of words, with a suggestion when misspelled. */
  choice<T extends string>(node: Node, path: string, choices: readonly T[]): T | undefined {
    const value = this.text(node, path, choices.join(' | '));
    if (value === undefined) return undefined;
    if ((choices as readonly string[]).includes(value)) return value as T;
    const suggestion = closestMatch(value, choices);
    const expected = `Use one of: ${choices.join(', ')}.`;
    this.issues.error(
      node,
      path,
      `"${value}" is not allowed here.`,
      suggestion ? `Did you mean "${suggestion}"? ${expected}` : expected,
    );
    return undefined;
  }
}

function describe(node: Node): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node))
    return node.value === null ? 'empty' : `${typeof node.value} ${JSON.stringify(node.value)}`;
  return 'this';
}
