import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aliasKey, ChasquidAliases, cleanUser } from '../../src/core/chasquid';

const SAMPLE =
  '# Aliases for example.org\n' +
  'pepe: jose\n' +
  '\n' +
  'flowers: rose@backgarden, lilly@pond,\n' +
  '  Juana.Perez :juana\n' +
  'juana.perez+fruta: fruta\n' +
  'null: | cat\n' +
  'relay: out@example.net via smtp1.example.net/smtp2.example.net\n' +
  '*: you@gmail.com\n';

describe('chasquid aliases: lossless parsing', () => {
  it('prints the input back byte for byte and classifies every line', () => {
    const a = ChasquidAliases.parse(SAMPLE);
    assert.equal(a.print(), SAMPLE);
    assert.deepEqual(
      a.entries.map((e) => `${e.line}:${e.kind}`),
      ['1:comment', '2:alias', '3:blank', '4:alias', '5:alias', '6:alias', '7:alias', '8:alias', '9:alias'],
    );
    assert.deepEqual(a.get('flowers'), [
      { kind: 'email', address: 'rose@backgarden' },
      { kind: 'email', address: 'lilly@pond' },
    ]);
    assert.deepEqual(a.get('null'), [{ kind: 'pipe', command: 'cat' }]);
    assert.deepEqual(a.get('relay'), [
      { kind: 'forward', address: 'out@example.net', via: ['smtp1.example.net', 'smtp2.example.net'] },
    ]);
    assert.deepEqual(a.validate(), []);
  });

  it('keeps CRLF, a missing final newline and odd spacing', () => {
    for (const text of ['a: b\r\n# c\r\n', 'a: b', '  a  :   b ,c  \n\n\n', '']) {
      assert.equal(ChasquidAliases.parse(text).print(), text);
    }
  });
});

describe('chasquid aliases: lookup semantics (chasquid >= 1.12)', () => {
  const a = ChasquidAliases.parse(SAMPLE);
  const r = (user: string, isUser?: (u: string) => boolean) => a.resolve(user, { isUser });

  it('files keys with drop characters removed before the suffix', () => {
    assert.equal(aliasKey('Juana.Perez+Fru.ta'), 'juanaperez+fru.ta');
    assert.equal(cleanUser('ju.ana.pe.rez+abc'), 'juanaperez');
    assert.equal(aliasKey('a-b_c', { dropCharacters: '-_', suffixSeparators: '+' }), 'abc');
  });

  it('resolves like upstream docs/aliases.md', () => {
    assert.equal(r('ju.ana.pe.rez')?.targets[0]?.kind === 'email' && r('ju.ana.pe.rez')?.match, 'exact');
    assert.deepEqual(r('juanaperez+abc'), {
      match: 'without-suffix',
      targets: [{ kind: 'email', address: 'juana' }],
    });
    assert.deepEqual(r('juanaperez+fruta'), {
      match: 'exact',
      targets: [{ kind: 'email', address: 'fruta' }],
    });
    assert.equal(r('bob', (u) => u === 'bob')?.match, 'user');
    assert.deepEqual(r('Unknown'), {
      match: 'catch-all',
      targets: [{ kind: 'email', address: 'you@gmail.com' }],
    });
    assert.equal(ChasquidAliases.parse('a: b\n').resolve('c'), undefined);
  });
});

