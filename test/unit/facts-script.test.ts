// The facts script run by this machine's own sh: its sections in parallel (a private folder in
// $TMPDIR) and one after the other (no folder can be made) tell the same facts; the sections the
// shell splits from one command's output (dpkg-query's lines, df's) are told as each command
// alone would tell them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseFacts } from '../../src/core/facts/parse';
import { factsScript, newReportKey, reportStdin, STORAGE_DIRS } from '../../src/core/facts/script';
import type { Facts } from '../../src/core/facts/types';

function run(tmp: string, path = process.env.PATH): { facts: Facts; stdout: string } {
  const key = newReportKey();
  const r = spawnSync('sh', ['-c', factsScript()], {
    input: reportStdin(key),
    encoding: 'utf8',
    env: { ...process.env, TMPDIR: tmp, PATH: path },
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

  it('splits one dpkg-query into the packages of chasquid, Dovecot and fail2ban, in the order asked', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'mw-facts-'));
    try {
      // dpkg-query as dpkg prints it: a line per package it knows, in the order of the names asked.
      const known: Record<string, string> = {
        chasquid: 'install ok installed|chasquid|1.15.0-1',
        'dovecot-core': 'install ok installed|dovecot-core|1:2.4.1+dfsg1-6',
        'dovecot-imapd': 'deinstall ok config-files|dovecot-imapd|1:2.4.1+dfsg1-6',
        'dovecot-lmtpd': 'install ok installed|dovecot-lmtpd|1:2.4.1+dfsg1-6',
        nftables: 'install ok installed|nftables|1.1.3-1',
        'python3-systemd': 'install ok installed|python3-systemd|235-1+b6',
      };
      const bin = join(tmp, 'bin');
      mkdirSync(bin);
      writeFileSync(
        join(bin, 'dpkg-query'),
        `#!/bin/sh\nshift 3\nfor p; do case $p in\n${Object.entries(known)
          .map(([name, line]) => `${name}) echo '${line}' ;;`)
          .join('\n')}\nesac; done\n`,
      );
      chmodSync(join(bin, 'dpkg-query'), 0o755);
      const { facts } = run(tmp, `${bin}:${process.env.PATH}`);
      assert.equal(facts.chasquid.version, '1.15.0-1');
      assert.equal(facts.dovecot.installed, false, 'dovecot-imapd is removed');
      assert.equal(facts.dovecot.version, '1:2.4.1+dfsg1-6');
      assert.deepEqual(facts.bruteForce?.packages, { nftables: '1.1.3-1', 'python3-systemd': '235-1+b6' });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('tells the space of each mail folder from one df, and the same when df must be asked per folder', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'mw-facts-'));
    try {
      const bin = join(tmp, 'bin');
      mkdirSync(bin);
      // A df that answers one folder at a time only.
      writeFileSync(
        join(bin, 'df'),
        `#!/bin/sh\n[ $# -le 2 ] || exit 1\nPATH=${process.env.PATH}\nexec df "$@"\n`,
      );
      chmodSync(join(bin, 'df'), 0o755);
      const together = run(tmp).facts;
      const apart = run(tmp, `${bin}:${process.env.PATH}`).facts;
      const total = (f: Facts) => ({
        disk: f.resources.diskTotalBytes,
        storage: (f.storage ?? []).map((s) => ({ ...s, freeBytes: undefined, inodesFree: undefined })),
      });
      assert.deepEqual(total(together), total(apart));
      const present = STORAGE_DIRS.filter((d) => existsSync(d));
      assert.deepEqual(
        (together.storage ?? []).map((s) => s.path),
        present,
        'each mail folder of this machine, in order',
      );
      for (const s of together.storage ?? []) assert.ok(s.totalBytes > 0 && s.inodesTotal > 0, s.path);
      assert.ok(together.resources.diskTotalBytes > 0, 'the root filesystem');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
