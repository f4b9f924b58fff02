// Temporary files of atomic writes left by a write cut off before its rename: found by the facts
// (only Mailwright's names, never one whose script still runs) and removed by a plan step.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFacts } from '../../src/core/facts/parse';
import { planLeftovers } from '../../src/core/plan/actions/leftovers';
import { isWriteLeftover, WRITE_LEFTOVER_NAMES } from '../../src/core/remote';
import { testHost } from './config-fixture';
import { keyed, TEST_KEY } from './facts-report';

const report = (leftovers: string, root = true) =>
  keyed(
    `@@mw:os-release\nID=debian\nVERSION_ID="13"\n${root ? '@@mw:conf-files\n' : ''}` +
      `@@mw:leftovers\n${leftovers}@@mw:end\n`,
  );

describe('leftovers of interrupted writes', () => {
  it('are the copy and restore files the write scripts name with their process id, nothing else', () => {
    assert.equal(isWriteLeftover('/etc/chasquid/.mailwright-new.1234'), true);
    assert.equal(isWriteLeftover('/etc/dovecot/.mailwright-restore.77'), true);
    for (const not of [
      '.mailwright-new.1234',
      '/etc/chasquid/.mailwright-new.',
      '/etc/chasquid/.mailwright-new.12x',
      '/etc/chasquid/mailwright-new.12',
      '/etc/chasquid/.mailwright-upload-12',
      '/etc/chasquid/aliases',
    ])
      assert.equal(isWriteLeftover(not), false, not);
    // find(1) looks for the same names.
    assert.match(WRITE_LEFTOVER_NAMES, /-name '\.mailwright-new\.\*' -o -name '\.mailwright-restore\.\*'/);
  });

  it('the facts keep a leftover once, and neither a busy one nor a name not ours', () => {
    const f = parseFacts(
      report(
        '/etc/chasquid/domains/a.test/.mailwright-new.4001\n' +
          '/etc/chasquid/domains/a.test/.mailwright-new.4001\n' +
          'busy /etc/chasquid/.mailwright-new.1\n' +
          '/etc/chasquid/.mailwright-new.x\n' +
          '/etc/dovecot/.mailwright-restore.4002\n',
      ),
      TEST_KEY,
      1,
    );
    assert.deepEqual(f.leftoverFiles, [
      '/etc/chasquid/domains/a.test/.mailwright-new.4001',
      '/etc/dovecot/.mailwright-restore.4002',
    ]);
    assert.equal(
      parseFacts(report('', false), TEST_KEY, 1).leftoverFiles,
      undefined,
      'without root: unknown',
    );
  });

  it('a plan step removes them, naming each; none planned when there are none', () => {
    const ctx = (leftovers: string) => ({
      host: testHost(),
      facts: parseFacts(report(leftovers), TEST_KEY, 1),
      now: new Date(),
    });
    assert.deepEqual(planLeftovers(ctx('')), []);
    const [action, ...more] = planLeftovers(
      ctx('/etc/chasquid/.mailwright-new.4001\n/etc/x\x1b[31m/.mailwright-new.9\n'),
    );
    assert.equal(more.length, 0);
    assert.equal(action?.id, 'leftovers');
    assert.match(action.reason, /2 temporary file\(s\)/);
    assert.match(action.reason, /\/etc\/chasquid\/\.mailwright-new\.4001/);
    assert.ok(
      !action.reason.includes('\x1b'),
      'a name from the server is shown with its control characters escaped',
    );
  });
});