describe('chasquid aliases: editing', () => {
  it('set replaces the targets in place, keeping the left side as written', () => {
    const a = ChasquidAliases.parse(SAMPLE);
    a.set('juanaperez', ['juana', 'perez@example.net']);
    assert.equal(
      a.print(),
      SAMPLE.replace('  Juana.Perez :juana\n', '  Juana.Perez :juana, perez@example.net\n'),
    );
    a.set('null', [{ kind: 'pipe', command: '/usr/bin/handler --x' }]);
    assert.match(a.print(), /\nnull: \| \/usr\/bin\/handler --x\n/);
  });

  it('set appends a missing user and drops duplicates; remove deletes every line of the user', () => {
    const a = ChasquidAliases.parse('x: 1\nx: 2\n# keep\ny: 3');
    a.set('X', ['9']);
    assert.equal(a.print(), 'x: 9\n# keep\ny: 3');
    a.set('bob', ['bob@gmail.com']);
    assert.equal(a.print(), 'x: 9\n# keep\ny: 3\nbob: bob@gmail.com\n');
    assert.equal(a.entries.at(-1)?.line, 4);
    assert.equal(a.remove('Y'), true);
    assert.equal(a.remove('y'), false);
    assert.equal(a.print(), 'x: 9\n# keep\nbob: bob@gmail.com\n');
    const crlf = ChasquidAliases.parse('a: b\r\n');
    crlf.set('*', ['me@example.net']);
    assert.equal(crlf.print(), 'a: b\r\n*: me@example.net\r\n');
  });

  it('refuses what chasquid could not read back', () => {
    const a = ChasquidAliases.parse('');
    assert.throws(() => a.set('a@b', ['x']), /cannot contain "@"/);
    assert.throws(() => a.set('a b', ['x']), /spaces/);
    assert.throws(() => a.set('a', []), /at least one target/);
    assert.throws(() => a.set('a', ['x,y']), /invalid alias target/);
    assert.throws(() => a.set('a', ['x y']), /spaces/);
    assert.throws(() => a.set('a', ['|cat']), /pipe target/);
    assert.throws(() => a.set('a', [{ kind: 'forward', address: 'o@x', via: ['s 1'] }]), /via/);
    a.set('r', [{ kind: 'forward', address: 'o@x.net', via: ['s1.net', 's2.net'] }, '*@pond']);
    assert.equal(a.print(), 'r: o@x.net via s1.net/s2.net, *@pond\n');
    assert.throws(() => a.set('a', ['x', { kind: 'pipe', command: 'cat' }]), /only target/);
  });
});

describe('chasquid aliases: diagnostics', () => {
  const diags = (text: string, version?: string) =>
    ChasquidAliases.parse(text)
      .validate({ version })
      .map((d) => `${d.line}:${d.column}-${d.endColumn} ${d.severity} ${d.code}`);

  it('reports bad lines with exact columns', () => {
    assert.deepEqual(diags('# ok\n  no colon here\n'), ['2:3-16 error missing-colon']);
    assert.deepEqual(diags('pepe:\n'), ['1:5-6 error missing-target']);
    assert.deepEqual(diags(': x\n'), ['1:1-2 error missing-user']);
    assert.deepEqual(diags('pepe@example.org: x\n'), ['1:1-17 error invalid-user']);
    assert.deepEqual(diags('a: b,  c d@x\n'), ['1:8-13 error invalid-target']);
    assert.deepEqual(diags('a: |   \n'), ['1:4-5 error invalid-target']);
    assert.deepEqual(diags('a: x@@y\n'), ['1:4-8 error invalid-target']);
  });

  it('says older versions silently ignore bad lines', () => {
    const [d] = ChasquidAliases.parse('oops\n').validate({ version: '1.11' });
    assert.match(d?.message ?? '', /silently ignores/);
  });

  it('warns about overridden users, the later line wins', () => {
    assert.deepEqual(diags('Pepe: a\npe.pe: b\n'), ['1:1-5 warning overridden']);
  });

  it('knows what each version supports', () => {
    assert.deepEqual(diags('r: a@b via c\n', '1.15'), ['1:4-13 error via-unsupported']);
    assert.deepEqual(diags('*: *@pond\n', '1.15'), ['1:4-10 warning star-target-unsupported']);
    assert.deepEqual(diags('*: *@pond\n', '1.16'), []);
    assert.deepEqual(diags('*: me@x\n', '1.11'), ['1:1-2 info catch-all-suffix']);
    assert.deepEqual(diags('Juana.Perez: x\n', '1.11'), ['1:1-12 warning legacy-never-matches']);
    assert.deepEqual(diags('Juana.Perez: x\n', '1.12'), []);
  });
});
