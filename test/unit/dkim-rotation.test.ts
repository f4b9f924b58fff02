// The stage logic of a DKIM rotation: which step a state leads to, what the plan shows, which
// selectors a new key gets, what is refused before anything changes, and which state files are read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyTypeOfAutoSelector } from '../../src/core/dkim';
import { formatStages } from '../../src/core/dns/stages';
import {
  newRotationKeys,
  nextRotationStep,
  parseRotationState,
  removeAfter,
  rotationRecord,
  rotationRefusal,
  rotationStages,
  type RotationState,
} from '../../src/core/dkim/rotation';
import { testDomain } from './config-fixture';

const NOW = new Date('2026-12-07T09:30:15Z');
const DAY = 86_400;

function state(overrides: Partial<RotationState> = {}): RotationState {
  return {
    version: 1,
    domain: 'example.com',
    path: 'native-dkim',
    startedAt: '2026-12-07T09:00:00.000Z',
    retentionSeconds: 7 * DAY,
    old: [{ selector: 'mw20261128', keyType: 'rsa', publicKey: 'OLD' }],
    next: [{ selector: 'mw20261207', keyType: 'rsa', publicKey: 'NEW', algorithm: 'rsa2048' }],
    ...overrides,
  };
}

describe('DKIM rotation steps', () => {
  it('goes generate → publish → wait → switch → retain → remove, one fact at a time', () => {
    assert.equal(nextRotationStep(undefined, NOW), 'generate');
    assert.equal(nextRotationStep(state(), NOW), 'publish');
    assert.equal(nextRotationStep(state({ publishedAt: NOW.toISOString() }), NOW), 'wait');
    // Published by hand: seen without a provider having published it.
    assert.equal(nextRotationStep(state({ seenAt: NOW.toISOString() }), NOW), 'switch');
    const switched = state({ publishedAt: 'x', seenAt: 'x', switchedAt: '2026-12-07T09:00:00.000Z' });
    assert.equal(nextRotationStep(switched, NOW), 'retain');
    assert.equal(nextRotationStep(switched, new Date('2026-12-14T08:59:59Z')), 'retain');
    assert.equal(nextRotationStep(switched, new Date('2026-12-14T09:00:00Z')), 'remove');
    assert.equal(nextRotationStep({ ...switched, retentionSeconds: 0 }, NOW), 'remove');
  });

  it('starts a new rotation only once the last one removed its old key', () => {
    const done = state({
      publishedAt: 'x',
      seenAt: 'x',
      switchedAt: NOW.toISOString(),
      removedAt: NOW.toISOString(),
    });
    assert.equal(nextRotationStep(done, NOW), 'generate');
    assert.ok(rotationStages(done, NOW, DAY).every((s) => s.status === 'done'));
  });

  it('the old key is kept until the switch plus the retention', () => {
    assert.equal(removeAfter(state()), undefined);
    assert.equal(
      removeAfter(
        state({ switchedAt: '2026-12-07T09:00:00.000Z', retentionSeconds: 2 * DAY }),
      )?.toISOString(),
      '2026-12-09T09:00:00.000Z',
    );
  });
});

describe('DKIM rotation plan', () => {
  it('a new rotation: the first stage next, the retention in words', () => {
    const stages = rotationStages(undefined, NOW, 7 * DAY);
    assert.deepEqual(
      stages.map((s) => [s.id, s.status]),
      [
        ['generated', 'next'],
        ['published', 'pending'],
        ['seen', 'pending'],
        ['switched', 'pending'],
        ['retained', 'pending'],
        ['removed', 'pending'],
      ],
    );
    assert.match(stages[4]!.text, /kept for 7 day\(s\) after the switch/);
  });

  it('a switched rotation shows the date the old record goes, waiting for it', () => {
    const s = state({ publishedAt: 'x', seenAt: 'x', switchedAt: '2026-12-07T09:00:00.000Z' });
    const stages = rotationStages(s, NOW, DAY);
    assert.deepEqual(
      stages.map((x) => x.status),
      ['done', 'done', 'done', 'done', 'waiting', 'pending'],
    );
    assert.equal(stages[3]!.text, 'signing switched from mw20261128 to mw20261207');
    assert.equal(stages[4]!.text, 'old record and key (mw20261128) kept until 2026-12-14T09:00:00Z');
    assert.deepEqual(formatStages(stages).slice(3, 5), [
      '  ✓ signing switched from mw20261128 to mw20261207',
      '  … old record and key (mw20261128) kept until 2026-12-14T09:00:00Z',
    ]);
  });

  it('a record published by hand says so', () => {
    const stages = rotationStages(state({ seenAt: 'x' }), NOW, DAY);
    assert.equal(stages[1]!.text, 'record of mw20261207 published by hand');
    assert.equal(stages[3]!.status, 'next');
  });
});

