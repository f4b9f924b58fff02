// The conf-directory snapshot against a temp workspace; the server is replaced by a tar archive
// built here with the system tar (secrets deliberately included to prove the local guards).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  applyCommitLines,
  commitMessage,
  isSecretPath,
  serverStateOf,
  snapshotConfFrom,
  type FetchConfTar,
} from '../../src/core/git';

const temp: string[] = [];
after(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temp.push(d);
  return d;
}

const SECRET_TEXT = 'SECRET-MATERIAL-DO-NOT-COMMIT';

function archiveOf(files: Record<string, string>): Buffer {
  const dir = tempDir('mw-conf-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return execFileSync('tar', ['-C', dir, '-cf', '-', '.']);
}
const fetchOf =
  (files: Record<string, string>): FetchConfTar =>
  async () =>
    archiveOf(files);

function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}

const BASE = {
  'chasquid.conf': 'hostname: "mail.example.test"\n',
  'domains/example.test/aliases': '*: someone@example.org\n',
  'domains/example.test/users': `users:{key:"bob" value:{scrypt:{encrypted:"${SECRET_TEXT}"}}}\n`,
  'domains/example.test/dkim:sel1.pem': `-----BEGIN PRIVATE KEY-----\n${SECRET_TEXT}\n`,
  'certs/mail.example.test/fullchain.pem': '-----BEGIN CERTIFICATE-----\npublic\n',
  'certs/mail.example.test/privkey.pem': `-----BEGIN PRIVATE KEY-----\n${SECRET_TEXT}\n`,
  'certs/example.test/dkim_privkey.pem': `-----BEGIN RSA PRIVATE KEY-----\n${SECRET_TEXT}\n`,
  '.git/config': `[remote "x"]\n url = ${SECRET_TEXT}\n`,
  // A DKIM key's copy left by a write that a power loss cut off before its rename.
  'domains/example.test/.mailwright-new.4242': `-----BEGIN PRIVATE KEY-----\n${SECRET_TEXT}\n`,
};

