import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { printable } from '../../src/core/printable';

describe('printable', () => {
  it('makes escape sequences, carriage returns and C1 controls visible, keeps tabs and text', () => {
    assert.equal(printable('smtp\u001b[31mred\r\nforged'), 'smtp\\x1b[31mred\\x0d\\x0aforged');
    assert.equal(printable('a\tb \u0085 é 邮件 \u007f'), 'a\tb \\x85 é 邮件 \\x7f');
  });

  it('keeps newlines only when asked', () => {
    assert.equal(printable('one\ntwo\u0007', { keepNewlines: true }), 'one\ntwo\\x07');
  });
});