describe('DKIM rotation selectors', () => {
  const dual = testDomain({ dkim: { algorithms: ['rsa2048', 'ed25519'], selector: 'auto' } });

  it("named by today's date, one per algorithm on chasquid's own signing", () => {
    assert.deepEqual(newRotationKeys(dual, 'native-dkim', ['mw20261128r', 'mw20261128e'], NOW), [
      { selector: 'mw20261207r', algorithm: 'rsa2048' },
      { selector: 'mw20261207e', algorithm: 'ed25519' },
    ]);
  });

  it('date and time when a key of that name exists (a rotation on the day of the last one)', () => {
    const keys = newRotationKeys(dual, 'native-dkim', ['mw20261207r', 'mw20261207e'], NOW);
    assert.deepEqual(
      keys.map((k) => k.selector),
      ['mw20261207093015r', 'mw20261207093015e'],
    );
    // A later plan still knows each key's type by its name, so it makes no other key.
    assert.deepEqual(
      keys.map((k) => keyTypeOfAutoSelector(k.selector)),
      ['rsa', 'ed25519'],
    );
  });

  it('one RSA key through the post-data hook (chasquid before 1.14)', () => {
    assert.deepEqual(newRotationKeys(dual, 'legacy', ['mw20261128'], NOW), [
      { selector: 'mw20261207', algorithm: 'rsa2048' },
    ]);
  });

  it('the record is the selector record with the new public key', () => {
    assert.deepEqual(rotationRecord('example.com', state().next[0]!), {
      name: 'mw20261207._domainkey.example.com',
      type: 'TXT',
      value: 'v=DKIM1; k=rsa; p=NEW',
    });
  });
});

describe('DKIM rotation refusals', () => {
  const key = [{ selector: 'mw20261128' }];
  it('refuses a fixed selector, a host without chasquid and a domain without a key', () => {
    assert.match(
      rotationRefusal(
        testDomain({ dkim: { algorithms: ['rsa2048'], selector: 'mail' } }),
        'native-dkim',
        key,
      ) ?? '',
      /dkim\.selector of example\.com is fixed to "mail".*set it to auto/,
    );
    assert.match(rotationRefusal(testDomain(), undefined, key) ?? '', /chasquid is not installed/);
    assert.match(rotationRefusal(testDomain(), 'unsupported', key) ?? '', /chasquid is not installed/);
    assert.match(rotationRefusal(testDomain(), 'native-dkim', []) ?? '', /no DKIM key.*mailwright apply/);
    assert.equal(rotationRefusal(testDomain(), 'legacy', key), undefined);
  });

  it('reads back what it wrote, and refuses a file that is not a state of this domain', () => {
    const s = state({ seenAt: NOW.toISOString() });
    assert.deepEqual(parseRotationState(JSON.stringify(s), 'example.com'), s);
    assert.throws(() => parseRotationState(JSON.stringify(s), 'example.org'), /not a DKIM rotation state/);
    assert.throws(() => parseRotationState('{', 'example.com'), /remove it to start a new rotation/);
    assert.throws(
      () => parseRotationState(JSON.stringify({ ...s, next: [] }), 'example.com'),
      /not a DKIM rotation state/,
    );
  });
});
