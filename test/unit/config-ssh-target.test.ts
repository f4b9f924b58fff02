import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSshTarget, formatSshTarget, parseSshTarget, SshTargetError } from '../../src/core/config';

describe('parseSshTarget', () => {
  const valid: Array<[string, { user: string; host: string; port: number }]> = [
    ['root@mail.example.com:22', { user: 'root', host: 'mail.example.com', port: 22 }],
    ['mail.example.com', { user: 'root', host: 'mail.example.com', port: 22 }],
    ['deploy@mail.example.com', { user: 'deploy', host: 'mail.example.com', port: 22 }],
    ['mail.example.com:2222', { user: 'root', host: 'mail.example.com', port: 2222 }],
    ['root@198.51.100.2:22', { user: 'root', host: '198.51.100.2', port: 22 }],
    ['sandbox', { user: 'root', host: 'sandbox', port: 22 }],
    ['root@[fd00:5eed::2]:22', { user: 'root', host: 'fd00:5eed::2', port: 22 }],
    ['[fd00:5eed::2]', { user: 'root', host: 'fd00:5eed::2', port: 22 }],
    ['admin@[::1]:65535', { user: 'admin', host: '::1', port: 65535 }],
    ['a.b_c-d@host-1.example.com:1', { user: 'a.b_c-d', host: 'host-1.example.com', port: 1 }],
  ];
  for (const [text, expected] of valid) {
    it(`reads ${text}`, () => assert.deepEqual(parseSshTarget(text), expected));
  }

  const invalid: Array<[string, RegExp]> = [
    ['', /empty/],
    ['root@@x', /more than one "@"/],
    ['@mail.example.com', /user before "@" is empty/],
    ['root@', /host is empty/],
    ['root@mail.example.com:', /port after ":" is empty/],
    ['root@mail.example.com:0', /outside 1-65535/],
    ['root@mail.example.com:65536', /outside 1-65535/],
    ['root@mail.example.com:ssh', /port "ssh" is not a number/],
    ['root@mail.example.com:-1', /not a number/],
    ['root@fd00:5eed::2', /IPv6 address must be written in brackets/],
    ['root@[fd00:5eed::2', /never closed/],
    ['root@[fd00::zz]:22', /not a valid IPv6 address/],
    ['root@[198.51.100.2]:22', /not a valid IPv6 address/],
    ['root@[fd00::2]22', /unexpected "22"/],
    ['root@198.51.100.300', /not a valid IPv4 address/],
    ['root@mail..example.com', /empty label/],
    ['root@-mail.example.com', /starts or ends with "-"/],
    ['root@mail_host.example.com', /not a valid host name/],
    ['root @mail.example.com', /spaces/],
    ['ro:ot@mail.example.com', /user name/],
  ];
  for (const [text, reason] of invalid) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      const result = checkSshTarget(text);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, reason);
      assert.throws(
        () => parseSshTarget(text),
        (error: unknown) => {
          assert.ok(error instanceof SshTargetError);
          assert.match(error.message, /Expected \[user@\]host\[:port\], e\.g\. root@mail\.example\.com:22$/);
          return true;
        },
      );
    });
  }

  it('formats back with brackets for IPv6, so format and parse round-trip', () => {
    for (const text of ['root@[fd00:5eed::2]:22', 'deploy@mail.example.com:2222', 'root@198.51.100.2:22']) {
      assert.equal(formatSshTarget(parseSshTarget(text)), text);
    }
    assert.equal(formatSshTarget(parseSshTarget('mail.example.com')), 'root@mail.example.com:22');
  });
});
