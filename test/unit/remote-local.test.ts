// The local connection the server's renewal program uses in place of SSH: commands through
// sh -c with stdin, exit codes, streaming, timeouts and cancel, and files through the local disk.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CancelledError, CommandError, shellScript, TimeoutError } from '../../src/core/remote';
import { readRemoteFile } from '../../src/core/remote/files';
import { LocalConnection } from '../../src/core/remote/local';

describe('LocalConnection', () => {
  const conn = new LocalConnection('self');

  it('runs a script with its arguments and stdin, as root without sudo', async () => {
    const lines: string[] = [];
    const r = await conn.exec(shellScript('printf "%s|" "$1"; cat', ['a b; $x']), {
      stdin: 'from stdin',
      sudo: true,
      onStdout: (t) => lines.push(t),
    });
    assert.equal(r.stdout, 'a b; $x|from stdin');
    assert.equal(lines.join(''), r.stdout);
    assert.equal(r.exitCode, 0);
    assert.equal(conn.isRoot, true);
  });

  it('a failing command throws CommandError with its stderr, unless check is off', async () => {
    await assert.rejects(conn.exec(shellScript('echo nope >&2; exit 3')), (e: Error) => {
      return e instanceof CommandError && e.exitCode === 3 && /nope/.test(e.message);
    });
    const r = await conn.exec(shellScript('exit 4'), { check: false });
    assert.equal(r.exitCode, 4);
  });

  it('a timeout and a cancel end the whole process group', async () => {
    await assert.rejects(conn.exec(shellScript('sleep 5 & sleep 5; wait'), { timeoutMs: 200 }), TimeoutError);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const started = Date.now();
    await assert.rejects(conn.exec(shellScript('sleep 5'), { signal: abort.signal }), CancelledError);
    assert.ok(Date.now() - started < 3_000);
  });

  it('reads files from the local disk (what SFTP does over SSH)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-local-'));
    writeFileSync(join(dir, 'f'), 'content');
    assert.equal((await readRemoteFile(conn, join(dir, 'f'))).toString(), 'content');
    const sftp = await conn.sftp();
    await new Promise<void>((resolve, reject) => {
      const s = sftp.createWriteStream(join(dir, 'g'), { mode: 0o600 });
      s.on('error', reject);
      s.on('close', () => resolve());
      s.end('written');
    });
    assert.equal(readFileSync(join(dir, 'g'), 'utf8'), 'written');
  });
});
