// The URI of a server's config file: the server's name is the first segment of its path (where
// tab titles can show it), and reading it back gives the host and the server path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkConfPath, confTarget, confUriParts } from '../../src/vscode/fs/remote-paths';
import { ENGLISH } from '../../src/panels/l10n';

describe('config file URIs', () => {
  it('put the server first in the path and read it back', () => {
    const parts = confUriParts('sandbox', '/etc/chasquid/domains/example.test/aliases');
    assert.deepEqual(parts, {
      scheme: 'mailwright',
      path: '/sandbox/etc/chasquid/domains/example.test/aliases',
    });
    assert.deepEqual(confTarget('', parts.path), {
      hostName: 'sandbox',
      path: '/etc/chasquid/domains/example.test/aliases',
    });
    assert.deepEqual(confTarget('', '/sandbox'), { hostName: 'sandbox', path: '/' });
    assert.equal(confTarget('', '/'), undefined);
  });

  it('read a URI of the earlier form, with the server as authority', () => {
    assert.deepEqual(confTarget('vps', '/etc/chasquid/chasquid.conf'), {
      hostName: 'vps',
      path: '/etc/chasquid/chasquid.conf',
    });
  });

  it('still refuse what is outside /etc/chasquid once the server is taken off', () => {
    const t = confTarget('', '/sandbox/etc/shadow');
    assert.ok(t);
    assert.match(checkConfPath(t.path, ENGLISH) ?? '', /only \/etc\/chasquid/);
    const up = confTarget('', '/sandbox/etc/chasquid/../shadow');
    assert.ok(checkConfPath(up!.path, ENGLISH));
  });
});
