// A check of several domains asks each DNS question once: sharedLookup hands later askers the
// first answer, by name (case and trailing dot aside) and type.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sharedLookup } from '../../src/core/dns/lookup';
import type { DnsLookup, LookupAnswer, QueryType } from '../../src/core/dns/model';

function counting(): { lookup: DnsLookup; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    lookup: {
      query: async (name: string, type: QueryType): Promise<LookupAnswer> => {
        asked.push(`${name} ${type}`);
        return { status: 'ok', values: [`${name}/${type}`] };
      },
    },
  };
}

describe('sharedLookup', () => {
  it('asks a question once, whoever asks it and however the name is written', async () => {
    const { lookup, asked } = counting();
    const shared = sharedLookup(lookup);
    const [a, b, c] = await Promise.all([
      shared.query('2.0.0.127.zen.example', 'A'),
      shared.query('2.0.0.127.ZEN.example.', 'A'),
      shared.query('2.0.0.127.zen.example', 'A'),
    ]);
    assert.deepEqual(asked, ['2.0.0.127.zen.example A']);
    assert.equal(a, b);
    assert.equal(b, c);
  });

  it('asks each type and each name of its own', async () => {
    const { lookup, asked } = counting();
    const shared = sharedLookup(lookup);
    await shared.query('mx.example', 'A');
    await shared.query('mx.example', 'AAAA');
    await shared.query('other.example', 'A');
    assert.deepEqual(asked, ['mx.example A', 'mx.example AAAA', 'other.example A']);
  });

  it('keeps what the lookup is besides its questions (its servers)', () => {
    const shared = sharedLookup({ ...counting().lookup, servers: ['192.0.2.53'] });
    assert.deepEqual(shared.servers, ['192.0.2.53']);
  });
});
