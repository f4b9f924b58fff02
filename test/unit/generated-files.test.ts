// Which server files mailwright.yaml generates (the editor serves them read-only), and that
// their header says what a save does; the checks a file saved from the editor gets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { desiredAliases, GENERATED_HEADER, generatedFromYaml } from '../../src/core/plan/actions/domains';
import {
  ConfFileInvalidError,
  ConfFileOwnedError,
  saveConfFile,
  validateConfFile,
} from '../../src/core/plan/conf-save';
import type { RemoteConnection } from '../../src/core/remote';
import { testDomain } from './config-fixture';

describe('files generated from mailwright.yaml', () => {
  it("a domain's aliases and users are generated; chasquid.conf, certificates and hooks are not", () => {
    assert.deepEqual(generatedFromYaml('/etc/chasquid/domains/example.com/aliases'), {
      domain: 'example.com',
      what: 'aliases',
    });
    assert.deepEqual(generatedFromYaml('/etc/chasquid/domains/example.com/users'), {
      domain: 'example.com',
      what: 'users',
    });
    for (const path of [
      '/etc/chasquid/chasquid.conf',
      '/etc/chasquid/domains/example.com/dkim:mw1.pem',
      '/etc/chasquid/domains/example.com/aliases/x',
      '/etc/chasquid/certs/smtp.example.com/fullchain.pem',
      '/etc/chasquid/hooks/post-data',
      '/etc/other/domains/example.com/aliases',
    ])
      assert.equal(generatedFromYaml(path), undefined, path);
  });

  it('the aliases file starts with the header that says it is read-only in the editor', () => {
    const text = desiredAliases(testDomain({ aliases: { postmaster: ['alice'] } }));
    assert.equal(text.split('\n')[0], GENERATED_HEADER);
    assert.match(GENERATED_HEADER, /read-only in the editor; change mailwright\.yaml and provision/);
  });

  it('a saved chasquid.conf or aliases file is checked; other files are not', () => {
    assert.deepEqual(validateConfFile('/etc/chasquid/chasquid.conf', 'hostname: "smtp.example.com"\n'), []);
    const bad = validateConfFile('/etc/chasquid/chasquid.conf', 'this line is not valid\n');
    assert.ok(
      bad.some((d) => d.severity === 'error' && d.line === 1),
      JSON.stringify(bad),
    );
    assert.deepEqual(validateConfFile('/etc/chasquid/hooks/post-data', 'anything'), []);
  });

  it('a save that is invalid or sets what mailwright.yaml decides is refused before the server is touched', async () => {
    const calls: string[] = [];
    const conn = new Proxy(
      {},
      {
        get: (_, prop) => () => {
          calls.push(String(prop));
          return Promise.reject(new Error('the server must not be reached'));
        },
      },
    ) as RemoteConnection;
    const save = (text: string) =>
      saveConfFile({
        conn,
        hostName: 'vps',
        path: '/etc/chasquid/chasquid.conf',
        content: Buffer.from(text),
        mailHost: 'smtp.example.com',
      });
    await assert.rejects(save('this line is not valid\n'), ConfFileInvalidError);
    await assert.rejects(
      save('hostname: "other.example.com"\n'),
      (e: Error) =>
        e instanceof ConfFileOwnedError &&
        /sets hostname to "other\.example\.com", but mailwright\.yaml says "smtp\.example\.com"/.test(
          e.message,
        ),
    );
    assert.deepEqual(calls, []);
  });
});
