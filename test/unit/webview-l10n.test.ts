// The webviews' translator (webview/common/l10n.ts): the English text is the key, {n} takes the
// arguments, English is the fallback; and fill() puts elements where a translation wants them.
import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import { bundleJson } from '../../src/panels/l10n';

// webview/ is ES modules (its package.json): a CommonJS test loads them with import().
const loadWebview = async () => ({
  ...(await import('../../webview/common/l10n.js')),
  ...(await import('../../webview/common/dom.js')),
});
let web: Awaited<ReturnType<typeof loadWebview>>;
before(async () => {
  web = await loadWebview();
});
const t = (message: string, ...args: (string | number)[]) => web.t(message, ...args);
const useBundle = (bundle: Record<string, string> | undefined) => web.useBundle(bundle);

describe('webview t()', () => {
  afterEach(() => useBundle(undefined));

  it('looks the English text up in the bundle', () => {
    useBundle({ Cancel: '取消', 'Publish…': '发布…' });
    assert.equal(t('Cancel'), '取消');
    assert.equal(t('Publish…'), '发布…');
  });

  it('puts the arguments in the placeholders, in the order the translation needs', () => {
    useBundle({
      'Publish through {0}: {1} change(s)': '通过 {0} 发布：{1} 项更改',
      '{0} on {1}': '{1} 上的 {0}',
    });
    assert.equal(t('Publish through {0}: {1} change(s)', 'cloudflare', 3), '通过 cloudflare 发布：3 项更改');
    assert.equal(t('{0} on {1}', 'example.test', 'vps'), 'vps 上的 example.test');
    // An argument is inserted as it is: braces in it are not read as placeholders again.
    assert.equal(t('{0} on {1}', '{1}', 'vps'), 'vps 上的 {1}');
  });

  it('falls back to the English text without a bundle or without an entry', () => {
    assert.equal(t('Apply {0} change(s)…', 2), 'Apply 2 change(s)…');
    useBundle({ Cancel: '取消' });
    assert.equal(t('Check again'), 'Check again');
    assert.equal(t('Step {0} of {1}: {2}', 1, 3, 'install'), 'Step 1 of 3: install');
    assert.equal(t('constructor'), 'constructor', 'an own entry only, not the prototype');
  });

  it('leaves braces that are not placeholders, and placeholders without an argument', () => {
    assert.equal(
      t('add dns: { provider: cloudflare } to {0}', 'example.test'),
      'add dns: { provider: cloudflare } to example.test',
    );
    assert.equal(t('Committed {0}: {1}'), 'Committed {0}: {1}');
  });
});

describe('webview pageBundle()', () => {
  const page = (json: string | undefined) => ({
    getElementById: (id: string) => (id === 'l10n' && json !== undefined ? { textContent: json } : null),
  });

  it("reads the bundle the panel embedded in the page's JSON block", () => {
    const bundle = bundleJson({ Cancel: '取消', 'a </script> b': 'x' });
    assert.ok(!bundle.includes('</script'), 'the text cannot end the element');
    assert.deepEqual(web.pageBundle(page(bundle) as unknown as Document), {
      Cancel: '取消',
      'a </script> b': 'x',
    });
  });

  it('is empty without a block (English), and for a block that is not a bundle', () => {
    assert.deepEqual(web.pageBundle(page(undefined) as unknown as Document), {});
    assert.deepEqual(web.pageBundle(page('{"Cancel": 7}') as unknown as Document), {});
    assert.deepEqual(web.pageBundle(page('not json') as unknown as Document), {});
    assert.deepEqual(web.pageBundle(undefined), {});
  });
});

describe('webview fill()', () => {
  it('puts each part where its placeholder is, dropping empty text', () => {
    const code = { nodeName: 'CODE' } as unknown as Node;
    assert.deepEqual(web.fill('Committed {0}: {1}', code, 'note'), ['Committed ', code, ': ', 'note']);
    assert.deepEqual(web.fill('已提交 {0}：{1}', code, ''), ['已提交 ', code, '：']);
    assert.deepEqual(web.fill('{1} then {0}', 'a', 'b'), ['b', ' then ', 'a']);
  });
});
