// The JSON schema of mailwright.yaml (generated from src/core/config/schema.ts) against the real
// loader: the same keys, values, limits, required keys and defaults; and every example file in the
// README and docs passes both.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import { stringify } from 'yaml';
import { defaultConfigText, parseConfig, type ConfigIssue } from '../../src/core/config';
import {
  CONFIG_REFERENCE_FILES,
  CONFIG_SCHEMA,
  configJsonSchema,
  configReferenceFiles,
  exampleOf,
  mappings,
  type KeySpec,
  type MappingSpec,
} from '../../src/core/config/schema';

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
ajv.addKeyword('markdownDescription');
const schemaValid = ajv.compile(configJsonSchema());

type Json = Record<string, unknown>;

function errorsOf(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return issues.filter((issue) => issue.severity === 'error');
}

/** Loader errors and schema errors of one file, as text. */
function judge(value: unknown): { loader: string[]; schema: string[] } {
  const loaded = parseConfig(stringify(value), 'mailwright.yaml');
  schemaValid(value);
  return {
    loader: errorsOf(loaded.issues).map((i) => `${i.path}: ${i.message}`),
    schema: (schemaValid.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`),
  };
}

/** `hosts[].domains[].dns` → the keys to reach it in an example file (list items: the first). */
function stepsOf(path: string): Array<string | number> {
  if (path === '') return [];
  return path.split('.').flatMap((part) => (part.endsWith('[]') ? [part.slice(0, -2), 0] : [part]));
}

function at(file: Json, steps: ReadonlyArray<string | number>): Json {
  return steps.reduce<Json>((node, step) => node[step] as Json, file);
}

function fullExample(): Json {
  return structuredClone(exampleOf());
}

/** Every mapping present, with only its required keys (and a DNS provider that needs no more). */
function minimalOf(spec: MappingSpec): Json {
  const entries = Object.entries(spec.keys).flatMap(([key, field]): Array<[string, unknown]> => {
    if (field.keys) return [[key, field.list ? [minimalOf(field.keys)] : minimalOf(field.keys)]];
    return field.required ? [[key, field.example]] : [];
  });
  return Object.fromEntries(entries);
}

function minimalExample(): Json {
  const file = minimalOf(CONFIG_SCHEMA);
  at(file, stepsOf('hosts[].domains[].dns')).provider = 'manual';
  return file;
}

/** Every key with a leaf value, with the path of its mapping. */
function leaves(): Array<{ mapping: string; key: string; field: KeySpec }> {
  return mappings().flatMap(([mapping, spec]) =>
    Object.entries(spec.keys)
      .filter(([, field]) => !field.keys)
      .map(([key, field]) => ({ mapping, key, field })),
  );
}

function enumOf(field: KeySpec): { values: unknown[]; list: boolean } | undefined {
  const schema = field.schema as { enum?: unknown[]; items?: { enum?: unknown[] }; anyOf?: Json[] };
  if (schema.enum) return { values: schema.enum, list: false };
  if (schema.items?.enum) return { values: schema.items.enum, list: true };
  const inAnyOf = schema.anyOf?.find((s) => Array.isArray(s.enum) && s.type === 'string');
  return inAnyOf ? { values: inAnyOf.enum as unknown[], list: false } : undefined;
}

describe('mailwright.yaml schema', () => {
  it('the committed schema and reference page are the ones the table generates', () => {
    const files = configReferenceFiles();
    for (const path of CONFIG_REFERENCE_FILES)
      assert.equal(readFileSync(path, 'utf8'), files[path], `${path} is stale: run npm run config-reference`);
  });

  it('describes exactly the keys the loader accepts, mapping by mapping', () => {
    for (const [path, spec] of mappings()) {
      const file = fullExample();
      at(file, stepsOf(path)).zzUnknownKey = 'x';
      const issue = parseConfig(stringify(file), 'mailwright.yaml').issues.find(
        (i) => i.message === 'unknown key "zzUnknownKey".',
      );
      assert.ok(issue, `the loader did not refuse an unknown key in ${path || 'the file'}`);
      const allowed = /Allowed keys(?: in [^:]+)?: (.*)\.$/.exec(issue.hint)?.[1]?.split(', ');
      assert.deepEqual(
        [...(allowed ?? [])].sort(),
        Object.keys(spec.keys).sort(),
        `${path || 'the file'}: the loader accepts ${allowed?.join(', ')}; the schema table (src/core/config/schema.ts) describes ${Object.keys(spec.keys).join(', ')}`,
      );
      assert.equal(schemaValid(file), false, `the schema accepts an unknown key in ${path || 'the file'}`);
    }
  });

  it('a file with every key set to its example passes the loader and the schema', () => {
    assert.deepEqual(judge(fullExample()), { loader: [], schema: [] });
    assert.deepEqual(judge(minimalExample()), { loader: [], schema: [] });
  });

  it('accepts every allowed value and refuses others, like the loader', () => {
    let checked = 0;
    for (const { mapping, key, field } of leaves()) {
      const allowed = enumOf(field);
      if (!allowed) continue;
      for (const value of [...allowed.values, 'zz-not-allowed']) {
        const file = fullExample();
        at(file, stepsOf(mapping))[key] = allowed.list ? [value] : value;
        const { loader, schema } = judge(file);
        const where = `${mapping}.${key}: ${String(value)}`;
        if (value === 'zz-not-allowed') {
          assert.notDeepEqual(loader, [], `the loader accepts ${where}`);
          assert.notDeepEqual(schema, [], `the schema accepts ${where}`);
        } else {
          assert.deepEqual(loader, [], `the loader refuses ${where}`);
          assert.deepEqual(schema, [], `the schema refuses ${where}`);
        }
        checked++;
      }
    }
    assert.ok(checked > 20, `only ${checked} values checked`);
  });

  it('has the loader’s limits for whole numbers', () => {
    let checked = 0;
    for (const { mapping, key, field } of leaves()) {
      const { minimum, maximum } = field.schema as { minimum?: number; maximum?: number };
      if (minimum === undefined || maximum === undefined) continue;
      for (const [value, ok] of [
        [minimum, true],
        [maximum, true],
        [minimum - 1, false],
        [maximum + 1, false],
      ] as const) {
        const file = fullExample();
        at(file, stepsOf(mapping))[key] = value;
        const { loader, schema } = judge(file);
        const where = `${mapping}.${key}: ${value}`;
        assert.equal(loader.length === 0, ok, `loader on ${where}: ${loader.join('; ')}`);
        assert.equal(schema.length === 0, ok, `schema on ${where}: ${schema.join('; ')}`);
        checked++;
      }
    }
    assert.equal(checked, 24); // 4 values each of ttl, renewBeforeDays, pct, reports.retentionDays, maxRetry, backups.schedule.keep
  });

  it('requires the keys the loader requires', () => {
    for (const [path, spec] of mappings()) {
      for (const [key, field] of Object.entries(spec.keys)) {
        if (!field.required) continue;
        const file = fullExample();
        delete at(file, stepsOf(path))[key];
        const { loader, schema } = judge(file);
        assert.notDeepEqual(loader, [], `the loader accepts ${path}.${key} left out`);
        assert.notDeepEqual(schema, [], `the schema accepts ${path}.${key} left out`);
      }
    }
    // rfc2136 needs server and keyName; the other providers do not.
    const file = fullExample();
    delete at(file, stepsOf('hosts[].domains[].dns')).server;
    assert.notDeepEqual(judge(file).loader, []);
    assert.notDeepEqual(judge(file).schema, []);
  });

  it('gives the defaults the loader fills in', () => {
    // Applied where the value is used rather than by the loader.
    const appliedAtUse = new Set(['hosts[].domains[].spf.form']);
    const loaded = parseConfig(stringify(minimalExample()), 'mailwright.yaml').config as unknown as Json;
    assert.ok(loaded);
    let checked = 0;
    for (const { mapping, key, field } of leaves()) {
      if (field.default === undefined) continue;
      const value = at(loaded, stepsOf(mapping))[key];
      if (appliedAtUse.has(`${mapping}.${key}`) && value === undefined) continue;
      assert.deepEqual(value, field.default, `${mapping}.${key}`);
      checked++;
    }
    assert.ok(checked >= 12, `only ${checked} defaults checked`);
  });
});

describe('example files in the README and docs', () => {
  const sources = [
    'README.md',
    ...readdirSync('docs').map((f) => `docs/${f}`),
    ...readdirSync('media/walkthrough').map((f) => `media/walkthrough/${f}`),
  ].filter((f) => f.endsWith('.md'));
  const blocks = sources.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m, i) => ({
      name: `${file} #${i + 1}`,
      text: m[1] ?? '',
    })),
  );

  it('finds the examples', () => {
    assert.ok(blocks.some((b) => b.name.startsWith('README.md')));
    assert.ok(blocks.some((b) => b.name.startsWith('docs/mailwright-yaml.md')));
  });

  for (const block of [...blocks, { name: 'the starter file', text: defaultConfigText() }]) {
    it(`${block.name} passes the loader and the schema`, () => {
      // A fragment (a host's acme: block) is checked inside a whole file.
      const text = /^version:/m.test(block.text) ? block.text : wrapFragment(block.text);
      const loaded = parseConfig(text, 'mailwright.yaml');
      assert.deepEqual(errorsOf(loaded.issues), []);
      const valid = schemaValid(loaded.document.toJS());
      assert.ok(valid, JSON.stringify(schemaValid.errors));
    });
  }
});

/**
 * A fragment of a host (e.g. its `acme:` block, indented in a list item), placed under a host
 * whose mail host's domain has a DNS provider, so that either challenge can be read.
 */
function wrapFragment(fragment: string): string {
  const lines = fragment.split('\n').filter((line) => line.trim() !== '');
  const indent = Math.min(...lines.map((line) => /^ */.exec(line)![0].length));
  const host = [
    'version: 1',
    'hosts:',
    '  - name: vps',
    '    ssh: root@mail.example.com',
    '    mailHost: mail.example.com',
    '    domains:',
    '      - { name: example.com, dns: { provider: manual } }',
  ];
  return [...host, ...lines.map((line) => `    ${line.slice(indent)}`)].join('\n') + '\n';
}
