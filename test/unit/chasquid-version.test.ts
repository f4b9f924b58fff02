import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareVersions,
  decideChasquidPath,
  hasFeature,
  isAtLeast,
  parseChasquidVersion,
} from '../../src/core/chasquid';

const v = (s: string) => {
  const r = parseChasquidVersion(s);
  assert.ok(r, s);
  return `${r.major}.${r.minor}.${r.patch}`;
};

describe('chasquid version parsing', () => {
  it('reads what the binaries and package managers print', () => {
    // Real `chasquid --version` output of the Debian 13 and Debian 12 packages.
    assert.equal(v('chasquid 1.15.0-1+b4 (source date: 2025-06-22 17:11:49 +0000 UTC)\n'), '1.15.0');
    assert.equal(v('chasquid 1.11-2+b2 (source date: 2023-04-09 07:19:28 +0000 UTC)'), '1.11.0');
    assert.equal(v('1.15.0-1'), '1.15.0');
    assert.equal(v('1.11-2+b2'), '1.11.0');
    assert.equal(v('1:1.16.0-1'), '1.16.0');
    assert.equal(v('1.14.0~rc1-1'), '1.14.0');
    assert.equal(v('1.2-1ubuntu0.2'), '1.2.0');
    assert.equal(v('chasquid v1.14.0-12-gdeadbee (source date: x)'), '1.14.0');
    assert.equal(v('  1.15.1  '), '1.15.1');
    assert.equal(v('0.07'), '0.7.0');
  });

  it('returns undefined when there is no version', () => {
    for (const s of [
      '',
      'chasquid undefined (source date: x)',
      'bash: chasquid: command not found',
      'x1.15',
    ]) {
      assert.equal(parseChasquidVersion(s), undefined, s);
    }
  });

  it('compares numerically', () => {
    const a = parseChasquidVersion('1.9');
    const b = parseChasquidVersion('1.10');
    assert.ok(a && b && compareVersions(a, b) < 0);
    assert.ok(b && isAtLeast(b, '1.10') && !isAtLeast(b, '1.10.1'));
    const c = parseChasquidVersion('1.13');
    assert.ok(c && hasFeature(c, 'receiveOnlyUsers') && !hasFeature(c, 'nativeDkim'));
  });
});

describe('chasquid path decision', () => {
  it('>= 1.14 signs DKIM natively', () => {
    for (const s of ['1.14', '1.15.0-1', '1.18.0', '2.0'])
      assert.equal(decideChasquidPath(s).path, 'native-dkim', s);
    assert.deepEqual(decideChasquidPath('1.15.0-1').warnings, []);
  });

  it('1.10 to 1.13 use the legacy post-data hook, with the right warnings', () => {
    for (const s of ['1.10', '1.11-2+b2', '1.12', '1.13.9'])
      assert.equal(decideChasquidPath(s).path, 'legacy', s);
    const d12 = decideChasquidPath('chasquid 1.11-2+b2 (source date: 2023-04-09)');
    assert.match(d12.explanation, /chasquid 1\.11\.0 has no built-in DKIM/);
    assert.equal(d12.warnings.length, 4);
    assert.ok(d12.warnings.some((w) => /CVE-2023-52354/.test(w)));
    assert.ok(d12.warnings.some((w) => /Symlinked/.test(w)));
    assert.deepEqual(
      decideChasquidPath('1.13').warnings.map((w) => w.slice(0, 4)),
      ['DKIM'],
    );
  });

  it('older or unknown versions are unsupported, with what to do', () => {
    const old = decideChasquidPath('1.2-1ubuntu0.2');
    assert.equal(old.path, 'unsupported');
    assert.match(old.explanation, /Upgrade to chasquid 1\.14 or newer/);
    const unknown = decideChasquidPath('chasquid undefined');
    assert.equal(unknown.path, 'unsupported');
    assert.equal(unknown.version, undefined);
    assert.match(unknown.explanation, /Could not read a chasquid version/);
  });
});