describe('snapshotConf', () => {
  it('commits the conf directory with the applied actions, without any secret', async () => {
    const ws = tempDir('mw-ws-');
    const result = await snapshotConfFrom(fetchOf(BASE), {
      workspaceRoot: ws,
      hostName: 'sandbox',
      actions: ['Install chasquid', 'Set chasquid.conf hostname to mail.example.test'],
    });
    assert.equal(result.committed, true);
    assert.match(result.commit ?? '', /^[0-9a-f]{40}$/);
    assert.deepEqual(result.files, [
      '.gitignore',
      'certs/mail.example.test/fullchain.pem',
      'chasquid.conf',
      'domains/example.test/aliases',
    ]);
    assert.deepEqual(result.changed, result.files);

    const message = gitIn(ws, 'log', '-1', '--format=%B');
    assert.equal(
      message.trim(),
      'mailwright: apply on sandbox\n\n- Install chasquid\n- Set chasquid.conf hostname to mail.example.test',
    );
    assert.equal(gitIn(ws, 'config', '--get', 'user.email').trim() !== '', true);
    const tracked = gitIn(ws, 'ls-files').trim().split('\n');
    assert.deepEqual(
      tracked,
      result.files.map((f) => `conf/sandbox/${f}`),
    );
    assert.doesNotMatch(gitIn(ws, 'log', '-p', '--all'), new RegExp(SECRET_TEXT));
    assert.equal(existsSync(join(ws, 'conf/sandbox/certs/mail.example.test/privkey.pem')), false);
  });

  it('generates a .gitignore that ignores keys and password hashes', async () => {
    const ws = tempDir('mw-ws-');
    await snapshotConfFrom(fetchOf(BASE), { workspaceRoot: ws, hostName: 'h1' });
    const ignore = readFileSync(join(ws, 'conf/h1/.gitignore'), 'utf8');
    for (const p of ['users', 'dkim:*.pem', '*dkim_privkey.pem', 'privkey.pem', '.git']) {
      assert.ok(ignore.split('\n').includes(p), `${p} in .gitignore`);
    }
    // A secret copied in by hand is ignored by git too.
    writeFileSync(join(ws, 'conf/h1/certs/mail.example.test/privkey.pem'), SECRET_TEXT);
    writeFileSync(join(ws, 'conf/h1/domains/example.test/users'), SECRET_TEXT);
    assert.equal(gitIn(ws, 'status', '--porcelain', '--', 'conf/h1'), '');
  });

  it('makes no commit when nothing changed, and one when a file is removed on the server', async () => {
    const ws = tempDir('mw-ws-');
    const first = await snapshotConfFrom(fetchOf(BASE), { workspaceRoot: ws, hostName: 'sandbox' });
    const again = await snapshotConfFrom(fetchOf(BASE), { workspaceRoot: ws, hostName: 'sandbox' });
    assert.equal(again.committed, false);
    assert.equal(again.commit, undefined);
    assert.deepEqual(again.changed, []);
    assert.equal(gitIn(ws, 'rev-parse', 'HEAD').trim(), first.commit);

    const rest: Record<string, string> = { ...BASE };
    delete rest['domains/example.test/aliases'];
    const third = await snapshotConfFrom(fetchOf(rest), {
      workspaceRoot: ws,
      hostName: 'sandbox',
      actions: ['Remove aliases'],
    });
    assert.equal(third.committed, true);
    assert.deepEqual(third.changed, ['domains/example.test/aliases']);
    assert.equal(existsSync(join(ws, 'conf/sandbox/domains/example.test/aliases')), false);
    assert.equal(gitIn(ws, 'rev-list', '--count', 'HEAD').trim(), '2');
  });

  it('fetches nothing when the server is as at the last snapshot and HEAD still holds it', async () => {
    const ws = tempDir('mw-ws-');
    let fetches = 0;
    const counted = (files: Record<string, string>): FetchConfTar => {
      return async () => {
        fetches++;
        return archiveOf(files);
      };
    };
    const facts = {
      confFiles: {
        '/etc/chasquid/chasquid.conf': 'a'.repeat(64),
        '/etc/dovecot/dovecot.conf': 'b'.repeat(64),
      },
      confTree: 'd 755 /etc/chasquid \nf 644 /etc/chasquid/chasquid.conf \n',
    };
    const state = serverStateOf(facts)!;
    const opts = { workspaceRoot: ws, hostName: 'sandbox', serverState: state };
    await snapshotConfFrom(counted(BASE), opts);
    assert.equal(fetches, 1, 'the first snapshot of a state fetches');
    const again = await snapshotConfFrom(counted(BASE), opts);
    assert.equal(fetches, 1, 'the same state again: nothing fetched');
    assert.equal(again.unchanged, true);
    assert.equal(again.committed, false);
    assert.ok(again.files.includes('chasquid.conf'));

    // Any difference on the server is a new state: a file's content, a mode, a link, a file more.
    const variants = [
      { ...facts, confFiles: { ...facts.confFiles, '/etc/chasquid/chasquid.conf': 'c'.repeat(64) } },
      { ...facts, confTree: facts.confTree.replace('f 644', 'f 755') },
      { ...facts, confTree: `${facts.confTree}l 777 /etc/chasquid/certs/x /etc/letsencrypt/live/x\n` },
    ];
    const states = new Set([state, ...variants.map((v) => serverStateOf(v))]);
    assert.equal(states.size, 4);
    assert.equal(
      serverStateOf({
        ...facts,
        confFiles: { ...facts.confFiles, '/etc/dovecot/dovecot.conf': 'd'.repeat(64) },
      }),
      state,
      'only the conf directory counts',
    );
    assert.equal(serverStateOf({ confFiles: facts.confFiles }), undefined, 'no tree: no state');

    await snapshotConfFrom(counted(BASE), { ...opts, serverState: serverStateOf(variants[0]!) });
    assert.equal(fetches, 2, 'another state fetches');
    // HEAD moved away from the snapshot (the user reset it): fetched again, even for the same state.
    gitIn(ws, 'commit', '-q', '--allow-empty', '-m', 'mine');
    writeFileSync(join(ws, 'conf/sandbox/chasquid.conf'), 'edited by hand\n');
    gitIn(ws, 'commit', '-q', '-am', 'edited');
    await snapshotConfFrom(counted(BASE), { ...opts, serverState: serverStateOf(variants[0]!) });
    assert.equal(fetches, 3, 'HEAD no longer holds the snapshot');
    assert.equal(readFileSync(join(ws, 'conf/sandbox/chasquid.conf'), 'utf8'), BASE['chasquid.conf']);
    // Without a state (a run that changed the server) it always fetches.
    await snapshotConfFrom(counted(BASE), { workspaceRoot: ws, hostName: 'sandbox' });
    assert.equal(fetches, 4);
  });

  it('commits only its own folder and keeps what the user staged', async () => {
    const ws = tempDir('mw-ws-');
    gitIn(ws, 'init', '-q');
    gitIn(ws, 'config', 'user.name', 'Someone');
    gitIn(ws, 'config', 'user.email', 'someone@example.test');
    writeFileSync(join(ws, 'notes.txt'), 'mine');
    gitIn(ws, 'add', 'notes.txt');
    await snapshotConfFrom(fetchOf(BASE), { workspaceRoot: ws, hostName: 'sandbox' });
    assert.equal(gitIn(ws, 'log', '-1', '--format=%an <%ae>').trim(), 'Someone <someone@example.test>');
    assert.deepEqual(gitIn(ws, 'diff', '--cached', '--name-only').trim(), 'notes.txt');
  });

  it('reports a failing push without failing the snapshot', async () => {
    const ws = tempDir('mw-ws-');
    gitIn(ws, 'init', '-q');
    gitIn(ws, 'remote', 'add', 'backup', join(ws, 'no-such-repository'));
    const result = await snapshotConfFrom(fetchOf(BASE), {
      workspaceRoot: ws,
      hostName: 'sandbox',
      remote: 'backup',
    });
    assert.equal(result.committed, true);
    assert.equal(result.push?.ok, false);
    assert.match(result.push?.error ?? '', /git push to "backup" failed: .+/);
  });

  it('pushes to a given remote', async () => {
    const ws = tempDir('mw-ws-');
    const bare = tempDir('mw-bare-');
    gitIn(bare, 'init', '-q', '--bare');
    gitIn(ws, 'init', '-q');
    gitIn(ws, 'remote', 'add', 'origin', bare);
    const result = await snapshotConfFrom(fetchOf(BASE), {
      workspaceRoot: ws,
      hostName: 'sandbox',
      remote: 'origin',
    });
    assert.deepEqual(result.push, { ok: true, remote: 'origin' });
    assert.equal(gitIn(bare, 'rev-parse', 'HEAD').trim(), result.commit);
  });

  it('refuses host names that are not plain folder names', async () => {
    const ws = tempDir('mw-ws-');
    for (const hostName of ['../x', 'a/b', '.hidden', '']) {
      await assert.rejects(snapshotConfFrom(fetchOf(BASE), { workspaceRoot: ws, hostName }), /folder name/);
    }
  });
});

