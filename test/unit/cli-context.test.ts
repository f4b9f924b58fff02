// A CLI command reads mailwright.yaml once, picks its host once and opens one connection, shared
// by everything it does there: `user add` once read the file three times (the host, then the
// target, then the connection). The command runs as a user runs it, with --verbose, which says
// what was read; the server is a port where nothing listens, so it stops at the connection.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CommandContext } from '../../src/cli/context';
import type { Facts } from '../../src/core/facts';

const CLI = join(__dirname, '..', '..', 'src', 'cli', 'bin.ts');

/** A local port where nothing listens: a connection there is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  await new Promise((ok) => server.close(ok));
  return port;
}

function run(args: string[], input: string, agent: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      // An agent socket that is never reached: the login stops at the refused port first.
      env: { PATH: process.env.PATH, HOME: tmpdir(), SSH_AUTH_SOCK: agent },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => ok({ code, stderr }));
    child.stdin.end(input);
  });
}

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, 'gm'))?.length ?? 0;

describe('one command context per CLI command', () => {
  let work: string;
  let config: string;
  let yaml: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'mw-context-'));
    config = join(work, 'mailwright.yaml');
    yaml = [
      'version: 1',
      'hosts:',
      '  - name: vps',
      `    ssh: root@127.0.0.1:${await closedPort()}`,
      '    auth: agent',
      '    mailHost: mail.example.com',
      '    domains:',
      '      - name: example.com',
      '        users: [bob]',
      '',
    ].join('\n');
    writeFileSync(config, yaml);
    writeFileSync(join(work, 'known_hosts'), '');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('user add reads mailwright.yaml once and connects once; the file is put back when the server fails', async () => {
    const r = await run(
      [
        'user',
        'add',
        'Alice@Example.com',
        '--config',
        config,
        '--known-hosts',
        join(work, 'known_hosts'),
        '--verbose',
      ],
      'a long enough password\n',
      join(work, 'agent.sock'),
    );
    assert.equal(r.code, 1, r.stderr);
    assert.equal(count(r.stderr, /^Read .*mailwright\.yaml: 1 host\(s\)\.$/), 1, r.stderr);
    // One attempt to log in: the TCP connection, or (as here, with no agent behind the socket)
    // the agent check that comes before it and says why it stopped.
    assert.equal(
      count(r.stderr, /^(Connecting to root@127\.0\.0\.1:\d+|mailwright: .*\bagent\b.*)$/),
      1,
      r.stderr,
    );
    assert.match(
      r.stderr,
      /^Read mailwright\.yaml 1 time\(s\), the facts 0 time\(s\), DKIM keys 0 time\(s\); SSH: 0 login\(s\)/m,
    );
    assert.equal(readFileSync(config, 'utf8'), yaml, 'mailwright.yaml is as it was');
  });

  it('a refusal comes before the password is read or a connection opened', async () => {
    const r = await run(
      ['user', 'add', 'alice@example.org', '--config', config, '--verbose'],
      '',
      join(work, 'agent.sock'),
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /example\.org is not a domain of vps/);
    assert.equal(count(r.stderr, /^Connecting to/), 0, r.stderr);
  });

  it("shares a host's facts: gathered once however many parts of the command ask", async () => {
    const context = await CommandContext.open({ config });
    try {
      const host = context.host();
      let gathered = 0;
      const facts = { system: { state: 'ready' } } as Facts;
      const gather = async () => (gathered++, facts);
      const signal = new AbortController().signal;
      const reads = await Promise.all([
        context.hostFacts(host, signal, gather),
        context.hostFacts(host, signal, gather),
        context.hostFacts(host, signal),
      ]);
      assert.equal(gathered, 1);
      assert.equal(context.reads.facts, 1);
      assert.ok(reads.every((r) => r === facts));
      assert.equal(await context.connection(host), await context.connection(host));
    } finally {
      await context.close();
    }
  });

  it('picks the host by the --host rules, naming the hosts there are', async () => {
    const context = await CommandContext.open({ config, host: 'nope' });
    assert.throws(() => context.host(), /No host named "nope" in .*\(hosts: vps\)/);
    assert.equal(context.host('vps').name, 'vps');
    await context.close();
  });
});
