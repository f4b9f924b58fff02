// A fleet in one command (figures, not a test; the machine is noisy): whole-process
// `mailwright apply` (node dist/cli.js, as a user runs it) on one host against `apply --all`
// over three, for a first provisioning and for a no-op (already provisioned).
// Goals: no-op over 3 hosts <= 1.3x one host; first provisioning of 3 <= 1.5x of 1.
//   npm run bench -- fleet      (brings up three fresh sandbox VPSes)
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { SandboxInstance } from '../test/integration/sandbox-instances';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..');
const CLI = join(ROOT, 'dist/cli.js');
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const PASSWORD_ENV = 'MAILWRIGHT_USER_PASSWORD_ALICE_EXAMPLE_TEST';

function instances(): SandboxInstance[] {
  const paths = (process.env.MAILWRIGHT_FLEET_SANDBOXES ?? '').split(/[\s,]+/).filter(Boolean);
  if (paths.length !== 3)
    throw new Error(
      'Set MAILWRIGHT_FLEET_SANDBOXES to three fresh sandbox instance.json paths (scripts/bench does).',
    );
  return paths.map((path) => JSON.parse(readFileSync(path, 'utf8')) as SandboxInstance);
}

/** The three hosts serve one forward-only domain; each signs with its own DKIM selector. */
function configText(list: SandboxInstance[]): string {
  const hosts = list.map((instance, index) =>
    [
      `  - name: ${instance.name}`,
      `    ssh: root@${instance.ipv4}:${instance.port}`,
      `    identityFile: ${instance.rootKey}`,
      `    mailHost: smtp${index + 1}.example.test`,
      '    domains:',
      '      - name: example.test',
      '        users: [alice]',
      '        aliases:',
      '          alice: alice@elsewhere.test',
      "          '*': postmaster@elsewhere.test",
      `        dkim: { selector: ${index === 0 ? 'auto' : instance.name} }`,
    ].join('\n'),
  );
  return ['version: 1', 'hosts:', ...hosts, ''].join('\n');
}

interface Workspace {
  config: string;
  knownHosts: string;
}

/** A workspace of its own (mailwright.yaml, git for the conf snapshots) trusting the instances' keys. */
function workspace(list: SandboxInstance[]): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'mw-bench-fleet-'));
  const config = join(dir, 'mailwright.yaml');
  writeFileSync(config, configText(list));
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, list.map((i) => readFileSync(i.knownHostsFile, 'utf8')).join(''));
  return { config, knownHosts };
}

/** One whole `mailwright apply` process; its wall time in ms. Fails loudly when apply fails. */
async function apply(ws: Workspace, hosts: string[] | 'all', expectChanges: boolean): Promise<number> {
  const which = hosts === 'all' ? ['--all'] : hosts.flatMap((h) => ['--host', h]);
  const args = [CLI, 'apply', '--yes', '--config', ws.config, '--known-hosts', ws.knownHosts, ...which];
  const started = performance.now();
  const { stdout } = await run(process.execPath, args, {
    cwd: join(ws.config, '..'),
    env: { ...process.env, [PASSWORD_ENV]: 'bench-password-not-secret' },
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(
      `apply ${which.join(' ')} failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`,
    );
  });
  const elapsed = performance.now() - started;
  const nothing = /Nothing to do: the server already matches/.test(stdout) && !/\[1\/\d+\]/.test(stdout);
  if (nothing === expectChanges)
    throw new Error(
      `apply ${which.join(' ')}: expected ${expectChanges ? 'changes' : 'a no-op'}:\n${stdout}`,
    );
  return elapsed;
}

/** A sandbox brought back to a fresh server (the rootfs re-extracted, new host keys). */
async function recreate(instance: SandboxInstance, path: string): Promise<SandboxInstance> {
  const sandbox = join(ROOT, 'scripts/sandbox');
  await run('bash', [sandbox, 'down', instance.name]);
  await run('bash', [sandbox, 'up', instance.name, '--suite', instance.suite]);
  return JSON.parse(readFileSync(path, 'utf8')) as SandboxInstance;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;

async function main(): Promise<void> {
  let list = instances();
  const paths = (process.env.MAILWRIGHT_FLEET_SANDBOXES ?? '').split(/[\s,]+/).filter(Boolean);
  const first = list[0]!.name;

  // First provisioning, one host: the first fresh VPS alone.
  const one = await apply(workspace(list), [first], true);
  // Then that VPS fresh again, and all three at once.
  list = [await recreate(list[0]!, paths[0]!), ...list.slice(1)];
  const ws = workspace(list);
  const three = await apply(ws, 'all', true);

  // No-op: every server already right; one host and all three, alternately.
  const noop1: number[] = [];
  const noop3: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    noop1.push(await apply(ws, [first], false));
    noop3.push(await apply(ws, 'all', false));
  }
  const m1 = median(noop1);
  const m3 = median(noop3);

  console.log(`whole-process \`mailwright apply\` (node dist/cli.js), ${list[0]!.suite} sandboxes:`);
  console.log(`first provisioning:  1 host ${seconds(one)}, 3 hosts (--all) ${seconds(three)}`);
  console.log(`  ratio 3/1: ${(three / one).toFixed(2)}x (goal <= 1.5x)`);
  console.log(`no-op, median of ${ROUNDS}: 1 host ${m1.toFixed(0)} ms, 3 hosts (--all) ${m3.toFixed(0)} ms`);
  console.log(
    `  min/max: 1 host ${Math.min(...noop1).toFixed(0)}/${Math.max(...noop1).toFixed(0)} ms, ` +
      `3 hosts ${Math.min(...noop3).toFixed(0)}/${Math.max(...noop3).toFixed(0)} ms`,
  );
  console.log(`  ratio 3/1: ${(m3 / m1).toFixed(2)}x (goal <= 1.3x)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
