import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_PASSWORD_BYTES,
  MIN_PASSWORD_LENGTH,
  passwordProblem,
  passwordRefusal,
} from '../../src/core/config';

describe('password policy (one rule for the editor, the CLI and apply)', () => {
  it('accepts a long passphrase, with spaces and any script inside', () => {
    assert.equal(passwordProblem('correct horse battery staple'), undefined);
    assert.equal(
      passwordProblem('密码密码密码密码密码密码'),
      undefined,
      'characters, not bytes, are counted',
    );
  });

  it('refuses short ones, saying how long they are and how long they must be', () => {
    assert.equal(MIN_PASSWORD_LENGTH, 12);
    assert.equal(passwordProblem('x'), 'it has 1 character(s); use at least 12');
    assert.match(passwordProblem('elevenchars')!, /has 11 character\(s\)/);
  });

  it('refuses what a mail program would mangle: outer spaces, line breaks, tabs', () => {
    assert.match(passwordProblem(' correct horse battery')!, /space/);
    assert.match(passwordProblem('correct horse\nbattery')!, /control character/);
    assert.match(passwordProblem('correct horse\tbattery')!, /control character/);
  });

  it('refuses one too long for the SMTP AUTH line chasquid reads, counting UTF-8 bytes', () => {
    assert.equal(MAX_PASSWORD_BYTES, 256);
    // The longest address and the longest password still fit in chasquid's 1000-octet line.
    const line = `AUTH PLAIN ${Buffer.from(`\0${'a'.repeat(64)}@${'d'.repeat(253)}\0${'p'.repeat(256)}`).toString('base64')}`;
    assert.ok(line.length <= 1000, `${line.length}`);
    assert.equal(passwordProblem('p'.repeat(256)), undefined);
    assert.match(passwordProblem('p'.repeat(257))!, /257 bytes long in UTF-8; at most 256/);
    assert.match(passwordProblem('密'.repeat(86))!, /258 bytes/);
  });

  it('is refused in the same words by the CLI and apply (the editor says the same, translated)', () => {
    const short = 'short';
    assert.equal(passwordRefusal('correct horse battery staple'), undefined);
    assert.equal(passwordRefusal(short), `This password cannot be used: ${passwordProblem(short)}.`);
    assert.equal(
      passwordRefusal(short, 'The password given for bob@example.com'),
      `The password given for bob@example.com cannot be used: ${passwordProblem(short)}.`,
    );
  });
});
