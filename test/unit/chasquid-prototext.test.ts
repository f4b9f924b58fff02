import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { quoteBytes, quoteString } from '../../src/core/chasquid';
import { parseTextProto } from '../../src/core/chasquid/prototext';
import { decodeStringLiteral } from '../../src/core/chasquid/prototext-string';

const bytes = (lit: string) => Array.from(decodeStringLiteral(lit, 0).bytes);
const text = (lit: string) => new TextDecoder().decode(decodeStringLiteral(lit, 0).bytes);
const problem = (lit: string) => decodeStringLiteral(lit, 0).error;

describe('protobuf text strings', () => {
  it('unescapes every escape Go accepts, in both quote styles', () => {
    assert.deepEqual(bytes(String.raw`"\a\b\f\n\r\t\v\\\'\"\?"`), [7, 8, 12, 10, 13, 9, 11, 92, 39, 34, 63]);
    assert.equal(text(String.raw`'it\'s "x"'`), `it's "x"`);
    assert.deepEqual(bytes(String.raw`"\0\7\101\1012\377"`), [0, 7, 65, 65, 50, 255]);
    assert.deepEqual(bytes(String.raw`"\x4\x4a\x4aa"`), [4, 74, 74, 97]);
    assert.equal(text(String.raw`"\u00e9\U0001F600\ud83d\ude00"`), 'é😀😀');
    assert.equal(text('"é😀"'), 'é😀');
    // Go's prototext writes bytes fields as raw UTF-8 where valid: decode those to their bytes.
    assert.deepEqual(bytes('"\\xe6\\x89)IKƔ"'), [0xe6, 0x89, 0x29, 0x49, 0x4b, 0xc6, 0x94]);
  });

  it('reports bad escapes and unterminated strings at the right offset', () => {
    assert.deepEqual(problem(String.raw`"ab\qc"`), {
      start: 3,
      end: 5,
      message: 'invalid escape "\\q" in string',
    });
    assert.equal(problem(String.raw`"\400"`)?.start, 1);
    assert.match(problem(String.raw`"\x"`)?.message ?? '', /hex escape/);
    assert.match(problem(String.raw`"\X41"`)?.message ?? '', /invalid escape/);
    assert.match(problem(String.raw`"\ud800"`)?.message ?? '', /surrogate/);
    assert.match(problem(String.raw`"\u12"`)?.message ?? '', /exactly 4/);
    assert.deepEqual(problem('"abc\n"'), {
      start: 0,
      end: 4,
      message: 'unterminated string: missing closing "',
    });
    assert.equal(decodeStringLiteral("'abc", 0).end, 4);
  });

  it('quoteBytes round-trips any bytes through ASCII-only text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const q = quoteBytes(b);
        assert.ok(/^"[\x20-\x7e]*"$/.test(q));
        assert.deepEqual(decodeStringLiteral(q, 0).bytes, b);
        assert.equal(decodeStringLiteral(q, 0).error, undefined);
      }),
    );
  });

  it('quoteString round-trips any well-formed text and stays on one line', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        const q = quoteString(s);
        assert.ok(!/[\r\n]/.test(q));
        assert.equal(text(q), s);
      }),
    );
    assert.equal(quoteString('a"b\\c\n\x01é\u0085'), '"a\\"b\\\\c\\n\\x01é\\u0085"');
    assert.throws(() => quoteString('\ud800'), /surrogate/);
  });
});

describe('protobuf text parser', () => {
  it('parses nested messages, lists and separators with positions', () => {
    const doc = parseTextProto('a: 1, b { c: "x" d < e: -2 > }; f: [1, 2] g: [{h: t}]\n# end\n');
    assert.deepEqual(doc.errors, []);
    assert.deepEqual(
      doc.fields.map((f) => [f.name, f.value.kind, f.start, f.end]),
      [
        ['a', 'scalar', 0, 5],
        ['b', 'message', 6, 31],
        ['f', 'list', 32, 41],
        ['g', 'list', 42, 53],
      ],
    );
    assert.deepEqual(
      doc.comments.map((c) => c.text),
      ['# end'],
    );
    const b = doc.fields[1]?.value;
    assert.ok(b?.kind === 'message');
    const d = b.fields[1]?.value;
    assert.ok(d?.kind === 'message' && d.fields[0]?.value.kind === 'scalar');
    assert.equal(d.fields[0].value.kind === 'scalar' && d.fields[0].value.scalar.text, '-2');
  });

  it('recovers after an error at the next line and keeps parsing', () => {
    const doc = parseTextProto('a: "x\nb { c: ) }\nd: 1\ne {\n  f: [\n}\ng: 2\n');
    assert.deepEqual(
      doc.errors.map((e) => e.message),
      ['unterminated string: missing closing "', 'unexpected character ")"', 'invalid value: }'],
    );
    assert.deepEqual(
      doc.fields.map((f) => f.name),
      ['d', 'g'],
    );
    assert.deepEqual(
      doc.skipped.map((s) => [s.start, s.end]),
      [
        [0, 5],
        [6, 16],
        [22, 34],
      ],
    );
  });
});
