import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MIN_PASSWORD_LENGTH, passwordProblem } from '../../src/core/config';

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
});
