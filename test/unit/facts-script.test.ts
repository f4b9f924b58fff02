// The facts script run by this machine's own sh: its sections in parallel (a private folder in
// $TMPDIR) and one after the other (no folder can be made) tell the same facts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseFacts } from '../../src/core/facts/parse';
import { factsScript, newReportKey, reportStdin } from '../../src/core/facts/script';
import type { Facts } from '../../src/core/facts/types';

function run(tmp: string): { facts: Facts; stdout: string } {
  const key = newReportKey();
  const r = spawnSync('sh', ['-c', factsScript()], {
    input: reportStdin(key),
    encoding: 'utf8',
    env: { ...process.env, TMPDIR: tmp },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return { facts: parseFacts(r.stdout, key, 0, new Date(0)), stdout: r.stdout };
}

/**
 * What can change between two runs a second apart: free memory and disk, open connections, and
 * this machine's addresses (a test VPS coming up adds a network interface).
 */
function stable(f: Facts): unknown {
  return {
    ...f,
    resources: undefined,
    listening: undefined,
    addresses: undefined,
    storage: f.storage?.map((s) => ({ ...s, freeBytes: undefined, inodesFree: undefined })),
  };
}

describe('facts script', () => {
  it('tells the same facts with its sections in parallel as one after the other, and leaves no folder', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'mw-facts-'));
    try {
      const parallel = run(tmp);
      assert.deepEqual(readdirSync(tmp), [], 'the private folder is removed');
      const sequential = run(join(tmp, 'missing'));
      assert.deepEqual(stable(parallel.facts), stable(sequential.facts));
      assert.ok(parallel.facts.os.id, 'os-release was read');
      assert.ok(parallel.facts.login.user, 'id was read');
      // Each section once, the end last.
      const headers = parallel.stdout.split('\n').filter((l) => l.startsWith('@@mw:'));
      assert.equal(new Set(headers).size, headers.length, 'no section twice');
      assert.match(headers.at(-1) ?? '', /:end$/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
