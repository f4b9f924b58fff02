import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { shellCommand, shellQuote, shellScript, UnsafeArgumentError } from '../../src/core/remote/quote';

// Runs a command line the way sshd does (the login shell's -c) and returns what printf received.
function roundTrip(args: string[]): string[] {
  const line = shellCommand(['printf', '%s\\0', ...args]);
  const out = execFileSync('sh', ['-c', line]);
  const parts = out.toString('utf8').split('\0');
  parts.pop();
  return parts;
}

const nasty = fc.oneof(
  fc.string({ unit: 'binary' }).map((s) => s.replace(/\0/g, '')),
  fc.constantFrom(
    `'`,
    `"`,
    '$(id)',
    '`id`',
    '\n',
    '$HOME',
    '*',
    '~',
    '\\',
    '-n',
    '--',
    ' ',
    '',
    `a'b"c$d\`e`,
    '!!',
    ';rm -rf /;',
  ),
);

describe('shellQuote', () => {
  it('passes arbitrary strings to the shell unchanged (property)', () => {
    fc.assert(
      fc.property(fc.array(nasty, { minLength: 1, maxLength: 6 }), (args) => {
        assert.deepEqual(roundTrip(args), args);
      }),
      { numRuns: 120 },
    );
  });

  it('keeps quotes, command substitutions, backticks and newlines literal', () => {
    const args = [`it's`, '"x"', '$(touch /tmp/pwned)', '`reboot`', 'line1\nline2', '${IFS}', '&&', '|'];
    assert.deepEqual(roundTrip(args), args);
  });

  it('refuses NUL, which no argv can carry', () => {
    assert.throws(() => shellQuote('a\0b'), UnsafeArgumentError);
  });

  it('leaves plain words readable', () => {
    assert.equal(shellQuote('/etc/chasquid/chasquid.conf'), '/etc/chasquid/chasquid.conf');
    assert.equal(shellQuote(''), "''");
  });

  it('passes script arguments as positional parameters', () => {
    const script = 'printf "%s|%s" "$1" "$2"';
    const out = execFileSync('sh', ['-c', shellScript(script, ['a b', '$(x)'])]).toString();
    assert.equal(out, 'a b|$(x)');
  });
});
