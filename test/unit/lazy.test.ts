// The feature loader (src/vscode/lazy.ts), run from the sources: every feature folder entry is
// known to it, and loading never happens on the caller's stack.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
// The plan modules import each other in a cycle that only the plan index enters in a working
// order when run from the sources (the bundle is fine): enter it before acme does.
import '../../src/core/plan';
import { FEATURE_NAMES, featurePath, load } from '../../src/vscode/lazy';

const FEATURES_DIR = join(__dirname, '..', '..', 'src', 'vscode', 'features');

describe('lazy feature loader', () => {
  it('knows exactly the bundles in src/vscode/features', () => {
    const onDisk = readdirSync(FEATURES_DIR)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => basename(f, '.ts'))
      .sort();
    assert.deepEqual([...FEATURE_NAMES].sort(), onDisk);
  });

  it('loads a feature after the caller returns, then serves it from the cache', async () => {
    // acme has no vscode import, so it loads outside VS Code.
    const file = require.resolve(featurePath('acme'));
    delete require.cache[file];
    const pending = load('acme');
    assert.equal(require.cache[file], undefined, 'required synchronously, on the caller stack');
    const acme = await pending;
    assert.equal(typeof acme.planRenewal, 'function');
    assert.ok(require.cache[file], 'loaded through require, so Node caches it');
    assert.equal(await load('acme'), acme);
  });
});
