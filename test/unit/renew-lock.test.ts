import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { takeLock } from '../../src/cli/renew';

describe('mailwright renew lock (one run at a time from cron)', () => {
  it('refuses a second holder while the first runs, and frees on release', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mw-lock-')), 'renew.lock');
    const release = takeLock(path);
    assert.ok(release);
    assert.equal(takeLock(path), undefined);
    release();
    const again = takeLock(path);
    assert.ok(again, 'free again after release');
    again();
  });

  it('takes over a lock left by a process that is gone', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mw-lock-')), 'renew.lock');
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    writeFileSync(path, dead);
    const release = takeLock(path);
    assert.ok(release, `the lock of dead pid ${dead} is taken over`);
    release();
  });
});