describe('isSecretPath / commitMessage', () => {
  it('recognises the secret files of chasquid layouts', () => {
    for (const p of [
      'domains/a.test/users',
      'domains/a.test/dkim:s1.pem',
      'certs/a.test/dkim_privkey.pem',
      'certs/x/privkey.pem',
      '.git/config',
    ]) {
      assert.equal(isSecretPath(p), true, p);
    }
    for (const p of [
      'chasquid.conf',
      'domains/a.test/aliases',
      'domains/a.test/dkim_selector',
      'certs/x/fullchain.pem',
    ]) {
      assert.equal(isSecretPath(p), false, p);
    }
  });
  it('keeps one action per line', () => {
    assert.equal(commitMessage({ hostName: 'h', actions: ['a\nb'] }), 'mailwright: apply on h\n\n- a b\n');
    assert.equal(commitMessage({ hostName: 'h' }), 'mailwright: apply on h\n');
  });
});

describe('the commit of an apply run', () => {
  const plan = {
    actions: [
      { id: 'a', title: 'Write A' },
      { id: 'b', title: 'Write B' },
    ],
  };
  it('lists what the run applied, or says why a run that applied nothing still commits', () => {
    assert.deepEqual(applyCommitLines(plan, ['b']), ['Write B']);
    assert.match(applyCommitLines(plan, [])[0] ?? '', /differed from the last commit/);
  });
});
