// The translations stay whole: every English text the editor shows through vscode.l10n.t (or an
// L10n parameter, src/vscode and src/panels) or the webviews' t() (webview) has its Simplified Chinese entry, no
// entry is left over, each translation keeps exactly the {n} placeholders of its English text, and
// the manifest's %keys% are in both package.nls files. The calls are found with TypeScript's parser,
// so a call spread over lines by prettier counts like any other.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const BUNDLE = 'l10n/bundle.l10n.zh-cn.json';

interface TranslationCall {
  /** file:line, for the failure messages. */
  at: string;
  message: string;
  /** How many arguments follow the message (undefined: a spread, not counted). */
  args?: number;
}

interface Scan {
  calls: TranslationCall[];
  /** Calls whose text cannot be read from the source, and t() called the wrong way. */
  problems: string[];
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `l10n` itself, or `<anything>.l10n` (vscode.l10n). */
function isL10n(node: ts.Expression): boolean {
  return (
    (ts.isIdentifier(node) && node.text === 'l10n') ||
    (ts.isPropertyAccessExpression(node) && node.name.text === 'l10n')
  );
}

/**
 * The translation calls of the files under `dir`: `l10n.t(…)` everywhere and, where `bareT`
 * (webview code), `t(…)`. The first argument must be a string literal: the bundle is keyed by it.
 */
function scan(dir: string, bareT: boolean): Scan {
  const result: Scan = { calls: [], problems: [] };
  for (const file of tsFiles(dir)) {
    const source = ts.createSourceFile(
      file,
      readFileSync(join(ROOT, file), 'utf8'),
      ts.ScriptTarget.Latest,
      true,
    );
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const at = `${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
        const method = ts.isPropertyAccessExpression(callee) && callee.name.text === 't';
        const bare = ts.isIdentifier(callee) && callee.text === 't';
        if (method && !isL10n(callee.expression))
          result.problems.push(`${at}: translate through vscode.l10n.t or an L10n named l10n`);
        else if (bare && !bareT) result.problems.push(`${at}: call vscode.l10n.t here, not t()`);
        else if (method || bare) {
          const [first, ...rest] = node.arguments;
          if (first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first)))
            result.calls.push({
              at,
              message: first.text,
              args: rest.some(ts.isSpreadElement) ? undefined : rest.length,
            });
          else
            result.problems.push(
              `${at}: the text to translate must be a string literal, not ${first?.getText(source) ?? 'nothing'}`,
            );
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return result;
}

function placeholders(text: string): number[] {
  return [...new Set([...text.matchAll(/\{(\d+)\}/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Record<string, unknown>;
}

/** Every `%key%` string anywhere in the manifest. */
function manifestKeys(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    const key = /^%([^%]+)%$/.exec(value)?.[1];
    if (key) found.add(key);
  } else if (Array.isArray(value)) for (const v of value) manifestKeys(v, found);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) manifestKeys(v, found);
  return found;
}

const editor = scan('src/vscode', false);
const shared = scan('src/panels', false);
const extension = {
  calls: [...editor.calls, ...shared.calls],
  problems: [...editor.problems, ...shared.problems],
};
const webviews = scan('webview', true);
const calls = [...extension.calls, ...webviews.calls];
const bundle = readJson(BUNDLE);

describe('translations', () => {
  it('finds the calls (the scan itself works)', () => {
    assert.ok(extension.calls.length > 200, `only ${extension.calls.length} calls in src/vscode`);
    assert.ok(webviews.calls.length > 50, `only ${webviews.calls.length} calls in webview`);
  });

  it('translates literal texts only, through vscode.l10n.t / l10n.t, and t() in webviews', () => {
    assert.deepEqual([...extension.problems, ...webviews.problems], []);
  });

  it('passes an argument for every placeholder, and a placeholder for every argument', () => {
    // A webview may call t() without arguments to put elements in the placeholders (dom.ts fill).
    const wrong = [...extension.calls, ...webviews.calls.filter((c) => c.args !== 0)]
      .filter((c) => c.args !== undefined)
      .filter((c) => placeholders(c.message).join() !== [...Array(c.args).keys()].join())
      .map((c) => `${c.at}: ${c.args} argument(s) for "${c.message}"`);
    assert.deepEqual(wrong, []);
  });

  it(`has a zh-cn entry in ${BUNDLE} for every text`, () => {
    const missing = calls
      .filter((c) => !Object.hasOwn(bundle, c.message))
      .map((c) => `${c.at}: ${c.message}`);
    assert.deepEqual(missing, []);
  });

  it('has no entry that no source uses', () => {
    const used = new Set(calls.map((c) => c.message));
    assert.deepEqual(
      Object.keys(bundle).filter((key) => !used.has(key)),
      [],
    );
  });

  it('keeps the placeholders of each English text in its translation, no more, no fewer', () => {
    const wrong = Object.entries(bundle)
      .filter(
        ([key, value]) =>
          typeof value !== 'string' || placeholders(key).join() !== placeholders(value).join(),
      )
      .map(([key, value]) => `${key} → ${String(value)}`);
    assert.deepEqual(wrong, []);
  });

  it('keeps the bundle sorted, so a new entry has one place to go', () => {
    const keys = Object.keys(bundle);
    const misplaced = keys.findIndex((key, i) => i > 0 && keys[i - 1]! > key);
    assert.equal(misplaced, -1, `"${keys[misplaced]}" belongs before "${keys[misplaced - 1]}"`);
  });
});

describe('manifest translations', () => {
  const keys = [...manifestKeys(readJson('package.json'))].sort();

  for (const file of ['package.nls.json', 'package.nls.zh-cn.json']) {
    it(`${file} has exactly the %keys% of package.json`, () => {
      const nls = readJson(file);
      assert.deepEqual(
        {
          missing: keys.filter((k) => !Object.hasOwn(nls, k)),
          unused: Object.keys(nls).filter((k) => !keys.includes(k)),
        },
        { missing: [], unused: [] },
      );
    });
  }
});
