// Code, comments, messages and documentation speak of the product only: a reader of this
// repository has no planning notes, tickets or outside documents to look up, so a reference to
// one ("issue 12", "the recipe", "step 4 of ...", a design file that is not here) explains nothing.
// Background worth keeping is written in docs/ in the product's own words instead.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(__dirname, '..', '..');

/** What points outside the repository, each with the reason shown on failure. */
const OUTSIDE_REFERENCES: readonly { pattern: RegExp; why: string }[] = [
  { pattern: /\bSEED\b/, why: 'names a planning document, not the product' },
  { pattern: /\bthe seed\b/i, why: 'names a planning document, not the product' },
  { pattern: /\brecipe\b/i, why: 'names a planning document, not the product' },
  { pattern: /\b(?:issue|ticket|bug)\s*#?\d+/i, why: 'an issue number means nothing in the product' },
  { pattern: /(?:^|[\s(])#\d{1,5}\b(?![0-9a-f])/i, why: 'an issue number means nothing in the product' },
  { pattern: /\b(?:TESTBED|DESIGN|BRIEF)\.md\b/i, why: 'a file outside the repository' },
  // "Step 3 of 9" (a running plan) is the product's own; "step 4" of some document is not.
  { pattern: /\bstep\s+\d+\b(?!\s+of\b)(?!\s*\/)/i, why: 'a numbered step of an outside document' },
];

/** Where the product's words live. */
const SCANNED = [
  'src',
  'webview',
  'scripts',
  'docs',
  'l10n',
  'README.md',
  'package.json',
  'package.nls.json',
];
const TEXT = /\.(ts|mts|mjs|js|json|md|sh|css|html)$|^[^.]+$/;
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'out', 'fixtures']);
/** This file, whose examples are the references it looks for. */
const SELF = relative(ROOT, __filename);

function files(path: string): string[] {
  const full = join(ROOT, path);
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : files(join(path, entry.name));
    const file = join(path, entry.name);
    return TEXT.test(entry.name) && file !== SELF ? [file] : [];
  });
}

/** Every line of `text` that points outside the repository, as `line: why: text`. */
export function outsideReferences(text: string): string[] {
  return text
    .split('\n')
    .flatMap((line, i) =>
      OUTSIDE_REFERENCES.filter(({ pattern }) => pattern.test(line)).map(
        ({ why }) => `${i + 1}: ${why}: ${line.trim().slice(0, 120)}`,
      ),
    );
}

describe('the product speaks of itself only', () => {
  it('finds the references it is meant to find, and leaves the product’s own words alone', () => {
    for (const bad of [
      '// See SEED-RECIPE.md for why.',
      '// recipe step 7: restart chasquid',
      "message: 'part of the recipe'",
      '// Fixes issue 42.',
      '// (#17) keep the lock',
      '// measured in TESTBED.md',
      '// as DESIGN.md says',
      '// done in step 4',
    ])
      assert.notDeepEqual(outsideReferences(bad), [], bad);
    for (const good of [
      "'Step {0} of {1}: {2}'",
      '// "Connecting…", "Step 3 of 9: …"',
      'color: #1e1e1e;',
      "issues.error(node, path, 'bad')",
      '// The test bed: a sandbox VPS',
      '// pre-seeded from Debian',
      '# Pre-seed the download',
    ])
      assert.deepEqual(outsideReferences(good), [], good);
  });

  it('no file of the product refers to documents, issues or steps outside the repository', () => {
    const found = SCANNED.flatMap(files).flatMap((path) =>
      outsideReferences(readFileSync(join(ROOT, path), 'utf8')).map(
        (hit) => `${relative(ROOT, join(ROOT, path))}:${hit}`,
      ),
    );
    assert.deepEqual(
      found,
      [],
      `Say it in the product's own words (long background goes in docs/):\n${found.join('\n')}`,
    );
  });
});
