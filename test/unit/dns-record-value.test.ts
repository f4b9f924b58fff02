import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCaa, formatMx, parseCaa, parseMx } from '../../src/core/dns/providers/record-value';

describe('MX and CAA values as the provider APIs want them', () => {
  it('splits an MX into preference and host (trailing dot dropped) and joins it back', () => {
    assert.deepEqual(parseMx(' 10 smtp.example.com. '), { preference: 10, exchange: 'smtp.example.com' });
    assert.equal(formatMx(parseMx('0 mx.example.net')), '0 mx.example.net');
  });

  it('refuses an MX without a preference, with two hosts or with a preference above 65535', () => {
    for (const bad of ['smtp.example.com', '10 a.example b.example', '70000 smtp.example.com', '-1 x'])
      assert.throws(() => parseMx(bad), /MX value must be "PREFERENCE HOST"/, bad);
  });

  it('splits a CAA into flags, tag and value, quoted or not, and writes the value quoted', () => {
    assert.deepEqual(parseCaa('0 issue "letsencrypt.org"'), {
      flags: 0,
      tag: 'issue',
      value: 'letsencrypt.org',
    });
    assert.deepEqual(parseCaa('128 issuewild pki.goog'), { flags: 128, tag: 'issuewild', value: 'pki.goog' });
    assert.equal(
      formatCaa(parseCaa('0 issue "letsencrypt.org; validationmethods=dns-01"')),
      '0 issue "letsencrypt.org; validationmethods=dns-01"',
    );
    for (const bad of ['issue letsencrypt.org', '256 issue x', '0 is-sue x'])
      assert.throws(() => parseCaa(bad), /CAA value must be/, bad);
  });
});
